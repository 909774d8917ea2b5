import { maskSecret } from "../redaction.ts";
import { bodyBytes } from "./body.ts";
import { JsonText, type Fragment } from "./json-text.ts";
import type { StandardLoggingMetadata, StandardLoggingPayload } from "./payload.ts";

type Obj = Record<string, unknown>;

/** LiteLLM's `REDACTED_BY_LITELLM`. */
export const REDACTED = "redacted-by-litellm";

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function redactChoices(choices: unknown): unknown {
  if (!Array.isArray(choices)) return choices;
  return choices.map((c) => {
    if (!isObj(c)) return c;
    const out = { ...c };
    for (const k of ["message", "delta"]) {
      if (!isObj(out[k])) continue;
      const m = { ...(out[k] as Obj) };
      if (m.content != null) m.content = REDACTED;
      if (m.reasoning_content != null) m.reasoning_content = REDACTED;
      if ("thinking_blocks" in m) m.thinking_blocks = null;
      if (Array.isArray(m.tool_calls)) m.tool_calls = m.tool_calls.map((t) => (isObj(t) && isObj(t.function) ? { ...t, function: { ...t.function, arguments: REDACTED } } : t));
      out[k] = m;
    }
    if (typeof out.text === "string") out.text = REDACTED;
    return out;
  });
}

function redactOutput(output: unknown): unknown {
  if (!Array.isArray(output)) return output;
  return output.map((item) => {
    if (!isObj(item)) return item;
    const o = { ...item };
    if (typeof o.text === "string") o.text = REDACTED;
    if (Array.isArray(o.content)) o.content = o.content.map((c) => (isObj(c) ? { ...c, ...(c.text != null ? { text: REDACTED } : {}), ...(c.refusal != null ? { refusal: REDACTED } : {}) } : c));
    if (o.type === "reasoning" && Array.isArray(o.summary)) o.summary = o.summary.map((x) => (isObj(x) ? { ...x, text: REDACTED } : x));
    if (o.type === "function_call" && "arguments" in o) o.arguments = REDACTED;
    return o;
  });
}

/** The answer with its content replaced, keeping its shape, as LiteLLM's `_redact_standard_logging_object` does. */
export function redactResponse(response: unknown): unknown {
  if (response == null) return response;
  if (isObj(response) && "output" in response) {
    const r: Obj = { ...response, output: redactOutput(response.output) };
    if (r.instructions != null) r.instructions = REDACTED;
    if (r.reasoning != null) r.reasoning = null;
    return r;
  }
  if (isObj(response) && "choices" in response) return { ...response, choices: redactChoices(response.choices) };
  if (typeof response === "string") return REDACTED;
  return { text: REDACTED };
}

/** `turn_off_message_logging`: the prompt and the answer replaced by LiteLLM's marker. */
export function withoutContent(p: StandardLoggingPayload): StandardLoggingPayload {
  return { ...p, messages: [{ role: "user", content: REDACTED }], response: redactResponse(p.response ?? {}) };
}

/** `redact_user_api_key_info`: every `user_api_key_*` field left out of the metadata. */
export function withoutKeyInfo(p: StandardLoggingPayload): StandardLoggingPayload {
  const metadata = {} as StandardLoggingMetadata;
  for (const [k, v] of Object.entries(p.metadata)) if (!k.startsWith("user_api_key")) metadata[k] = v;
  return { ...p, metadata };
}

/**
 * Masks, in serialized payloads before they leave, every credential the gateway holds: the values
 * of `src/redaction.ts` (config and deployments' keys, the vault, credential chains' tokens), sent
 * to the logging worker as they change. A substring search per secret: on large payloads (whole
 * prompts) far cheaper than one regular expression of every secret. A long text is first searched
 * as UTF-8 bytes (Buffer's native search, ~7x faster than String#includes on prose); when no secret
 * is in the bytes, none is in the text and it is returned as it was.
 */
export class SecretScrubber {
  private secrets: string[] = [];
  /** The secrets as UTF-8, when every one is well-formed (a lone surrogate's bytes could hide a match). */
  private encoded?: Buffer[];
  /** No secret holds a `"`: a match in a JsonText then never crosses a fragment's edge. */
  private quoteFree = true;
  /** Fragments already searched for the current secrets. */
  private cleanFragments = new WeakSet<Fragment>();

  use(values: string[]): void {
    this.secrets = [...values].sort((a, b) => b.length - a.length);
    this.encoded = this.secrets.some((v) => /[\uD800-\uDFFF]/.test(v)) ? undefined : this.secrets.map((v) => Buffer.from(v));
    this.quoteFree = !this.secrets.some((v) => v.includes('"'));
    this.cleanFragments = new WeakSet();
  }

  /**
   * `scrub` of the whole text, keeping its pieces when no secret is in it: each piece is searched
   * on its own (a fragment once per call, as bytes), which finds every match when no secret holds
   * a quote (every boundary between pieces is a fragment's quote); otherwise the text is joined
   * and scrubbed as a string.
   */
  scrubText(t: JsonText): JsonText {
    if (!this.secrets.length || (this.encoded && this.quoteFree && t.pieces.every((p) => this.clean(p)))) return t;
    const text = t.toString();
    const out = this.scrub(text);
    return out === text ? t : JsonText.of(out);
  }

  private clean(p: string | Fragment): boolean {
    if (typeof p === "string") return this.scrub(p) === p;
    if (this.cleanFragments.has(p)) return true;
    const bytes = bodyBytes({ parts: [p.json] });
    if (this.encoded!.some((b) => bytes.includes(b))) return false;
    this.cleanFragments.add(p);
    return true;
  }

  scrub(text: string): string {
    if (!this.secrets.length) return text;
    if (this.encoded && text.length >= BYTE_SEARCH_FROM) {
      const bytes = bodyBytes({ parts: [text] });
      if (!this.encoded.some((b) => bytes.includes(b))) return text;
    }
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.replaceAll(s, maskSecret(s));
    return out;
  }
}

/** Texts this long are searched as bytes first. */
const BYTE_SEARCH_FROM = 4096;

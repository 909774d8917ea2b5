import type { Protocol } from "../providers/types.ts";
import type { JsonMember } from "./json-scan.ts";
import type { RequestBody } from "./request-body.ts";

/** Request fields LiteLLM consumes itself; they never reach the provider. */
export const LITELLM_ONLY_FIELDS = [
  "fallbacks",
  "num_retries",
  "mock_response",
  "mock_testing_fallbacks",
  "mock_testing_rate_limit_error",
  "mock_testing_context_window_fallbacks",
  "mock_testing_content_policy_fallbacks",
  "mock_timeout",
  "context_window_fallback_dict",
  "litellm_metadata",
  "caching",
  "guardrails",
  "timeout",
  "request_timeout",
  "litellm_session_id",
  "litellm_trace_id",
] as const;

export interface BodyPlan {
  upstreamModel: string;
  upstreamProtocol: Protocol;
  stream: boolean;
  defaults?: Record<string, unknown>;
  /** Drop `metadata` (LiteLLM's request metadata) before an OpenAI chat upstream. */
  dropMetadata: boolean;
}

const encoder = new TextEncoder();
const DROPPED: ReadonlySet<string> = new Set(LITELLM_ONLY_FIELDS);
const COMMA = 0x2c;

interface Edit {
  start: number;
  end: number;
  text?: string;
}

/**
 * Byte ranges cutting the members flagged in `removed`, each run with the comma that joins it to a
 * kept neighbour and the whitespace before it, so the kept members keep their own layout.
 */
function cuts(bytes: Uint8Array, open: number, members: JsonMember[], removed: boolean[]): Edit[] {
  const out: Edit[] = [];
  const n = members.length;
  for (let a = 0; a < n; a++) {
    if (!removed[a]) continue;
    let b = a;
    while (b + 1 < n && removed[b + 1]) b++;
    if (a > 0) out.push({ start: members[a - 1]!.valueEnd, end: members[b]!.valueEnd });
    else if (b < n - 1) out.push({ start: open + 1, end: bytes.indexOf(COMMA, members[b]!.valueEnd) + 1 });
    else out.push({ start: open + 1, end: members[n - 1]!.valueEnd });
    a = b;
  }
  return out;
}

function applyEdits(bytes: Uint8Array<ArrayBuffer>, edits: Edit[]): Uint8Array<ArrayBuffer> {
  edits.sort((x, y) => x.start - y.start || x.end - y.end);
  const texts = edits.map((e) => (e.text ? encoder.encode(e.text) : undefined));
  let size = bytes.byteLength;
  edits.forEach((e, k) => (size += (texts[k]?.byteLength ?? 0) - (e.end - e.start)));
  const out = new Uint8Array(size);
  let from = 0;
  let at = 0;
  edits.forEach((e, k) => {
    out.set(bytes.subarray(from, e.start), at);
    at += e.start - from;
    const t = texts[k];
    if (t) {
      out.set(t, at);
      at += t.byteLength;
    }
    from = e.end;
  });
  out.set(bytes.subarray(from), at);
  return out;
}

/**
 * The upstream body of a same-protocol call, as bytes. They pass through untouched when nothing
 * must change; otherwise the model rename, the fields LiteLLM consumes, `metadata` and the added
 * `stream_options` and defaults are byte splices at the offsets the scanner found.
 */
export function passthroughBody(raw: RequestBody, plan: BodyPlan): Uint8Array<ArrayBuffer> {
  const { members, index, open } = raw.scan;
  const needsUsage = plan.stream && (plan.upstreamProtocol === "openai-chat" || plan.upstreamProtocol === "openai-completions") && !raw.has("stream_options");
  const inserts: string[] = [];
  if (needsUsage) inserts.push(`"stream_options":{"include_usage":true}`);
  if (plan.defaults) {
    for (const [k, v] of Object.entries(plan.defaults)) {
      if (v !== undefined && k !== "model" && !raw.has(k)) inserts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`);
    }
  }
  const modelAt = index.get("model");
  const rename = raw.get("model") !== plan.upstreamModel;
  if (rename && modelAt === undefined) inserts.push(`"model":${JSON.stringify(plan.upstreamModel)}`);
  let removed: boolean[] | undefined;
  members.forEach((m, k) => {
    const drop = DROPPED.has(m.key) || (plan.dropMetadata && m.key === "metadata") || (rename && m.key === "model" && k !== modelAt);
    if (drop) (removed ??= [])[k] = true;
  });
  if (!inserts.length && !removed && !rename) return raw.bytes;

  const edits = removed ? cuts(raw.bytes, open, members, removed) : [];
  if (rename && modelAt !== undefined) {
    const m = members[modelAt]!;
    edits.push({ start: m.valueStart, end: m.valueEnd, text: JSON.stringify(plan.upstreamModel) });
  }
  if (inserts.length) {
    const kept = members.length - (removed?.filter(Boolean).length ?? 0);
    edits.push({ start: open + 1, end: open + 1, text: inserts.join(",") + (kept > 0 ? "," : "") });
  }
  return applyEdits(raw.bytes, edits);
}

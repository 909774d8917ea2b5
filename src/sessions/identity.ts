/** Which coding agent (or SDK) sent a call, read from its headers. */
export type ClientKind = "claude-code" | "codex" | "sdk" | "other";

export interface ClientInfo {
  kind: ClientKind;
  /** The product token: `claude-cli`, `codex_exec`, `openai-js`, `curl`, … */
  name?: string;
  version?: string;
}

export const CLIENT_KINDS: readonly ClientKind[] = ["claude-code", "codex", "sdk", "other"];

/** The session a call belongs to and the client that sent it. */
export interface SessionOfCall {
  id: string;
  client: ClientInfo;
}

const MAX_SESSION_ID = 256;

/** Session ids are client text stored in a column and shown in the UI: short, printable, no spaces. */
function usable(v: string | null | undefined): string | undefined {
  if (!v) return undefined;
  const s = v.trim();
  return s.length > 0 && s.length <= MAX_SESSION_ID && /^[\x21-\x7e]+$/.test(s) ? s : undefined;
}

/**
 * The session a call belongs to: LiteLLM's own (`x-litellm-session-id` / `x-litellm-trace-id`
 * headers, `litellm_session_id` / `litellm_trace_id` body fields), then Claude Code's
 * `x-claude-code-session-id`, then Codex's `session-id`. Undefined for a call outside any session.
 */
export function sessionIdOf(headers: Headers, body: Record<string, unknown>): string | undefined {
  return (
    usable(headers.get("x-litellm-session-id")) ??
    usable(headers.get("x-litellm-trace-id")) ??
    (typeof body.litellm_session_id === "string" ? usable(body.litellm_session_id) : undefined) ??
    (typeof body.litellm_trace_id === "string" ? usable(body.litellm_trace_id) : undefined) ??
    usable(headers.get("x-claude-code-session-id")) ??
    usable(headers.get("session-id"))
  );
}

/** `name/1.2.3 (…)` → [name, 1.2.3]. */
function productToken(ua: string): [string, string | undefined] {
  const first = ua.split(" ", 1)[0] ?? "";
  const slash = first.indexOf("/");
  return slash < 0 ? [first, undefined] : [first.slice(0, slash), first.slice(slash + 1) || undefined];
}

/** `OpenAI/JS 7.57.0`, `AsyncAnthropic/Python 0.60.0`, … */
const SDK_UA = /^(?:Async)?(OpenAI|Anthropic)\/(JS|Python|Go|Java|Ruby|Kotlin|\.NET)\s+v?([\w.-]+)/i;

/**
 * Claude Code (`user-agent: claude-cli/2.1.197 …`, `x-app: cli`), Codex (`originator: codex_exec`,
 * `user-agent: codex_exec/0.169.0 …`), the official SDKs (Stainless headers or their user agents),
 * or anything else under its user agent's product token.
 */
export function clientOf(headers: Headers): ClientInfo {
  const ua = headers.get("user-agent") ?? "";
  const [name, version] = productToken(ua);
  if (name === "claude-cli" || name === "claude-code") return { kind: "claude-code", name, version };
  const originator = headers.get("originator");
  if (originator?.startsWith("codex") || name.startsWith("codex")) {
    return { kind: "codex", name: originator ?? name, version: name.startsWith("codex") ? version : undefined };
  }
  const sdk = SDK_UA.exec(ua);
  if (sdk) return { kind: "sdk", name: `${sdk[1]!.toLowerCase()}-${sdk[2]!.toLowerCase()}`, version: sdk[3] };
  const lang = headers.get("x-stainless-lang");
  if (lang) return { kind: "sdk", name: `${name || "stainless"}-${lang}`, version: headers.get("x-stainless-package-version") ?? undefined };
  return name ? { kind: "other", name, version } : { kind: "other" };
}

export function sessionOfCall(headers: Headers, body: Record<string, unknown>): SessionOfCall | undefined {
  const id = sessionIdOf(headers, body);
  return id ? { id, client: clientOf(headers) } : undefined;
}

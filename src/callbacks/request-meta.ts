import type { KeyRecord } from "../auth/key-record.ts";
import type { LLMRequest } from "../gateway/types.ts";
import { sessionIdOf as codingSessionId } from "../sessions/identity.ts";

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/**
 * The LiteLLM metadata a client sent with the call: `metadata` (OpenAI protocols) and
 * `litellm_metadata` (every protocol; the only one on `/v1/messages`, whose `metadata` is Anthropic's).
 */
export function requestMetadata(req: LLMRequest): Obj {
  const lm = isObj(req.body.litellm_metadata) ? req.body.litellm_metadata : {};
  if (req.protocol === "anthropic-messages" || !isObj(req.body.metadata)) return lm;
  return { ...lm, ...req.body.metadata };
}

const GENERIC_SESSION_HEADER = /^x-[a-z0-9-]+-session-id$/;
const SESSION_VALUE = /^[A-Za-z0-9_-]{8,}$/;

/**
 * The session id LiteLLM logs: the gateway's coding-session id (`x-litellm-session-id` /
 * `x-litellm-trace-id`, `litellm_session_id` / `litellm_trace_id`, Claude Code's and Codex's
 * session headers), another vendor's `x-<name>-session-id` header, then `metadata.session_id` /
 * `metadata.trace_id`.
 */
export function sessionIdOf(req: LLMRequest, meta: Obj = requestMetadata(req)): string | undefined {
  const known = codingSessionId(req.headers, req.body);
  if (known) return known;
  for (const [k, v] of req.headers) if (GENERIC_SESSION_HEADER.test(k) && SESSION_VALUE.test(v)) return v;
  for (const k of ["session_id", "trace_id"]) if (typeof meta[k] === "string" && meta[k]) return meta[k] as string;
  return undefined;
}

/** Request tags as LiteLLM logs them: the key's, the call's (`metadata.tags`, `x-litellm-tags`), then the User-Agent. */
export function requestTags(req: LLMRequest, meta: Obj, userAgentTags: boolean): string[] {
  const key = req.auth.key as KeyRecord | undefined;
  const header = req.headers.get("x-litellm-tags");
  const tags = [...strs(key?.metadata.tags), ...strs(key?.team?.metadata.tags), ...strs(meta.tags), ...strs(req.body.tags)];
  if (header) tags.push(...header.split(",").map((t) => t.trim()).filter(Boolean));
  const ua = req.headers.get("user-agent");
  if (userAgentTags && ua) {
    if (ua.includes("/")) tags.push(`User-Agent: ${ua.split("/")[0]}`);
    tags.push(`User-Agent: ${ua}`);
  }
  return [...new Set(tags)];
}

export function endUserOf(req: LLMRequest): string | undefined {
  return req.auth.endUserId ?? (typeof req.body.user === "string" ? req.body.user : undefined);
}

/** Body fields that are content or routing, not model parameters. */
const NOT_PARAMS = new Set([
  "model", "messages", "input", "system", "instructions", "prompt", "contents", "tools", "functions", "metadata",
  "litellm_metadata", "litellm_session_id", "litellm_trace_id", "fallbacks", "mock_response", "num_retries",
  "context_window_fallback_dict", "previous_response_id", "tags", "guardrails",
]);
const CREDENTIAL = /(^|_)(key|secret|password|credentials?|token)$|^api_base$|^base_url$|^aws_|^vertex_/i;

/** LiteLLM's `model_parameters`: the call's optional parameters, never content or credentials. */
export function modelParameters(req: LLMRequest): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(req.body)) {
    if (NOT_PARAMS.has(k) || CREDENTIAL.test(k) || v === undefined) continue;
    if (typeof v === "object" && v !== null && JSON.stringify(v).length > 2000) continue;
    out[k] = v;
  }
  return out;
}

/** The tool definitions of the call, as sent. */
export function requestTools(req: LLMRequest): unknown[] | undefined {
  return Array.isArray(req.body.tools) && req.body.tools.length ? req.body.tools : undefined;
}

const BASE64_KEEP = 64;
const DATA_URL = /^data:[^;,]{1,100};base64,/;

/** Inline files and images shortened as LiteLLM's `truncate_base64_in_messages` does, on a copy. */
function withoutBase64(v: unknown, depth = 0): unknown {
  if (depth > 20) return v;
  if (typeof v === "string") {
    if (v.length > 1024 && DATA_URL.test(v)) return `${v.slice(0, v.indexOf(",") + 1 + BASE64_KEEP)}...[truncated ${v.length} chars]`;
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => withoutBase64(x, depth + 1));
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = k === "data" && typeof x === "string" && x.length > 1024 && v.type === "base64" ? `${x.slice(0, BASE64_KEEP)}...[truncated ${x.length} chars]` : withoutBase64(x, depth + 1);
  }
  return out;
}

/**
 * The prompt as LiteLLM logs it: chat `messages`; Anthropic `messages` after a `system` entry;
 * Responses `input` (a string as one user message) after `instructions`.
 */
export function requestMessages(req: LLMRequest): unknown[] {
  const b = req.body;
  const out: unknown[] = [];
  if (req.protocol === "anthropic-messages" && b.system !== undefined) out.push({ role: "system", content: b.system });
  if (req.protocol === "openai-responses") {
    if (typeof b.instructions === "string" && b.instructions) out.push({ role: "system", content: b.instructions });
    if (typeof b.input === "string") out.push({ role: "user", content: b.input });
    else if (Array.isArray(b.input)) out.push(...b.input);
  } else if (Array.isArray(b.messages)) out.push(...b.messages);
  else if (b.input !== undefined) out.push(b.input);
  return withoutBase64(out) as unknown[];
}

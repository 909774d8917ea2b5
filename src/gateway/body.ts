import type { Protocol } from "../providers/types.ts";

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

function hasLiteLLMFields(body: Record<string, unknown>): boolean {
  for (const k of LITELLM_ONLY_FIELDS) if (k in body) return true;
  return false;
}

/** Replaces the top-level model value in raw JSON text when it is the only occurrence; else undefined. */
function replaceModelText(raw: string, from: string, to: string): string | undefined {
  const needle = `${JSON.stringify(from)}`;
  const re = /"model"\s*:\s*/g;
  let found = -1;
  let valueAt = -1;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    if (m.index > 0 && raw[m.index - 1] === "\\") continue;
    const v = m.index + m[0].length;
    if (raw.startsWith(needle, v)) {
      if (found >= 0) return undefined;
      found = m.index;
      valueAt = v;
    }
  }
  if (found < 0) return undefined;
  return raw.slice(0, valueAt) + JSON.stringify(to) + raw.slice(valueAt + needle.length);
}

export interface BodyPlan {
  upstreamModel: string;
  upstreamProtocol: Protocol;
  stream: boolean;
  defaults?: Record<string, unknown>;
  /** Drop `metadata` (LiteLLM's request metadata) before an OpenAI chat upstream. */
  dropMetadata: boolean;
}

/**
 * The upstream body of a same-protocol call. Bytes pass through untouched when nothing must
 * change; a lone model rename is a text splice; anything else re-serializes once.
 */
export function passthroughBody(raw: string, body: Record<string, unknown>, plan: BodyPlan): string {
  const needsUsage = plan.stream && (plan.upstreamProtocol === "openai-chat" || plan.upstreamProtocol === "openai-completions") && body.stream_options === undefined;
  const needsDefaults = plan.defaults && Object.keys(plan.defaults).some((k) => body[k] === undefined);
  const strip = hasLiteLLMFields(body) || (plan.dropMetadata && "metadata" in body);
  const rename = body.model !== plan.upstreamModel;
  if (!needsDefaults && !strip && (!rename || typeof body.model === "string")) {
    let out: string | undefined = raw;
    if (rename) out = replaceModelText(raw, body.model as string, plan.upstreamModel);
    if (out !== undefined) {
      if (needsUsage) {
        const brace = out.indexOf("{");
        out = `${out.slice(0, brace + 1)}"stream_options":{"include_usage":true},${out.slice(brace + 1)}`;
      }
      return out;
    }
  }
  const copy: Record<string, unknown> = { ...body, model: plan.upstreamModel };
  for (const k of LITELLM_ONLY_FIELDS) delete copy[k];
  if (plan.dropMetadata) delete copy.metadata;
  if (needsUsage) copy.stream_options = { include_usage: true };
  if (plan.defaults) for (const [k, v] of Object.entries(plan.defaults)) if (copy[k] === undefined) copy[k] = v;
  return JSON.stringify(copy);
}

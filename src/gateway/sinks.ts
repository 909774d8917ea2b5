import type { Logger } from "../log.ts";
import type { CallRecord, CallSink } from "./types.ts";

/** One log line per finished call (debug level, or every call with json logs on). */
export function logSink(log: Logger, everyCall: boolean): CallSink {
  return {
    record(r: CallRecord) {
      if (!everyCall && !log.debugEnabled) return;
      const auth = r.req.auth;
      log.log(r.status === "success" ? (everyCall ? "info" : "debug") : "warn", "llm call", {
        request_id: r.req.callId,
        route: r.req.route,
        key_alias: auth.keyAlias,
        key_hash: auth.apiKeyHash ? auth.apiKeyHash.slice(0, 12) : undefined,
        model: r.req.model,
        model_group: r.modelGroup,
        deployment: r.deployment?.id,
        upstream_model: r.upstreamModel,
        status: r.status,
        http_status: r.error?.status ?? 200,
        error: r.error?.message,
        latency_ms: Math.round(r.endMs - r.req.startMs),
        prompt_tokens: r.usage?.promptTokens,
        completion_tokens: r.usage?.completionTokens,
        cost: r.cost,
      });
    },
  };
}

export function fanOut(sinks: CallSink[]): CallSink {
  if (sinks.length === 1) return sinks[0]!;
  return {
    record(r) {
      for (const s of sinks) s.record(r);
    },
  };
}

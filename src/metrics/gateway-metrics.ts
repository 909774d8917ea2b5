import type { CallRecord, CallSink } from "../gateway/types.ts";
import type { RouterState } from "../router/state.ts";
import { Counter, Gauge, Histogram, labelKey, Registry } from "./registry.ts";

const CALL_LABELS = ["model", "model_group", "model_id", "api_provider", "route"] as const;

/**
 * Gateway series, named as LiteLLM's Prometheus integration names them so existing dashboards keep
 * working; gateway overhead and upstream latency are separate histograms.
 */
export class GatewayMetrics implements CallSink {
  readonly registry = new Registry();
  private readonly requests = this.registry.register(new Counter("litellm_proxy_total_requests_metric", "Requests the gateway answered", [...CALL_LABELS, "status_code"]));
  private readonly failed = this.registry.register(new Counter("litellm_proxy_failed_requests_metric", "Failed requests by error type", [...CALL_LABELS, "exception_class", "status_code"]));
  private readonly total = this.registry.register(new Histogram("litellm_request_total_latency_metric", "Total request latency in seconds", CALL_LABELS));
  private readonly upstream = this.registry.register(new Histogram("litellm_llm_api_latency_metric", "Upstream (provider) latency in seconds, to the first byte for streams", CALL_LABELS));
  private readonly overhead = this.registry.register(new Histogram("litellm_overhead_latency_metric", "Latency added by the gateway in seconds", CALL_LABELS));
  private readonly ttft = this.registry.register(new Histogram("litellm_llm_api_time_to_first_token_metric", "Time to first token for streams in seconds", CALL_LABELS));
  private readonly inputTokens = this.registry.register(new Counter("litellm_input_tokens_metric", "Prompt tokens", CALL_LABELS));
  private readonly outputTokens = this.registry.register(new Counter("litellm_output_tokens_metric", "Completion tokens", CALL_LABELS));
  private readonly totalTokens = this.registry.register(new Counter("litellm_total_tokens_metric", "Total tokens", CALL_LABELS));
  private readonly spend = this.registry.register(new Counter("litellm_spend_metric", "Spend in USD", [...CALL_LABELS, "hashed_api_key", "team"]));
  private readonly retries = this.registry.register(new Counter("litellm_deployment_retries_total", "Retries made by the router", CALL_LABELS));
  private readonly fallbacks = this.registry.register(new Counter("litellm_deployment_fallbacks_total", "Fallbacks taken by the router", CALL_LABELS));

  constructor(state: () => RouterState) {
    this.registry.register(
      new Gauge("litellm_deployment_cooled_down", "1 while a deployment is cooling down", ["model_id"]).onCollect(() =>
        state().cooldowns().map((c) => [{ model_id: c.id }, 1]),
      ),
    );
    this.registry.register(
      new Gauge("litellm_process_resident_memory_bytes", "Resident memory of the gateway process", []).onCollect(() => [[{}, process.memoryUsage.rss()]]),
    );
  }

  /** Adds a health or state gauge computed at scrape time (db, redis, agent runs by state). */
  gauge(name: string, help: string, labels: string[], collect: () => Array<[Record<string, string>, number]>): void {
    this.registry.register(new Gauge(name, help, labels).onCollect(collect));
  }

  record(r: CallRecord): void {
    if (r.req.callType === "acount_tokens") return;
    const k = labelKey(r.upstreamModel ?? r.req.model, r.modelGroup ?? "", r.deployment?.id ?? "", r.deployment?.providerName ?? "", r.req.route);
    const status = String(r.error?.status ?? 200);
    this.requests.incKey(labelKey(k, status));
    if (r.status === "failure") this.failed.incKey(labelKey(k, r.error?.kind ?? "Unknown", status));
    const totalS = (r.endMs - r.req.startMs) / 1000;
    this.total.observeKey(k, totalS);
    if (r.deployment && (r.status === "success" || r.upstreamMs > 0)) {
      const upS = r.upstreamMs / 1000;
      this.upstream.observeKey(k, upS);
      const firstByteS = r.completionStartMs ? (r.completionStartMs - r.req.startMs) / 1000 : totalS;
      this.overhead.observeKey(k, Math.max(0, (r.req.stream ? firstByteS : totalS) - upS));
      if (r.req.stream && r.completionStartMs) this.ttft.observeKey(k, firstByteS);
    }
    if (r.usage) {
      this.inputTokens.incKey(k, r.usage.promptTokens);
      this.outputTokens.incKey(k, r.usage.completionTokens);
      this.totalTokens.incKey(k, r.usage.totalTokens);
    }
    if (r.cost) this.spend.incKey(labelKey(k, r.req.auth.apiKeyHash ?? "", r.req.auth.teamId ?? ""), r.cost);
    if (r.retries) this.retries.incKey(k, r.retries);
    if (r.fallbacks) this.fallbacks.incKey(k, r.fallbacks);
  }

  render(): string {
    return this.registry.render();
  }
}

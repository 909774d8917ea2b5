import type { CallRecord, CallSink } from "../gateway/types.ts";
import type { RouterState } from "../router/state.ts";
import { Counter, Gauge, Histogram, labelKey, Registry } from "./registry.ts";

const CALL_LABELS = ["model", "model_group", "model_id", "api_provider", "route"] as const;

interface CallKeys {
  /** model, model_group, model_id, api_provider, route */
  k: string;
  group: string;
  provider: string;
  /** `k` with status 200 */
  ok: string;
  /** key hash -> team -> the spend series key */
  spend: Map<string, Map<string, string>>;
}

const MAX_CACHED_KEYS = 10_000;
const MAX_SPEND_KEYS = 1_000;

function spendKey(ck: CallKeys, keyHash: string, team: string): string {
  let byTeam = ck.spend.get(keyHash);
  let out = byTeam?.get(team);
  if (out !== undefined) return out;
  if (ck.spend.size >= MAX_SPEND_KEYS) ck.spend.clear();
  if (!byTeam) ck.spend.set(keyHash, (byTeam = new Map()));
  out = labelKey(ck.k, keyHash, team);
  byTeam.set(team, out);
  return out;
}

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

  /** Series keys per call label set, so a call like the last ones builds no key strings. */
  private readonly keys = new Map<string, Map<string, Map<string, CallKeys>>>();
  private keyCount = 0;

  private callKeys(r: CallRecord): CallKeys {
    const model = r.upstreamModel ?? r.req.model;
    const deployment = r.deployment?.id ?? "";
    const group = r.modelGroup ?? "";
    const known = this.keys.get(r.req.route)?.get(deployment)?.get(model);
    if (known?.group === group && known.provider === (r.deployment?.providerName ?? "")) return known;
    if (this.keyCount >= MAX_CACHED_KEYS) {
      this.keys.clear();
      this.keyCount = 0;
    }
    const provider = r.deployment?.providerName ?? "";
    const k = labelKey(model, group, deployment, provider, r.req.route);
    const entry: CallKeys = { k, group, provider, ok: labelKey(k, "200"), spend: new Map() };
    let byRoute = this.keys.get(r.req.route);
    if (!byRoute) this.keys.set(r.req.route, (byRoute = new Map()));
    let byModel = byRoute.get(deployment);
    if (!byModel) byRoute.set(deployment, (byModel = new Map()));
    byModel.set(model, entry);
    this.keyCount++;
    return entry;
  }

  record(r: CallRecord): void {
    if (r.req.callType === "acount_tokens") return;
    const ck = this.callKeys(r);
    const k = ck.k;
    const status = String(r.error?.status ?? 200);
    this.requests.incKey(status === "200" ? ck.ok : labelKey(k, status));
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
    if (r.cost) this.spend.incKey(spendKey(ck, r.req.auth.apiKeyHash ?? "", r.req.auth.teamId ?? ""), r.cost);
    if (r.retries) this.retries.incKey(k, r.retries);
    if (r.fallbacks) this.fallbacks.incKey(k, r.fallbacks);
  }

  render(): string {
    return this.registry.render();
  }
}

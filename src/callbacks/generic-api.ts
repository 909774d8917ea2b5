import type { GatewayConfig } from "../config/index.ts";
import type { Logger } from "../log.ts";
import { deliverEach, pendingSize, QueuedSink, type Pending } from "./hub.ts";
import { deliver } from "./http.ts";
import { JsonText } from "./json-text.ts";
import type { LoggedCall } from "./logged-call.ts";
import { BatchQueue, type QueueStats } from "./queue.ts";
import { batchDefaults, type EventFilter } from "./settings.ts";

type LogFormat = "json_array" | "ndjson" | "single";

export interface GenericApiOptions {
  name: string;
  endpoint: string;
  headers: Record<string, string>;
  logFormat: LogFormat;
  filter: EventFilter;
}

/** `GENERIC_LOGGER_HEADERS`: `key1=value1,key2=value2`. */
function envHeaders(v: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (v ?? "").split(",")) {
    const eq = item.indexOf("=");
    if (eq > 0) out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

/**
 * LiteLLM's GenericAPILogger settings for `name`: its `callback_settings` entry (endpoint, headers,
 * event_types, log_format), else `GENERIC_LOGGER_ENDPOINT`; headers from `GENERIC_LOGGER_HEADERS`,
 * then `litellm_settings.generic_logger_headers`, then the entry's own.
 */
export function genericApiOptions(name: string, filter: EventFilter, config: GatewayConfig): GenericApiOptions | string {
  const s = config.callbackSettings[name];
  const endpoint = s?.endpoint ?? config.env.GENERIC_LOGGER_ENDPOINT;
  if (!endpoint) return `${name}: no endpoint (set callback_settings.${name}.endpoint or GENERIC_LOGGER_ENDPOINT)`;
  const events = s?.event_types;
  return {
    name,
    endpoint,
    headers: { "Content-Type": "application/json", ...envHeaders(config.env.GENERIC_LOGGER_HEADERS), ...(config.litellm.generic_logger_headers ?? {}), ...(s?.headers ?? {}) },
    logFormat: s?.log_format ?? "json_array",
    filter: events ? { success: filter.success && events.includes("llm_api_success"), failure: filter.failure && events.includes("llm_api_failure") } : filter,
  };
}

/** StandardLoggingPayloads POSTed in batches: a JSON array (default), NDJSON, or one request each. */
export class GenericApiSink extends QueuedSink<JsonText> {
  readonly name: string;
  readonly filter: EventFilter;
  protected readonly queue: BatchQueue<Pending<JsonText>>;

  constructor(
    private readonly o: GenericApiOptions,
    env: Readonly<Record<string, string | undefined>>,
    stats: QueueStats,
    log: Logger,
  ) {
    super();
    this.name = o.name;
    this.filter = o.filter;
    const d = batchDefaults(env);
    this.queue = new BatchQueue<Pending<JsonText>>({
      name: o.name,
      batchSize: d.batchSize,
      flushMs: d.flushMs,
      sizeOf: pendingSize,
      send: (batch) => this.send(batch),
      stats,
      log,
    });
  }

  protected build(call: LoggedCall): JsonText {
    return call.payloadText();
  }

  private async send(batch: Array<Pending<JsonText>>): Promise<void> {
    const { endpoint, headers } = this.o;
    if (this.o.logFormat !== "single") {
      const jsons = batch.map((p) => this.out(p));
      const body = this.o.logFormat === "ndjson" ? JsonText.list(jsons, "", "\n", "") : JsonText.list(jsons);
      await deliver(endpoint, { headers, body });
      return;
    }
    await deliverEach(batch, 16, (p) => deliver(endpoint, { headers, body: this.out(p) }));
  }
}

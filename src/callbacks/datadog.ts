import type { Logger } from "../log.ts";
import { bodyBytes } from "./body.ts";
import { pendingSize, QueuedSink, type Pending } from "./hub.ts";
import { deliver } from "./http.ts";
import { JsonText } from "./json-text.ts";
import type { LoggedCall } from "./logged-call.ts";
import { BatchQueue, type QueueStats } from "./queue.ts";
import { batchDefaults, envCount, type EventFilter } from "./settings.ts";

type Env = Readonly<Record<string, string | undefined>>;

/** Datadog's limits: 1,000 entries and 5 MB (uncompressed) per request, 1 MB per log. */
const MAX_ENTRIES = 1000;
const MAX_REQUEST_BYTES = 4_500_000;
const MAX_LOG_CHARS = 900_000;
/** LiteLLM's `truncate_standard_logging_payload_content`: these fields, past this many characters, are cut. */
const TRUNCATED_FIELDS = ["error_str", "messages", "response"] as const;
const MAX_FIELD_CHARS = 10_000;
const TRUNCATED = "...truncated by litellm, this logger does not support large content";

export interface DatadogOptions {
  intakeUrl: string;
  apiKey?: string;
  source: string;
  service: string;
  hostname: string;
  baseTags: string[];
  batchSize: number;
  flushMs: number;
}

/**
 * LiteLLM's DataDogLogger settings: `DD_API_KEY` + `DD_SITE` (logs intake
 * `https://http-intake.logs.<site>/api/v2/logs`), or a Datadog agent (`LITELLM_DD_AGENT_HOST`,
 * `LITELLM_DD_AGENT_PORT`), or `DD_BASE_URL`; `DD_SOURCE`, `DD_SERVICE`, `DD_ENV`, `DD_VERSION`,
 * `HOSTNAME`, `POD_NAME`, `DD_BATCH_SIZE`.
 */
export function datadogOptions(env: Env): DatadogOptions | string {
  let intakeUrl: string;
  const agent = env.LITELLM_DD_AGENT_HOST;
  if (agent) intakeUrl = `http://${agent}:${env.LITELLM_DD_AGENT_PORT ?? "10518"}/api/v2/logs`;
  else {
    if (!env.DD_API_KEY) return "datadog: DD_API_KEY is not set";
    if (!env.DD_SITE && !env.DD_BASE_URL) return "datadog: DD_SITE is not set";
    intakeUrl = `https://http-intake.logs.${env.DD_SITE}/api/v2/logs`;
  }
  if (env.DD_BASE_URL) intakeUrl = `${env.DD_BASE_URL.replace(/\/+$/, "")}/api/v2/logs`;
  const service = env.DD_SERVICE ?? "litellm-server";
  const hostname = env.HOSTNAME ?? "";
  const d = batchDefaults(env);
  return {
    intakeUrl,
    apiKey: env.DD_API_KEY,
    source: env.DD_SOURCE ?? "litellm",
    service,
    hostname,
    baseTags: [`env:${env.DD_ENV ?? "unknown"}`, `service:${service}`, `version:${env.DD_VERSION ?? "unknown"}`, `HOSTNAME:${hostname}`, `POD_NAME:${env.POD_NAME ?? "unknown"}`],
    batchSize: Math.min(MAX_ENTRIES, envCount(env.DD_BATCH_SIZE, MAX_ENTRIES)),
    flushMs: d.flushMs,
  };
}

/**
 * The payload as Datadog's `message`, as LiteLLM's DataDogLogger writes it: `error_str`, `messages`
 * and `response` over 10,000 characters become their text cut there (LiteLLM cuts Python's `str()`
 * of the value; this cuts its JSON), so a long prompt is never sent whole to the logs intake.
 */
export function datadogMessage(call: LoggedCall): string {
  const p = call.payload();
  const cut: Record<string, unknown> = {};
  for (const k of TRUNCATED_FIELDS) {
    const v = p[k];
    if (!v) continue;
    // Masked before the cut, so no part of a secret is left at the end of the text kept.
    const text = call.scrubText(typeof v === "string" ? JsonText.of(v) : k === "messages" ? call.messagesText() : call.json(v));
    if (text.length > MAX_FIELD_CHARS) cut[k] = `${text.head(MAX_FIELD_CHARS)}${TRUNCATED}`;
  }
  const text = call.scrub(JSON.stringify(Object.keys(cut).length ? { ...p, ...cut } : p));
  return text.length > MAX_LOG_CHARS ? `${text.slice(0, MAX_LOG_CHARS)}${TRUNCATED}` : text;
}

/**
 * Each StandardLoggingPayload as one Datadog log (`message` is its JSON), sent gzip'd to the logs
 * intake v2.
 */
export class DatadogSink extends QueuedSink<string> {
  readonly name = "datadog";
  protected readonly queue: BatchQueue<Pending<string>>;

  constructor(
    readonly filter: EventFilter,
    private readonly o: DatadogOptions,
    stats: QueueStats,
    log: Logger,
  ) {
    super();
    this.queue = new BatchQueue<Pending<string>>({
      name: "datadog",
      batchSize: o.batchSize,
      flushMs: o.flushMs,
      flushBytes: MAX_REQUEST_BYTES,
      sizeOf: pendingSize,
      send: (batch) => this.send(batch),
      stats,
      log,
    });
  }

  protected build(call: LoggedCall): string {
    const p = call.payload();
    const tags = [...this.o.baseTags, ...p.request_tags.map((t) => `request_tag:${t}`)];
    const team = p.metadata.user_api_key_team_alias ?? p.metadata.team_alias ?? p.metadata.user_api_key_team_id ?? p.metadata.team_id;
    if (team) tags.push(`team:${team}`);
    return JSON.stringify({
      ddsource: this.o.source,
      ddtags: tags.join(","),
      hostname: this.o.hostname,
      message: datadogMessage(call),
      service: this.o.service,
      status: call.kind === "failure" ? "error" : "info",
    });
  }

  private async send(batch: Array<Pending<string>>): Promise<void> {
    const headers: Record<string, string> = { "Content-Encoding": "gzip", "Content-Type": "application/json" };
    if (this.o.apiKey) headers["DD-API-KEY"] = this.o.apiKey;
    for (let i = 0; i < batch.length; ) {
      const chunk: string[] = [];
      let bytes = 0;
      while (i < batch.length && (chunk.length === 0 || bytes + this.out(batch[i]!).length < MAX_REQUEST_BYTES)) {
        const entry = this.out(batch[i++]!);
        bytes += entry.length;
        chunk.push(entry);
      }
      await deliver(this.o.intakeUrl, { headers, body: Bun.gzipSync(bodyBytes({ parts: ["[", chunk.join(","), "]"] })) as Uint8Array<ArrayBuffer> });
      batch.splice(0, chunk.length);
      i = 0;
    }
  }
}

import type { Logger } from "../log.ts";
import { VERSION } from "../version.ts";
import { pendingSize, QueuedSink, type Pending } from "./hub.ts";
import { deliver } from "./http.ts";
import { JsonText } from "./json-text.ts";
import type { LoggedCall } from "./logged-call.ts";
import { loggingId } from "./payload.ts";
import { BatchQueue, type QueueStats } from "./queue.ts";
import { REDACTED } from "./redact.ts";
import { requestMetadata, requestTools, sessionIdOf } from "./request-meta.ts";
import { envCount, envNumber, type EventFilter } from "./settings.ts";

type Obj = Record<string, unknown>;
type Env = Readonly<Record<string, string | undefined>>;

export interface LangfuseProject {
  host: string;
  publicKey: string;
  secretKey: string;
}

/** Langfuse rejects batches over 3.5 MB; events are sent in batches under this. */
const MAX_BATCH_BYTES = 3_000_000;
const MAX_EVENT_BYTES = 2_500_000;
/** LiteLLM drops these keys from the metadata it logs. */
const SKIPPED_METADATA = new Set(["headers", "endpoint", "caching_groups", "previous_models"]);

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const withScheme = (h: string) => (/^https?:\/\//.test(h) ? h : `http://${h}`).replace(/\/+$/, "");

/** The project a call is logged to: the key's or team's `langfuse_*` callback vars, else `LANGFUSE_*`. */
export function langfuseProject(call: LoggedCall, env: Env): LangfuseProject | undefined {
  const v = call.dyn?.vars ?? {};
  const publicKey = v.langfuse_public_key ?? env.LANGFUSE_PUBLIC_KEY;
  const secretKey = v.langfuse_secret_key ?? v.langfuse_secret ?? env.LANGFUSE_SECRET_KEY;
  if (!publicKey || !secretKey) return undefined;
  return { publicKey, secretKey, host: withScheme(v.langfuse_host ?? env.LANGFUSE_HOST ?? "https://cloud.langfuse.com") };
}

/** Request headers `langfuse_<key>` override metadata `<key>` (LiteLLM's `add_metadata_from_header`). */
function metadataFor(call: LoggedCall): Obj {
  const meta: Obj = { ...requestMetadata(call.rec.req) };
  for (const [k, v] of call.rec.req.headers) if (k.startsWith("langfuse_")) meta[k.slice("langfuse_".length)] = v;
  return meta;
}

const iso = (ms: number) => new Date(ms).toISOString();

function primitiveParams(p: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(p)) if (k !== "tools" && k !== "functions") out[k] = typeof v === "object" && v !== null ? JSON.stringify(v) : v;
  return out;
}

/**
 * The `trace-create` and `generation-create` events LiteLLM's Langfuse logger (`_log_langfuse_v2`)
 * makes of one call, in the ingestion API's shape (camelCase bodies in event envelopes).
 */
export function langfuseEvents(call: LoggedCall, opts: { release?: string; defaultTags: string[] }): Obj[] {
  const { rec } = call;
  const { req } = rec;
  const p = call.payload();
  const meta = metadataFor(call);
  const failed = rec.status === "failure";
  const error = failed ? call.scrub(rec.error?.message ?? "error") : undefined;

  const clean: Obj = {};
  for (const [k, v] of Object.entries(meta)) if (!SKIPPED_METADATA.has(k)) clean[k] = v;
  for (const [k, v] of Object.entries(p.metadata)) if (k.startsWith("user_api_key") && !(k in clean)) clean[k] = v;
  const take = (k: string) => {
    const v = clean[k];
    delete clean[k];
    return v;
  };
  const tags = [...p.request_tags];
  for (const k of opts.defaultTags) if (k in clean) tags.push(`${k}:${String(clean[k])}`);
  const sessionId = (take("session_id") as string | undefined) ?? sessionIdOf(req, {});
  const traceName = take("trace_name") as string | undefined;
  const traceId = (take("trace_id") as string | undefined) ?? req.callId;
  const existingTraceId = take("existing_trace_id") as string | undefined;
  const updateKeys = (take("update_trace_keys") as string[] | undefined) ?? [];
  take("debug_langfuse");
  const maskInput = take("mask_input") === true || call.contentOff;
  const maskOutput = take("mask_output") === true || call.contentOff;

  const prompt: Obj = { messages: call.messages() };
  const tools = requestTools(req);
  if (tools && !call.contentOff) prompt.tools = tools;
  const input = maskInput ? REDACTED : prompt;
  const answer = call.answer();
  const output = failed ? error : maskOutput ? REDACTED : (answer?.message ?? null);

  let trace: Obj;
  if (existingTraceId) {
    trace = { id: existingTraceId };
    for (const k of updateKeys) {
      const key = k.replace("trace_", "");
      if (key in trace) continue;
      if (k === "input") trace.input = input;
      else if (k === "output") trace.output = output;
      else if (clean[k] !== undefined) trace[key] = take(k);
    }
    for (const k of Object.keys(clean)) if (k.startsWith("trace_")) delete clean[k];
  } else {
    trace = {
      id: traceId,
      name: traceName ?? `litellm-${req.callType}`,
      sessionId,
      input,
      version: take("trace_version") ?? clean.version,
      userId: p.metadata.user_api_key_end_user_id ?? (p.end_user || undefined),
      release: opts.release,
    };
    for (const k of Object.keys(clean)) {
      if (!k.startsWith("trace_")) continue;
      const key = k.slice("trace_".length);
      trace[key === "user_id" ? "userId" : key] = take(k);
    }
    if (!failed) trace.output = output;
    trace.tags = tags;
  }

  clean.litellm_response_cost = rec.cost;
  clean.hidden_params = p.hidden_params;
  if (p.api_base) clean.api_base = p.api_base;
  clean.cache_hit = false;

  const u = rec.usage;
  const alias = p.metadata.user_api_key_alias;
  const generationName = (take("generation_name") as string | undefined) ?? (alias ? `litellm:${alias}` : `litellm-${req.callType}`);
  const requester = isObj(clean.requester_metadata) ? clean.requester_metadata : {};
  const genMeta: Obj = {};
  for (const [k, v] of Object.entries(clean)) if (!(k in requester)) genMeta[k] = v;
  genMeta.requester_metadata = requester;
  const generation: Obj = {
    id: (take("generation_id") as string | undefined) ?? (rec.responseId ? loggingId(req.startMs, rec.responseId) : crypto.randomUUID()),
    traceId: trace.id,
    name: generationName,
    startTime: iso(req.startMs),
    endTime: iso(rec.endMs),
    completionStartTime: iso(rec.completionStartMs ?? rec.endMs),
    model: rec.upstreamModel ?? req.model,
    modelParameters: primitiveParams(p.model_parameters),
    input,
    output,
    metadata: genMeta,
    level: failed ? "ERROR" : "DEFAULT",
    version: take("version"),
  };
  if (failed) generation.statusMessage = error;
  if (typeof meta.parent_observation_id === "string") generation.parentObservationId = meta.parent_observation_id;
  if (u) {
    generation.usage = { input: u.promptTokens, output: u.completionTokens, total: u.totalTokens, unit: "TOKENS", totalCost: rec.cost };
    generation.usageDetails = { input: u.promptTokens, output: u.completionTokens, total: u.totalTokens, cache_creation_input_tokens: u.cacheCreationTokens, cache_read_input_tokens: u.cacheReadTokens };
    generation.costDetails = { total: rec.cost };
  }
  const now = new Date().toISOString();
  return [
    { id: crypto.randomUUID(), type: "trace-create", timestamp: now, body: trace },
    { id: crypto.randomUUID(), type: "generation-create", timestamp: now, body: generation },
  ];
}

/** An event too big for Langfuse's batch limit keeps everything but its input (and output, if still too big). */
function fitted(call: LoggedCall, ev: Obj): JsonText {
  let json = call.scrubText(call.stringify(ev));
  if (json.length <= MAX_EVENT_BYTES) return json;
  const body = { ...(ev.body as Obj) };
  for (const k of ["input", "output"]) {
    if (body[k] === undefined) continue;
    body[k] = `[truncated by litellm-rust: ${call.stringify(body[k]).length} characters over Langfuse's batch limit]`;
    json = call.scrubText(call.stringify({ ...ev, body }));
    if (json.length <= MAX_EVENT_BYTES) break;
  }
  return json;
}

/** A call's events for one project. */
interface ProjectEvents {
  project: LangfuseProject;
  events: JsonText[];
}

/** Traces and generations through Langfuse's `/api/public/ingestion` batch API. */
export class LangfuseSink extends QueuedSink<ProjectEvents> {
  readonly name = "langfuse";
  protected readonly queue: BatchQueue<Pending<ProjectEvents>>;
  private readonly release?: string;
  private readonly defaultTags: string[];

  constructor(
    readonly filter: EventFilter,
    private readonly env: Env,
    defaultTags: string[] | undefined,
    stats: QueueStats,
    private readonly log: Logger,
  ) {
    super();
    this.release = env.LANGFUSE_RELEASE;
    this.defaultTags = defaultTags ?? [];
    this.queue = new BatchQueue<Pending<ProjectEvents>>({
      name: "langfuse",
      batchSize: envCount(env.LANGFUSE_FLUSH_AT, 15),
      flushMs: envNumber(env.LANGFUSE_FLUSH_INTERVAL, 1) * 1000,
      flushBytes: MAX_BATCH_BYTES,
      sizeOf: pendingSize,
      send: (batch) => this.send(batch),
      stats,
      log,
    });
  }

  override accept(call: LoggedCall): void {
    if (langfuseProject(call, this.env)) this.queue.push({ call });
    else this.queue.drop("not_configured");
  }

  protected build(call: LoggedCall): ProjectEvents {
    return { project: langfuseProject(call, this.env)!, events: langfuseEvents(call, { release: this.release, defaultTags: this.defaultTags }).map((ev) => fitted(call, ev)) };
  }

  private async send(batch: Array<Pending<ProjectEvents>>): Promise<void> {
    const groups = new Map<string, ProjectEvents>();
    for (const p of batch) {
      const { project, events } = this.out(p);
      const k = `${project.host}\u0000${project.publicKey}\u0000${project.secretKey}`;
      (groups.get(k) ?? groups.set(k, { project, events: [] }).get(k)!).events.push(...events);
    }
    for (const { project, events } of groups.values()) {
      const { host, publicKey, secretKey } = project;
      const auth = `Basic ${Buffer.from(`${publicKey}:${secretKey}`).toString("base64")}`;
      for (let i = 0; i < events.length; ) {
        const chunk: JsonText[] = [];
        let bytes = 0;
        while (i < events.length && (chunk.length === 0 || bytes + events[i]!.length < MAX_BATCH_BYTES)) {
          bytes += events[i]!.length;
          chunk.push(events[i++]!);
        }
        const meta = JSON.stringify({ batch_size: chunk.length, sdk_integration: "litellm", sdk_name: "litellm-rust", sdk_version: VERSION, public_key: publicKey });
        const text = await deliver(`${host}/api/public/ingestion`, {
          headers: { "content-type": "application/json", authorization: auth, "x-langfuse-sdk-name": "litellm-rust", "x-langfuse-sdk-version": VERSION, "x-langfuse-public-key": publicKey },
          body: JsonText.list(chunk, `{"batch":[`, ",", `],"metadata":${meta}}`),
        });
        this.reportRejected(text);
      }
    }
  }

  /** A 207 lists events Langfuse refused (validation errors); those are not retried. */
  private reportRejected(text: string): void {
    try {
      const errors = (JSON.parse(text) as { errors?: Array<{ id: string; status: number; message?: string }> }).errors ?? [];
      if (errors.length) this.log.warn(`langfuse: ${errors.length} events rejected`, { first: `${errors[0]!.status} ${errors[0]!.message ?? ""}`.trim() });
    } catch {
      /* not JSON: nothing to report */
    }
  }
}

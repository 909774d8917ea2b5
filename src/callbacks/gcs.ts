import type { Logger } from "../log.ts";
import { ADC_ENV, defaultCredentials } from "../providers/vertex_ai/adc.ts";
import { loadCredentials, type GoogleCredentials } from "../providers/vertex_ai/credentials.ts";
import { accessToken } from "../providers/vertex_ai/token.ts";
import { deliver, sendAux } from "./http.ts";
import { deliverEach, pendingSize, QueuedSink, type Pending } from "./hub.ts";
import type { JsonText } from "./json-text.ts";
import type { LoggedCall } from "./logged-call.ts";
import { BatchQueue, SendError, type QueueStats } from "./queue.ts";
import { envCount, envNumber, type EventFilter } from "./settings.ts";

type Env = Readonly<Record<string, string | undefined>>;

const UPLOAD_CONCURRENCY = 8;

interface GcsObject {
  bucket: string;
  serviceAccount?: string;
  name: string;
  body: JsonText;
}

/** LiteLLM's `_handle_folders_in_bucket_name`: `bucket/folder/sub` puts objects under `folder/sub/`. */
function splitBucket(bucket: string, name: string): { bucket: string; name: string } {
  const slash = bucket.indexOf("/");
  return slash < 0 ? { bucket, name } : { bucket: bucket.slice(0, slash), name: `${bucket.slice(slash + 1).replace(/\/+$/, "")}/${name}` };
}

/** LiteLLM's object names: `<YYYY-MM-DD>/<response id>`, failures `<YYYY-MM-DD>/failure-<uuid hex>` (UTC date of logging). */
export function gcsObjectName(call: LoggedCall): string {
  const date = new Date().toISOString().slice(0, 10);
  const custom = call.rec.req.body.metadata as Record<string, unknown> | undefined;
  if (typeof custom?.gcs_log_id === "string") return custom.gcs_log_id;
  if (call.kind === "failure") return `${date}/failure-${crypto.randomUUID().replace(/-/g, "")}`;
  return `${date}/${call.rec.responseId ?? call.rec.req.callId}`;
}

/**
 * LiteLLM's GCS bucket logger: each StandardLoggingPayload uploaded as a JSON object through the
 * GCS JSON API (`uploadType=media`) to `GCS_BUCKET_NAME` with `GCS_PATH_SERVICE_ACCOUNT`'s token
 * (or Application Default Credentials); a key's or team's `gcs_bucket_name` and
 * `gcs_path_service_account` callback vars override both. `STORAGE_EMULATOR_HOST` points it at an
 * emulator, as Google's client libraries do.
 */
export class GcsSink extends QueuedSink<GcsObject> {
  readonly name = "gcs_bucket";
  protected readonly queue: BatchQueue<Pending<GcsObject>>;
  private readonly base: string;

  constructor(
    readonly filter: EventFilter,
    private readonly env: Env,
    stats: QueueStats,
    log: Logger,
  ) {
    super();
    const emulator = env.STORAGE_EMULATOR_HOST;
    this.base = emulator ? (/^https?:\/\//.test(emulator) ? emulator : `http://${emulator}`).replace(/\/+$/, "") : "https://storage.googleapis.com";
    this.queue = new BatchQueue<Pending<GcsObject>>({
      name: "gcs_bucket",
      batchSize: envCount(env.GCS_BATCH_SIZE, 2048),
      flushMs: envNumber(env.GCS_FLUSH_INTERVAL, 20) * 1000,
      sizeOf: pendingSize,
      send: (batch) => this.upload(batch),
      stats,
      log,
    });
  }

  /** The bucket a call goes to: the key's or team's `gcs_bucket_name`, else GCS_BUCKET_NAME. */
  private bucketOf(call: LoggedCall): string | undefined {
    return call.dyn?.vars.gcs_bucket_name ?? this.env.GCS_BUCKET_NAME;
  }

  override accept(call: LoggedCall): void {
    if (this.bucketOf(call)) this.queue.push({ call });
    else this.queue.drop("not_configured");
  }

  protected build(call: LoggedCall): GcsObject {
    const sa = call.dyn?.vars.gcs_path_service_account ?? this.env.GCS_PATH_SERVICE_ACCOUNT;
    return { bucket: this.bucketOf(call)!, serviceAccount: sa, name: gcsObjectName(call), body: call.payloadText() };
  }

  private credentials(path: string | undefined): GoogleCredentials {
    if (path) return loadCredentials(path);
    return defaultCredentials({ model: "", apiBase: "", params: Object.fromEntries(ADC_ENV.map((n) => [`env:${n}`, this.env[n]])) });
  }

  private async headers(serviceAccount: string | undefined): Promise<Record<string, string>> {
    const h: Record<string, string> = { "content-type": "application/json" };
    if (this.env.STORAGE_EMULATOR_HOST && !serviceAccount) return h;
    try {
      h.authorization = `Bearer ${await accessToken(this.credentials(serviceAccount), sendAux)}`;
    } catch (e) {
      throw new SendError(`gcs credentials: ${(e as Error).message}`, true);
    }
    return h;
  }

  /** GCS has no batch upload: one POST per object; what failed is tried again. */
  private async upload(batch: Array<Pending<GcsObject>>): Promise<void> {
    await deliverEach(batch, UPLOAD_CONCURRENCY, async (p) => {
      const o = this.out(p);
      const { bucket, name } = splitBucket(o.bucket, o.name);
      const url = `${this.base}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=media&name=${encodeURIComponent(name)}`;
      await deliver(url, { headers: await this.headers(o.serviceAccount), body: o.body });
    });
  }
}

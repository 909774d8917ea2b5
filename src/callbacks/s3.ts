import { S3Client } from "bun";
import type { GatewayConfig } from "../config/index.ts";
import type { Logger } from "../log.ts";
import { AWS_CHAIN_ENV, resolveAwsCredentials } from "../providers/aws/credentials.ts";
import { bodyBytes } from "./body.ts";
import { sendAux } from "./http.ts";
import { deliverEach, pendingSize, QueuedSink, type Pending } from "./hub.ts";
import type { JsonText } from "./json-text.ts";
import type { LoggedCall } from "./logged-call.ts";
import { loggingId } from "./payload.ts";
import { BatchQueue, SendError, type QueueStats } from "./queue.ts";
import { batchDefaults, type EventFilter } from "./settings.ts";

type Params = Record<string, unknown>;

interface S3Object {
  key: string;
  filename: string;
  body: JsonText;
}

const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
const flag = (v: unknown) => v === true || (typeof v === "string" && /^true$/i.test(v));
const num = (v: unknown) => (typeof v === "number" ? v : typeof v === "string" && v.trim() ? Number(v) : undefined);
const UPLOAD_CONCURRENCY = 16;

/** LiteLLM's `get_s3_object_key`: `<s3_path>/<prefix><YYYY-MM-DD>/time-HH-MM-SS-ffffff_<id>.json` (UTC). */
export function s3ObjectKey(s3Path: string | undefined, prefix: string, startMs: number, id: string): string {
  const base = s3Path ? `${s3Path.replace(/\/+$/, "")}/` : "";
  const date = new Date(startMs).toISOString().slice(0, 10);
  return `${base}${prefix}${date}/${loggingId(startMs, id).replace(/[/:]/g, "_")}.json`;
}

/** The Content-Disposition file name LiteLLM gives each object (`time-<date>T<time>_<id>.json`). */
function downloadName(startMs: number, id: string): string {
  const d = new Date(startMs).toISOString();
  return `time-${d.slice(0, 10)}T${d.slice(11, 19).replace(/:/g, "-")}-${d.slice(20, 23)}000_${id.replace(/[/"]/g, "_")}.json`;
}

/**
 * `litellm_settings.s3_callback_params` (LiteLLM's names: s3_bucket_name, s3_region_name,
 * s3_endpoint_url, s3_path, s3_aws_access_key_id, s3_aws_secret_access_key, s3_aws_session_token,
 * s3_aws_role_name, s3_aws_session_name, s3_aws_profile_name, s3_aws_web_identity_token,
 * s3_aws_sts_endpoint, s3_use_team_prefix, s3_use_key_prefix, s3_use_virtual_hosted_style,
 * s3_flush_interval, s3_batch_size).
 */
export function s3Params(config: GatewayConfig): Params | string {
  const p = config.litellm.s3_callback_params ?? {};
  if (!str(p.s3_bucket_name)) return "s3: litellm_settings.s3_callback_params.s3_bucket_name is not set";
  return p;
}

/** StandardLoggingPayloads as JSON objects in an S3-compatible bucket (Bun's S3 client), one object per call. */
export class S3Sink extends QueuedSink<S3Object> {
  readonly name = "s3";
  protected readonly queue: BatchQueue<Pending<S3Object>>;
  private readonly region: string;

  constructor(
    readonly filter: EventFilter,
    private readonly p: Params,
    private readonly env: Readonly<Record<string, string | undefined>>,
    stats: QueueStats,
    log: Logger,
  ) {
    super();
    this.region = str(p.s3_region_name) ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
    const d = batchDefaults(env);
    this.queue = new BatchQueue<Pending<S3Object>>({
      name: "s3",
      batchSize: num(p.s3_batch_size) ?? d.s3BatchSize,
      flushMs: (num(p.s3_flush_interval) ?? d.s3FlushMs / 1000) * 1000,
      sizeOf: pendingSize,
      send: (batch) => this.upload(batch),
      stats,
      log,
    });
    if (str(p.s3_server_side_encryption) || str(p.s3_sse_kms_key_id)) {
      log.warn("s3: s3_server_side_encryption / s3_sse_kms_key_id are not sent per object; set the bucket's default encryption instead");
    }
  }

  protected build(call: LoggedCall): S3Object {
    const p = call.payload();
    const parts: string[] = [];
    if (flag(this.p.s3_use_team_prefix) && p.metadata.user_api_key_team_alias) parts.push(p.metadata.user_api_key_team_alias);
    if (flag(this.p.s3_use_key_prefix) && p.metadata.user_api_key_alias) parts.push(p.metadata.user_api_key_alias);
    const prefix = parts.length ? `${parts.join("/")}/` : "";
    const start = call.rec.req.startMs;
    return { key: s3ObjectKey(str(this.p.s3_path), prefix, start, p.id), filename: downloadName(start, p.id), body: call.payloadText() };
  }

  /** Credentials as LiteLLM's S3 logger gets them: the s3_aws_* params, else AWS's default chain. */
  private async client(): Promise<S3Client> {
    const p = this.p;
    const params: Params = {
      aws_access_key_id: str(p.s3_aws_access_key_id) ?? this.env.AWS_ACCESS_KEY_ID,
      aws_secret_access_key: str(p.s3_aws_secret_access_key) ?? this.env.AWS_SECRET_ACCESS_KEY,
      aws_session_token: str(p.s3_aws_session_token) ?? this.env.AWS_SESSION_TOKEN,
      aws_role_name: p.s3_aws_role_name,
      aws_session_name: p.s3_aws_session_name,
      aws_profile_name: p.s3_aws_profile_name,
      aws_web_identity_token: p.s3_aws_web_identity_token,
      aws_sts_endpoint: p.s3_aws_sts_endpoint,
      ...Object.fromEntries(AWS_CHAIN_ENV.map((n) => [`env:${n}`, this.env[n]])),
    };
    let creds;
    try {
      creds = await resolveAwsCredentials({ model: "", apiBase: "", params }, this.region, sendAux);
    } catch (e) {
      throw new SendError(`s3 credentials: ${(e as Error).message}`, true);
    }
    return new S3Client({
      bucket: str(p.s3_bucket_name),
      region: this.region,
      endpoint: str(p.s3_endpoint_url),
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
      virtualHostedStyle: flag(p.s3_use_virtual_hosted_style),
    });
  }

  /** One PUT per object (S3 has no batch put), a few at a time; what failed is tried again. */
  private async upload(batch: Array<Pending<S3Object>>): Promise<void> {
    const client = await this.client();
    await deliverEach(batch, UPLOAD_CONCURRENCY, (p) => {
      const o = this.out(p);
      return client.write(o.key, bodyBytes(o.body), { type: "application/json", contentDisposition: `inline; filename="${o.filename}"` });
    });
  }
}

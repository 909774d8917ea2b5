import { GatewayError } from "../../errors.ts";
import type { UpstreamRequest } from "../types.ts";
import { awsAuthError } from "./errors.ts";
import type { TemporaryCredentials } from "./temporary.ts";

type Send = (r: UpstreamRequest) => Promise<Response>;

export const ECS_HOST = "http://169.254.170.2";
export const IMDS_BASE = "http://169.254.169.254";
/** botocore's wait: metadata endpoints answer at once where they exist; elsewhere waiting longer only delays the error. */
const METADATA_TIMEOUT_MS = 1000;

interface MetadataCreds {
  AccessKeyId?: string;
  SecretAccessKey?: string;
  Token?: string;
  Expiration?: string;
}

function fromJson(text: string, what: string): TemporaryCredentials {
  let j: MetadataCreds;
  try {
    j = JSON.parse(text) as MetadataCreds;
  } catch {
    throw awsAuthError(`${what} did not answer JSON`);
  }
  if (!j.AccessKeyId || !j.SecretAccessKey) throw awsAuthError(`${what} answered without AccessKeyId/SecretAccessKey`);
  const exp = j.Expiration ? Date.parse(j.Expiration) : NaN;
  return { accessKeyId: j.AccessKeyId, secretAccessKey: j.SecretAccessKey, sessionToken: j.Token || undefined, expiresAt: Number.isFinite(exp) ? exp : undefined };
}

async function get(send: Send, req: UpstreamRequest, what: string): Promise<string> {
  let res: Response;
  try {
    res = await send({ ...req, timeoutMs: METADATA_TIMEOUT_MS });
  } catch (e) {
    if (e instanceof GatewayError && e.status === 499) throw e;
    throw awsAuthError(`${what} unreachable (${(e as Error).message.replace(/^litellm\.\w+: /, "")})`);
  }
  const text = await res.text();
  if (!res.ok) throw awsAuthError(`${what} answered HTTP ${res.status}`);
  return text;
}

/** ECS/EKS Pod Identity container credentials: the full URI, or the relative one on 169.254.170.2. */
export async function containerCredentials(send: Send, o: { fullUri?: string; relativeUri?: string; authToken?: string }): Promise<TemporaryCredentials> {
  const url = o.fullUri ?? `${ECS_HOST}${o.relativeUri}`;
  const headers: Record<string, string> = { accept: "application/json" };
  if (o.authToken) headers.authorization = o.authToken;
  return fromJson(await get(send, { url, method: "GET", headers }, "container credentials endpoint"), "container credentials endpoint");
}

/** EC2 instance-role credentials over IMDSv2: a session token (PUT), the role name, then its credentials. */
export async function instanceCredentials(send: Send, base = IMDS_BASE): Promise<TemporaryCredentials> {
  const root = base.replace(/\/+$/, "");
  const what = `EC2 instance metadata (${root})`;
  const token = (await get(send, { url: `${root}/latest/api/token`, method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "21600" } }, what)).trim();
  const headers = { "x-aws-ec2-metadata-token": token };
  const roles = await get(send, { url: `${root}/latest/meta-data/iam/security-credentials/`, method: "GET", headers }, what);
  const role = roles.split("\n").map((s) => s.trim()).find(Boolean);
  if (!role) throw awsAuthError(`${what} has no instance role attached`);
  return fromJson(await get(send, { url: `${root}/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`, method: "GET", headers }, what), what);
}

import type { UpstreamRequest } from "../types.ts";
import { signV4, type AwsCredentials } from "../bedrock/sigv4.ts";
import { awsAuthError } from "./errors.ts";
import type { TemporaryCredentials } from "./temporary.ts";

type Send = (r: UpstreamRequest) => Promise<Response>;

const STS_VERSION = "2011-06-15";

/** The STS endpoint: `aws_sts_endpoint` when set, else the regional one (the global one for us-east-1). */
export function stsEndpoint(configured: string | undefined, region: string): string {
  if (configured) return configured;
  return region === "us-east-1" ? "https://sts.amazonaws.com" : `https://sts.${region}.amazonaws.com`;
}

/** The SigV4 region for STS: the one in an `sts.<region>.amazonaws.com` endpoint, else the deployment's. */
export function stsRegion(endpoint: string, fallback: string): string {
  let host = "";
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return fallback;
  }
  return /(?:^|\.)sts(?:-fips)?\.([a-z0-9-]+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/.exec(host)?.[1] ?? (host === "sts.amazonaws.com" ? "us-east-1" : fallback);
}

const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const unescapeXml = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");

/** The `<Credentials>` of an AssumeRole / AssumeRoleWithWebIdentity answer. */
export function parseStsCredentials(xml: string): TemporaryCredentials | undefined {
  const block = /<Credentials>([\s\S]*?)<\/Credentials>/.exec(xml)?.[1];
  if (!block) return undefined;
  const id = tag(block, "AccessKeyId");
  const secret = tag(block, "SecretAccessKey");
  if (!id || !secret) return undefined;
  const token = tag(block, "SessionToken");
  const exp = tag(block, "Expiration");
  const expiresAt = exp ? Date.parse(exp) : NaN;
  return { accessKeyId: unescapeXml(id), secretAccessKey: unescapeXml(secret), sessionToken: token ? unescapeXml(token) : undefined, expiresAt: Number.isFinite(expiresAt) ? expiresAt : undefined };
}

async function call(send: Send, url: string, headers: Record<string, string>, body: string, what: string): Promise<TemporaryCredentials> {
  const res = await send({ url, method: "POST", headers, body });
  const text = await res.text();
  if (!res.ok) {
    const code = tag(text, "Code") ?? `HTTP ${res.status}`;
    const msg = tag(text, "Message") ?? "";
    throw awsAuthError(`${what} failed: ${code}${msg ? ` ${unescapeXml(msg)}` : ""}`);
  }
  const creds = parseStsCredentials(text);
  if (!creds) throw awsAuthError(`${what} answered without Credentials`);
  return creds;
}

const form = (p: Record<string, string>) => new URLSearchParams(p).toString();
const FORM = "application/x-www-form-urlencoded; charset=utf-8";

/** STS AssumeRole: a SigV4-signed Query API call with the source credentials. */
export async function assumeRole(
  send: Send,
  o: { endpoint: string; region: string; roleArn: string; sessionName: string; source: AwsCredentials; externalId?: string; durationSeconds?: number },
): Promise<TemporaryCredentials> {
  const body = form({
    Action: "AssumeRole",
    Version: STS_VERSION,
    RoleArn: o.roleArn,
    RoleSessionName: o.sessionName,
    DurationSeconds: String(o.durationSeconds ?? 3600),
    ...(o.externalId ? { ExternalId: o.externalId } : {}),
  });
  const url = `${o.endpoint.replace(/\/+$/, "")}/`;
  const headers = await signV4({ method: "POST", url, headers: { "content-type": FORM }, body }, o.source, { region: stsRegion(o.endpoint, o.region), service: "sts" });
  return call(send, url, headers, body, `STS AssumeRole (${o.roleArn})`);
}

/** STS AssumeRoleWithWebIdentity: unsigned, authenticated by the OIDC token itself. */
export async function assumeRoleWithWebIdentity(
  send: Send,
  o: { endpoint: string; roleArn: string; sessionName: string; token: string; durationSeconds?: number },
): Promise<TemporaryCredentials> {
  const body = form({
    Action: "AssumeRoleWithWebIdentity",
    Version: STS_VERSION,
    RoleArn: o.roleArn,
    RoleSessionName: o.sessionName,
    WebIdentityToken: o.token,
    DurationSeconds: String(o.durationSeconds ?? 3600),
  });
  return call(send, `${o.endpoint.replace(/\/+$/, "")}/`, { "content-type": FORM }, body, `STS AssumeRoleWithWebIdentity (${o.roleArn})`);
}

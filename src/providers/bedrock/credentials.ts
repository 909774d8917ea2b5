import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { GatewayError } from "../../errors.ts";
import type { Target, UpstreamRequest } from "../types.ts";
import { signV4, type AwsCredentials } from "./sigv4.ts";

type Send = (r: UpstreamRequest) => Promise<Response>;

interface Cached {
  creds: AwsCredentials;
  /** epoch ms after which they are fetched again (a margin before `Expiration`) */
  refreshAt: number;
}

const cache = new Map<string, Cached>();
const inflight = new Map<string, Promise<Cached>>();

const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
const fail = (message: string) => new GatewayError(401, `litellm.AuthenticationError: BedrockException - ${message}`, { kind: "AuthenticationError" });

const IMDS = "http://169.254.169.254";
const ECS = "http://169.254.170.2";
const MARGIN_MS = 5 * 60_000;
/** Metadata endpoints answer at once where they exist; elsewhere the chain must not hang on them. */
const METADATA_TIMEOUT_MS = 1000;

function refreshAt(expiration: string | undefined): number {
  const t = expiration ? Date.parse(expiration) : NaN;
  return Number.isFinite(t) ? t - MARGIN_MS : Date.now() + 50 * 60_000;
}

/** Fetched once per key until shortly before they expire; concurrent callers share one fetch. */
async function cached(key: string, fetcher: () => Promise<Cached>): Promise<AwsCredentials> {
  const hit = cache.get(key);
  if (hit && Date.now() < hit.refreshAt) return hit.creds;
  let p = inflight.get(key);
  if (!p) {
    p = fetcher().finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  const fresh = await p;
  cache.set(key, fresh);
  return fresh.creds;
}

/** The INI sections of the shared credentials / config files: `[name]` and `[profile name]`. */
export function parseIni(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  let section: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+|\s+$/g, "");
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const head = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (head) {
      section = out.get(head[1]!) ?? {};
      out.set(head[1]!, section);
      continue;
    }
    const eq = line.indexOf("=");
    if (section && eq > 0) section[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return out;
}

function readIni(path: string): Map<string, Record<string, string>> {
  try {
    return parseIni(readFileSync(path, "utf8"));
  } catch {
    return new Map();
  }
}

/** A profile's settings: the credentials file first, then the config file (as the AWS CLI merges them). */
function profileSettings(p: Record<string, unknown>, name: string): Record<string, string> | undefined {
  const dir = join(homedir(), ".aws");
  const creds = readIni(str(p.aws_shared_credentials_file) ?? join(dir, "credentials")).get(name);
  const config = readIni(str(p.aws_config_file) ?? join(dir, "config")).get(name);
  return creds || config ? { ...config, ...creds } : undefined;
}

function fromSettings(s: Record<string, string> | undefined): AwsCredentials | undefined {
  if (!s?.aws_access_key_id || !s.aws_secret_access_key) return undefined;
  return { accessKeyId: s.aws_access_key_id, secretAccessKey: s.aws_secret_access_key, sessionToken: s.aws_session_token || undefined };
}

const xmlField = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

async function stsCall(send: Send, endpoint: string, region: string, form: Record<string, string>, signWith?: AwsCredentials): Promise<Cached> {
  const body = new URLSearchParams({ ...form, Version: "2011-06-15" }).toString();
  const url = `${endpoint.replace(/\/+$/, "")}/`;
  let headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded; charset=utf-8", accept: "application/xml" };
  if (signWith) headers = await signV4({ method: "POST", url, headers, body }, signWith, { region, service: "sts" });
  const res = await send({ url, method: "POST", headers, body });
  const xml = await res.text();
  if (!res.ok) throw fail(`STS ${form.Action} failed (${res.status}): ${(xmlField(xml, "Message") ?? xml).slice(0, 300)}`);
  const accessKeyId = xmlField(xml, "AccessKeyId");
  const secretAccessKey = xmlField(xml, "SecretAccessKey");
  if (!accessKeyId || !secretAccessKey) throw fail(`STS ${form.Action} returned no credentials`);
  return { creds: { accessKeyId, secretAccessKey, sessionToken: xmlField(xml, "SessionToken") }, refreshAt: refreshAt(xmlField(xml, "Expiration")) };
}

function fromJson(j: { AccessKeyId?: string; SecretAccessKey?: string; Token?: string; Expiration?: string }, where: string): Cached {
  if (!j.AccessKeyId || !j.SecretAccessKey) throw fail(`${where} returned no credentials`);
  return { creds: { accessKeyId: j.AccessKeyId, secretAccessKey: j.SecretAccessKey, sessionToken: j.Token }, refreshAt: refreshAt(j.Expiration) };
}

/** ECS / EKS Pod Identity: the container credentials endpoint. */
async function containerCredentials(p: Record<string, unknown>, send: Send): Promise<Cached> {
  const relative = str(p.aws_container_credentials_relative_uri);
  const url = relative ? `${ECS}${relative}` : str(p.aws_container_credentials_full_uri)!;
  let token = str(p.aws_container_authorization_token);
  const tokenFile = str(p.aws_container_authorization_token_file);
  if (!token && tokenFile) token = readFileSync(tokenFile, "utf8").trim();
  const res = await send({ url, method: "GET", headers: token ? { authorization: token } : {}, timeoutMs: METADATA_TIMEOUT_MS });
  if (!res.ok) throw fail(`container credentials endpoint answered ${res.status}`);
  return fromJson((await res.json()) as Record<string, string>, "the container credentials endpoint");
}

/** EC2 instance profile through IMDSv2 (session token first). */
async function instanceCredentials(p: Record<string, unknown>, send: Send): Promise<Cached> {
  const base = (str(p.aws_ec2_metadata_service_endpoint) ?? IMDS).replace(/\/+$/, "");
  const t = await send({ url: `${base}/latest/api/token`, method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "21600" }, timeoutMs: METADATA_TIMEOUT_MS });
  if (!t.ok) throw fail(`instance metadata token request answered ${t.status}`);
  const headers = { "x-aws-ec2-metadata-token": await t.text() };
  const list = await send({ url: `${base}/latest/meta-data/iam/security-credentials/`, method: "GET", headers, timeoutMs: METADATA_TIMEOUT_MS });
  const role = (await list.text()).split("\n")[0]?.trim();
  if (!list.ok || !role) throw fail("the instance has no IAM role");
  const res = await send({ url: `${base}/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`, method: "GET", headers, timeoutMs: METADATA_TIMEOUT_MS });
  if (!res.ok) throw fail(`instance metadata credentials answered ${res.status}`);
  return fromJson((await res.json()) as Record<string, string>, "instance metadata");
}

/**
 * The AWS default chain once explicit settings are exhausted: environment keys (already in the
 * params), web identity (EKS IRSA), the shared profile, container credentials, instance metadata.
 */
async function defaultChain(p: Record<string, unknown>, region: string, send: Send): Promise<AwsCredentials> {
  const tried: string[] = ["aws_access_key_id/aws_secret_access_key (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"];
  const tokenFile = str(p.aws_web_identity_token_file);
  const roleArn = str(p.aws_web_identity_role_arn);
  if (tokenFile && roleArn) return webIdentity(p, region, roleArn, readFileSync(tokenFile, "utf8").trim(), send);
  tried.push("AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN");
  const profile = str(p.aws_profile) ?? "default";
  const fromProfile = fromSettings(profileSettings(p, profile));
  if (fromProfile) return fromProfile;
  tried.push(`profile "${profile}" in ~/.aws/credentials`);
  if (str(p.aws_container_credentials_relative_uri) || str(p.aws_container_credentials_full_uri)) {
    return cached(`ecs|${str(p.aws_container_credentials_relative_uri) ?? p.aws_container_credentials_full_uri}`, () => containerCredentials(p, send));
  }
  tried.push("container credentials (AWS_CONTAINER_CREDENTIALS_*_URI)");
  if (!/^true$/i.test(str(p.aws_ec2_metadata_disabled) ?? "")) {
    try {
      return await cached(`imds|${str(p.aws_ec2_metadata_service_endpoint) ?? IMDS}`, () => instanceCredentials(p, send));
    } catch (e) {
      tried.push(`instance metadata (${(e as Error).message.replace(/^.*BedrockException - /, "")})`);
    }
  }
  throw fail(`no AWS credentials found; tried ${tried.join(", ")}. Set them, or api_key for a Bedrock API key`);
}

function stsEndpoint(p: Record<string, unknown>, region: string): string {
  return str(p.aws_sts_endpoint) ?? `https://sts.${region}.amazonaws.com`;
}

function webIdentity(p: Record<string, unknown>, region: string, roleArn: string, token: string, send: Send): Promise<AwsCredentials> {
  const session = str(p.aws_session_name) ?? "litellm-rust";
  return cached(`web|${roleArn}|${session}|${token}`, () =>
    stsCall(send, stsEndpoint(p, region), region, { Action: "AssumeRoleWithWebIdentity", RoleArn: roleArn, RoleSessionName: session, WebIdentityToken: token }),
  );
}

/** Static keys, else a named profile, else the default chain. */
async function baseCredentials(p: Record<string, unknown>, region: string, send: Send): Promise<AwsCredentials> {
  const accessKeyId = str(p.aws_access_key_id);
  const secretAccessKey = str(p.aws_secret_access_key);
  if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey, sessionToken: str(p.aws_session_token) };
  const profile = str(p.aws_profile_name);
  if (profile) {
    const creds = fromSettings(profileSettings(p, profile));
    if (!creds) throw fail(`aws_profile_name "${profile}": no aws_access_key_id/aws_secret_access_key in ~/.aws/credentials or ~/.aws/config`);
    return creds;
  }
  return defaultChain(p, region, send);
}

/**
 * The credentials a Bedrock call is signed with, as LiteLLM resolves them (`BaseAWSLLM.get_credentials`):
 * `aws_web_identity_token` + `aws_role_name` (AssumeRoleWithWebIdentity), `aws_role_name`
 * (AssumeRole from the base credentials), `aws_profile_name`, static keys, then AWS's default chain.
 * Temporary credentials are cached until five minutes before they expire.
 */
export async function awsCredentials(t: Target, region: string, send: Send): Promise<AwsCredentials> {
  const p = t.params;
  const role = str(p.aws_role_name);
  const webToken = str(p.aws_web_identity_token);
  if (webToken && role) return webIdentity(p, region, role, webToken, send);
  if (role) {
    const base = await baseCredentials(p, region, send);
    const session = str(p.aws_session_name) ?? "litellm-rust";
    const external = str(p.aws_external_id);
    return cached(`role|${base.accessKeyId}|${role}|${session}|${external ?? ""}`, () =>
      stsCall(send, stsEndpoint(p, region), region, { Action: "AssumeRole", RoleArn: role, RoleSessionName: session, ...(external ? { ExternalId: external } : {}) }, base),
    );
  }
  return baseCredentials(p, region, send);
}

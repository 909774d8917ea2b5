import { readFileSync } from "node:fs";
import type { Target, UpstreamRequest } from "../types.ts";
import type { AwsCredentials } from "../bedrock/sigv4.ts";
import { awsAuthError } from "./errors.ts";
import { containerCredentials, IMDS_BASE, instanceCredentials } from "./metadata.ts";
import { awsFiles, readProfile, type AwsFiles } from "./profile.ts";
import { assumeRole, assumeRoleWithWebIdentity, stsEndpoint } from "./sts.ts";
import { cachedCredentials } from "./temporary.ts";

type Send = (r: UpstreamRequest) => Promise<Response>;

/** Env vars the AWS credential chain reads, captured at boot into `params["env:NAME"]`. */
export const AWS_CHAIN_ENV = [
  "HOME",
  "AWS_PROFILE",
  "AWS_DEFAULT_PROFILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_ARN",
  "AWS_ROLE_SESSION_NAME",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT",
  "AWS_EC2_METADATA_DISABLED",
] as const;

/** LiteLLM's default when `aws_session_name` is unset; fixed per process so cached sessions are reused. */
const DEFAULT_SESSION_NAME = `litellm-session-${Math.floor(Date.now() / 1000)}`;

const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);

interface Ctx {
  p: Readonly<Record<string, unknown>>;
  region: string;
  send: Send;
  files: AwsFiles;
}

const env = (c: Ctx, name: (typeof AWS_CHAIN_ENV)[number]) => str(c.p[`env:${name}`]);
const sts = (c: Ctx) => stsEndpoint(str(c.p.aws_sts_endpoint), c.region);

function staticKeys(p: Readonly<Record<string, unknown>>): AwsCredentials | undefined {
  const accessKeyId = str(p.aws_access_key_id);
  const secretAccessKey = str(p.aws_secret_access_key);
  return accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey, sessionToken: str(p.aws_session_token) } : undefined;
}

function readTokenFile(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch (e) {
    throw awsAuthError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function webIdentity(c: Ctx, roleArn: string, sessionName: string, token: () => string, id: string) {
  return cachedCredentials(`web|${sts(c)}|${roleArn}|${sessionName}|${id}`, () =>
    assumeRoleWithWebIdentity(c.send, { endpoint: sts(c), roleArn, sessionName, token: token() }),
  );
}

async function role(c: Ctx, roleArn: string, sessionName: string, source: AwsCredentials, externalId?: string): Promise<AwsCredentials> {
  return cachedCredentials(`role|${sts(c)}|${roleArn}|${sessionName}|${externalId ?? ""}|${source.accessKeyId}`, () =>
    assumeRole(c.send, { endpoint: sts(c), region: c.region, roleArn, sessionName, source, externalId }),
  );
}

/** A named profile: its keys, or `role_arn` + `source_profile` assumed through STS. */
async function profile(c: Ctx, name: string, depth = 0): Promise<AwsCredentials | undefined> {
  const s = readProfile(c.files, name);
  if (!s) return undefined;
  if (s.role_arn) {
    if (depth > 4) throw awsAuthError(`profile "${name}": source_profile chain too deep`);
    const sourceName = s.source_profile;
    const source = sourceName ? await profile(c, sourceName, depth + 1) : undefined;
    if (!source) throw awsAuthError(`profile "${name}" has role_arn but its source_profile ${sourceName ? `"${sourceName}" has no credentials` : "is not set"}`);
    return role(c, s.role_arn, s.role_session_name ?? DEFAULT_SESSION_NAME, source, s.external_id);
  }
  if (s.aws_access_key_id && s.aws_secret_access_key) return { accessKeyId: s.aws_access_key_id, secretAccessKey: s.aws_secret_access_key, sessionToken: s.aws_session_token || undefined };
  if (s.credential_process || s.sso_session || s.sso_start_url) throw awsAuthError(`profile "${name}" uses credential_process/SSO, which is not supported; use keys, role_arn + source_profile, or a role`);
  return undefined;
}

/** botocore's default chain after the env keys: web identity env, shared profile, container, IMDS. */
async function defaultChain(c: Ctx): Promise<AwsCredentials> {
  const tried: string[] = ["env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (unset)"];
  const tokenFile = env(c, "AWS_WEB_IDENTITY_TOKEN_FILE");
  const roleArn = env(c, "AWS_ROLE_ARN");
  if (tokenFile && roleArn) {
    return webIdentity(c, roleArn, env(c, "AWS_ROLE_SESSION_NAME") ?? DEFAULT_SESSION_NAME, () => readTokenFile(tokenFile, "AWS_WEB_IDENTITY_TOKEN_FILE"), tokenFile);
  }
  tried.push("web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN unset)");
  const name = env(c, "AWS_PROFILE") ?? env(c, "AWS_DEFAULT_PROFILE") ?? "default";
  const fromProfile = await profile(c, name);
  if (fromProfile) return fromProfile;
  tried.push(`shared profile "${name}" (${c.files.credentialsFile}, ${c.files.configFile})`);
  const fullUri = env(c, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  const relativeUri = env(c, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  if (fullUri || relativeUri) {
    const tokenPath = env(c, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    return cachedCredentials(`ecs|${fullUri ?? relativeUri}`, () =>
      containerCredentials(c.send, {
        fullUri,
        relativeUri,
        authToken: tokenPath ? readTokenFile(tokenPath, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") : env(c, "AWS_CONTAINER_AUTHORIZATION_TOKEN"),
      }),
    );
  }
  tried.push("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI unset)");
  if (env(c, "AWS_EC2_METADATA_DISABLED")?.toLowerCase() === "true") {
    tried.push("EC2 instance metadata (AWS_EC2_METADATA_DISABLED=true)");
  } else {
    const base = env(c, "AWS_EC2_METADATA_SERVICE_ENDPOINT") ?? IMDS_BASE;
    try {
      return await cachedCredentials(`imds|${base}`, () => instanceCredentials(c.send, base));
    } catch (e) {
      if ((e as { status?: number }).status === 499) throw e;
      tried.push((e as Error).message.replace(/^litellm\.AuthenticationError: BedrockException - /, ""));
    }
  }
  throw awsAuthError(`no AWS credentials found; tried: ${tried.join("; ")}. Set aws_access_key_id/aws_secret_access_key, aws_profile_name, aws_role_name, aws_web_identity_token or api_key`);
}

/**
 * AWS credentials for a deployment in LiteLLM's precedence: `aws_web_identity_token` (+ role),
 * `aws_role_name` (AssumeRole from the keys, the profile or the default chain), `aws_profile_name`,
 * static keys (also from AWS_ACCESS_KEY_ID...), else the default chain. Temporary credentials are
 * cached until shortly before Expiration; STS and metadata calls go through `send`.
 */
export async function resolveAwsCredentials(t: Target, region: string, send: Send): Promise<AwsCredentials> {
  const p = t.params;
  const c: Ctx = { p, region, send, files: awsFiles(str(p["env:HOME"]), str(p["env:AWS_SHARED_CREDENTIALS_FILE"]), str(p["env:AWS_CONFIG_FILE"])) };
  const roleArn = str(p.aws_role_name);
  const sessionName = str(p.aws_session_name) ?? DEFAULT_SESSION_NAME;
  const webToken = str(p.aws_web_identity_token);
  if (webToken) {
    if (!roleArn) throw awsAuthError("aws_web_identity_token needs aws_role_name (the role ARN to assume)");
    return webIdentity(c, roleArn, sessionName, () => webToken, String(Bun.hash(webToken)));
  }
  const profileName = str(p.aws_profile_name);
  const fromProfile = async () => {
    const got = await profile(c, profileName!);
    if (!got) throw awsAuthError(`aws_profile_name "${profileName}" not found or without credentials in ${c.files.credentialsFile} or ${c.files.configFile}`);
    return got;
  };
  if (roleArn) {
    const source = staticKeys(p) ?? (profileName ? await fromProfile() : await defaultChain(c));
    return role(c, roleArn, sessionName, source, str(p.aws_external_id));
  }
  if (profileName) return fromProfile();
  return staticKeys(p) ?? defaultChain(c);
}

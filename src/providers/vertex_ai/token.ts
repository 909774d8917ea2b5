import { GatewayError } from "../../errors.ts";
import { secrets } from "../../redaction.ts";
import type { UpstreamRequest } from "../types.ts";
import type { AuthorizedUser, GoogleCredentials, ServiceAccount } from "./credentials.ts";
import { signJwt } from "./jwt.ts";

export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

interface Cached {
  token: string;
  /** epoch ms after which the token is refreshed (a margin before its real expiry) */
  refreshAt: number;
}

const tokens = new Map<string, Cached>();
const inflight = new Map<string, Promise<Cached>>();

const cacheKey = (c: GoogleCredentials) =>
  c.type === "gce_metadata"
    ? `gce|${c.host}`
    : c.type === "service_account"
      ? `${c.token_uri}|sa|${c.client_email}`
      : `${c.token_uri}|user|${c.client_id}|${c.refresh_token}`;

const METADATA_TIMEOUT_MS = 3000;

export const metadataUrl = (host: string, path: string) => `${/^https?:\/\//.test(host) ? host : `http://${host}`}/computeMetadata/v1/${path}`;

async function grantBody(c: ServiceAccount | AuthorizedUser, nowS: number): Promise<string> {
  if (c.type === "authorized_user") {
    return new URLSearchParams({ grant_type: "refresh_token", client_id: c.client_id, client_secret: c.client_secret, refresh_token: c.refresh_token }).toString();
  }
  const assertion = await signJwt(
    { iss: c.client_email, scope: CLOUD_PLATFORM_SCOPE, aud: c.token_uri, iat: nowS, exp: nowS + 3600 },
    c.private_key,
    c.private_key_id,
  );
  return new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString();
}

const authError = (msg: string) => new GatewayError(401, `litellm.AuthenticationError: VertexAIException - ${msg}`, { kind: "AuthenticationError" });

async function request(c: GoogleCredentials, send: (r: UpstreamRequest) => Promise<Response>, now: number): Promise<Response> {
  if (c.type === "gce_metadata") {
    const url = metadataUrl(c.host, "instance/service-accounts/default/token");
    try {
      return await send({ url, method: "GET", headers: { "metadata-flavor": "Google" }, timeoutMs: METADATA_TIMEOUT_MS });
    } catch (e) {
      if (e instanceof GatewayError && e.status === 499) throw e;
      throw authError(
        `no Google credentials found; tried vertex_credentials, GOOGLE_APPLICATION_CREDENTIALS, gcloud's application_default_credentials.json and the GCE metadata server ${c.host} (${(e as Error).message.replace(/^litellm\.\w+: /, "")}). Set vertex_credentials or api_key, or run \`gcloud auth application-default login\``,
      );
    }
  }
  const body = await grantBody(c, Math.floor(now / 1000));
  return send({ url: c.token_uri, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
}

async function exchange(c: GoogleCredentials, send: (r: UpstreamRequest) => Promise<Response>): Promise<Cached> {
  const now = Date.now();
  const res = await request(c, send, now);
  const text = await res.text();
  if (!res.ok) {
    const what = c.type === "gce_metadata" ? `GCE metadata server ${c.host} token request` : "token exchange";
    throw authError(`${what} failed (${res.status}): ${text.slice(0, 500)}`);
  }
  const j = JSON.parse(text) as { access_token?: string; expires_in?: number };
  if (!j.access_token) throw authError("token endpoint returned no access_token");
  const lifeMs = (j.expires_in ?? 3600) * 1000;
  return { token: j.access_token, refreshAt: now + lifeMs - Math.min(300_000, lifeMs / 2) };
}

/**
 * An OAuth access token for the credentials, cached until shortly before it expires. Concurrent
 * callers share one exchange. The exchange is sent by the core (`send`), never fetched here.
 */
export async function accessToken(c: GoogleCredentials, send: (r: UpstreamRequest) => Promise<Response>): Promise<string> {
  const key = cacheKey(c);
  const hit = tokens.get(key);
  if (hit && Date.now() < hit.refreshAt) return hit.token;
  let p = inflight.get(key);
  if (!p) {
    p = exchange(c, send).finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  const fresh = await p;
  tokens.set(key, fresh);
  secrets.set(`google:${key}`, [fresh.token]);
  return fresh.token;
}

const projects = new Map<string, Promise<string | undefined>>();

/** The instance's project id from the metadata server, asked once per host. */
export function metadataProject(host: string, send: (r: UpstreamRequest) => Promise<Response>): Promise<string | undefined> {
  let p = projects.get(host);
  if (!p) {
    p = send({ url: metadataUrl(host, "project/project-id"), method: "GET", headers: { "metadata-flavor": "Google" }, timeoutMs: METADATA_TIMEOUT_MS })
      .then(async (r) => (r.ok ? (await r.text()).trim() || undefined : undefined))
      .catch(() => undefined);
    projects.set(host, p);
    p.then((v) => v === undefined && projects.delete(host));
  }
  return p;
}

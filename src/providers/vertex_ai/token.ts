import { GatewayError } from "../../errors.ts";
import type { UpstreamRequest } from "../types.ts";
import type { GoogleCredentials } from "./credentials.ts";
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
  c.type === "service_account" ? `${c.token_uri}|sa|${c.client_email}` : `${c.token_uri}|user|${c.client_id}|${c.refresh_token}`;

async function grantBody(c: GoogleCredentials, nowS: number): Promise<string> {
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

async function exchange(c: GoogleCredentials, send: (r: UpstreamRequest) => Promise<Response>): Promise<Cached> {
  const now = Date.now();
  const body = await grantBody(c, Math.floor(now / 1000));
  const res = await send({ url: c.token_uri, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  const text = await res.text();
  if (!res.ok) {
    throw new GatewayError(401, `litellm.AuthenticationError: VertexAIException - token exchange failed (${res.status}): ${text.slice(0, 500)}`, {
      kind: "AuthenticationError",
    });
  }
  const j = JSON.parse(text) as { access_token?: string; expires_in?: number };
  if (!j.access_token) throw new GatewayError(401, "litellm.AuthenticationError: VertexAIException - token endpoint returned no access_token");
  const lifeMs = (j.expires_in ?? 3600) * 1000;
  return { token: j.access_token, refreshAt: now + lifeMs - Math.min(300_000, lifeMs / 2) };
}

/** A token cached under `key` until shortly before it expires; concurrent callers share one fetch. */
async function cachedToken(key: string, fetch: () => Promise<Cached>): Promise<string> {
  const hit = tokens.get(key);
  if (hit && Date.now() < hit.refreshAt) return hit.token;
  let p = inflight.get(key);
  if (!p) {
    p = fetch().finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  const fresh = await p;
  tokens.set(key, fresh);
  return fresh.token;
}

/**
 * An OAuth access token for the credentials, cached until shortly before it expires. Concurrent
 * callers share one exchange. The exchange is sent by the core (`send`), never fetched here.
 */
export function accessToken(c: GoogleCredentials, send: (r: UpstreamRequest) => Promise<Response>): Promise<string> {
  return cachedToken(cacheKey(c), () => exchange(c, send));
}

const METADATA_TIMEOUT_MS = 1000;

/** The GCE / Cloud Run / GKE metadata server: the attached service account's token and the project. */
export async function metadataGet(host: string, path: string, send: (r: UpstreamRequest) => Promise<Response>): Promise<Response> {
  const res = await send({ url: `http://${host}/computeMetadata/v1/${path}`, method: "GET", headers: { "metadata-flavor": "Google" }, timeoutMs: METADATA_TIMEOUT_MS });
  if (!res.ok) throw new GatewayError(401, `litellm.AuthenticationError: VertexAIException - metadata server answered ${res.status} for ${path}`, { kind: "AuthenticationError" });
  return res;
}

export function metadataToken(host: string, send: (r: UpstreamRequest) => Promise<Response>): Promise<string> {
  return cachedToken(`metadata|${host}`, async () => {
    const now = Date.now();
    const j = (await (await metadataGet(host, "instance/service-accounts/default/token", send)).json()) as { access_token?: string; expires_in?: number };
    if (!j.access_token) throw new GatewayError(401, "litellm.AuthenticationError: VertexAIException - metadata server returned no access_token");
    const lifeMs = (j.expires_in ?? 3600) * 1000;
    return { token: j.access_token, refreshAt: now + lifeMs - Math.min(300_000, lifeMs / 2) };
  });
}

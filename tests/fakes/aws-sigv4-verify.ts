import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Server-side SigV4 check for the fake Bedrock, written independently of the gateway's signer
 * (node:crypto, botocore's canonical form): recomputes the signature from the received request
 * with the secret the fake knows, so a wrong key, date, header or body fails.
 */
export interface VerifyResult {
  ok: boolean;
  reason?: string;
  accessKeyId?: string;
  sessionToken?: string;
}

const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (b: string | Uint8Array) => createHash("sha256").update(b).digest("hex");
const hmac = (k: Buffer | string, d: string) => createHmac("sha256", k).update(d).digest();

export function verifySigV4(
  /** `payloadHash`: S3's `x-amz-content-sha256` (e.g. UNSIGNED-PAYLOAD) instead of the body's hash. */
  req: { method: string; rawPath: string; search: string; headers: Headers; body: Uint8Array; payloadHash?: string },
  secrets: Record<string, string>,
  service: string,
  now = Date.now(),
): VerifyResult {
  const auth = req.headers.get("authorization") ?? "";
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, reason: "missing or malformed Authorization" };
  const [, keyId, day, region, svc, signedHeaders, signature] = m as unknown as string[];
  const secret = secrets[keyId!];
  if (!secret) return { ok: false, reason: `unknown access key ${keyId}` };
  if (svc !== service) return { ok: false, reason: `scope service ${svc} != ${service}` };
  const amzDate = req.headers.get("x-amz-date") ?? "";
  if (!amzDate.startsWith(day!)) return { ok: false, reason: "x-amz-date does not match the scope date" };
  const t = Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  if (!Number.isFinite(t) || Math.abs(now - t) > 5 * 60_000) return { ok: false, reason: "x-amz-date outside the 5 minute window" };
  const names = signedHeaders!.split(";");
  for (const required of ["host", "x-amz-date"]) if (!names.includes(required)) return { ok: false, reason: `${required} not signed` };
  if (req.headers.get("x-amz-security-token") && !names.includes("x-amz-security-token")) return { ok: false, reason: "session token not signed" };
  const canonicalUri = req.rawPath.split("/").map(rfc3986).join("/");
  const query = new URLSearchParams(req.search);
  const canonicalQuery = [...query].map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`).sort().join("&");
  const canonicalHeaders = names.map((n) => `${n}:${(req.headers.get(n) ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const creq = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, req.payloadHash ?? sha256(req.body)].join("\n");
  const scope = `${day}/${region}/${svc}/aws4_request`;
  const sts = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(creq)}`;
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day!), region!), svc!), "aws4_request");
  const expected = createHmac("sha256", key).update(sts).digest("hex");
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(signature!))) return { ok: false, reason: "signature mismatch" };
  return { ok: true, accessKeyId: keyId, sessionToken: req.headers.get("x-amz-security-token") ?? undefined };
}

/** AWS Signature Version 4 for request headers, with Web Crypto. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignInput {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

export interface SignOptions {
  region: string;
  service: string;
  date?: Date;
  /** Every AWS service but S3 signs the already-encoded path encoded once more (botocore's rule). */
  doubleEncodePath?: boolean;
}

const enc = new TextEncoder();
const hex = (b: ArrayBuffer) => Buffer.from(b).toString("hex");
const bytes = (v: string | Uint8Array<ArrayBuffer>) => (typeof v === "string" ? enc.encode(v) : v);

async function hmac(key: Uint8Array<ArrayBuffer> | ArrayBuffer, data: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", k, enc.encode(data));
}

export async function sha256Hex(data: string | Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", bytes(data)));
}

/** RFC 3986 encoding: everything but unreserved characters. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalPath(pathname: string, doubleEncode: boolean): string {
  const segs = pathname.split("/").map((seg) => {
    if (doubleEncode) return uriEncode(seg);
    try {
      return uriEncode(decodeURIComponent(seg));
    } catch {
      return uriEncode(seg);
    }
  });
  return segs.join("/") || "/";
}

function canonicalQuery(search: URLSearchParams): string {
  const pairs = [...search].map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

export const amzDate = (d: Date) => d.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");

const signingKeys = new Map<string, ArrayBuffer>();

async function signingKey(secret: string, day: string, region: string, service: string): Promise<ArrayBuffer> {
  const id = `${secret}\u0000${day}\u0000${region}\u0000${service}`;
  const hit = signingKeys.get(id);
  if (hit) return hit;
  const kDate = await hmac(enc.encode(`AWS4${secret}`), day);
  const kRegion = await hmac(kDate, region);
  const kService = await hmac(kRegion, service);
  const key = await hmac(kService, "aws4_request");
  if (signingKeys.size > 256) signingKeys.clear();
  signingKeys.set(id, key);
  return key;
}

/**
 * Returns the request's headers plus `x-amz-date`, `x-amz-security-token` (when a session token is
 * set) and `authorization`. Every given header is signed, and `host` from the URL.
 */
export async function signV4(req: SignInput, creds: AwsCredentials, opts: SignOptions): Promise<Record<string, string>> {
  const url = new URL(req.url);
  const date = amzDate(opts.date ?? new Date());
  const day = date.slice(0, 8);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k.toLowerCase()] = v;
  out["x-amz-date"] = date;
  if (creds.sessionToken) out["x-amz-security-token"] = creds.sessionToken;
  const signed: Record<string, string> = { ...out, host: url.host };
  const names = Object.keys(signed).sort();
  const canonicalHeaders = names.map((n) => `${n}:${signed[n]!.trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const canonical = [
    req.method.toUpperCase(),
    canonicalPath(url.pathname, opts.doubleEncodePath ?? true),
    canonicalQuery(url.searchParams),
    canonicalHeaders,
    signedHeaders,
    await sha256Hex(req.body ?? ""),
  ].join("\n");
  const scope = `${day}/${opts.region}/${opts.service}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${await sha256Hex(canonical)}`;
  const signature = hex(await hmac(await signingKey(creds.secretAccessKey, day, opts.region, opts.service), toSign));
  out.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return out;
}

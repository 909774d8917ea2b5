import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import nacl from "tweetnacl";

/**
 * LiteLLM's encryption of stored secrets (`encrypt_decrypt_utils.py`), keyed by LITELLM_SALT_KEY
 * (else the master key): legacy NaCl SecretBox over sha256(key), base64url(nonce ‖ box); and
 * `v3:gcm:` AES-256-GCM with an HKDF-SHA256 key (`v2:gcm:` with a plain sha256 key).
 */
const V3 = "v3:gcm:";
const V2 = "v2:gcm:";

const sha256 = (s: string) => createHash("sha256").update(s).digest();
const hkdfKey = (s: string) => Buffer.from(hkdfSync("sha256", Buffer.from(s), Buffer.alloc(0), Buffer.from("litellm-at-rest-v3"), 32));

function b64decode(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(s)) return undefined;
  return Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

function gcmDecrypt(key: Buffer, payload: string): string | undefined {
  const raw = b64decode(payload);
  if (!raw || raw.length < 12 + 16) return undefined;
  try {
    const d = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}

/** Decrypts one stored value; `undefined` when it is not ciphertext under this key (LiteLLM then keeps the original). */
export function decryptValue(value: string, signingKey: string): string | undefined {
  if (value.startsWith(V3)) return gcmDecrypt(hkdfKey(signingKey), value.slice(V3.length));
  if (value.startsWith(V2)) return gcmDecrypt(sha256(signingKey), value.slice(V2.length));
  const raw = b64decode(value);
  if (!raw || raw.length < 40) return undefined;
  const opened = nacl.secretbox.open(raw.subarray(24), raw.subarray(0, 24), sha256(signingKey));
  return opened ? Buffer.from(opened).toString("utf8") : undefined;
}

export function encryptValue(value: string, signingKey: string, algorithm: "aes-256-gcm" | "xsalsa20-poly1305" = "aes-256-gcm"): string {
  if (algorithm === "xsalsa20-poly1305") {
    const nonce = randomBytes(24);
    const box = nacl.secretbox(Buffer.from(value, "utf8"), nonce, sha256(signingKey));
    return Buffer.concat([nonce, box]).toString("base64url");
  }
  const nonce = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", hkdfKey(signingKey), nonce);
  const body = Buffer.concat([c.update(value, "utf8"), c.final()]);
  return V3 + Buffer.concat([nonce, body, c.getAuthTag()]).toString("base64url");
}

/** LiteLLM encrypts every string value of `litellm_params`; other values and plain text pass through. */
export function decryptParams(params: Record<string, unknown>, signingKey: string | undefined): Record<string, unknown> {
  if (!signingKey) return params;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v !== "string") {
      out[k] = v;
      continue;
    }
    const plain = decryptValue(v, signingKey);
    out[k] = plain ?? v;
  }
  return out;
}

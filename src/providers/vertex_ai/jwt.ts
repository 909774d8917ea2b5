const b64url = (bytes: Uint8Array | string) =>
  Buffer.from(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes).toString("base64url");

const keys = new Map<string, Promise<CryptoKey>>();

function importKey(pem: string): Promise<CryptoKey> {
  let k = keys.get(pem);
  if (!k) {
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
    k = crypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
    keys.set(pem, k);
  }
  return k;
}

/** An RS256-signed JWT (RFC 7519) from a PKCS#8 PEM key, as Google's service-account flow wants. */
export async function signJwt(claims: Record<string, unknown>, privateKeyPem: string, keyId?: string): Promise<string> {
  const header = { alg: "RS256", typ: "JWT", ...(keyId ? { kid: keyId } : {}) };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", await importKey(privateKeyPem), new TextEncoder().encode(input));
  return `${input}.${b64url(new Uint8Array(sig))}`;
}

/**
 * The key a request carries, in LiteLLM's precedence: x-litellm-api-key, Authorization,
 * API-Key, x-api-key, x-goog-api-key, Ocp-Apim-Subscription-Key; or a configured header name.
 * Returns "" for an Authorization header in a scheme LiteLLM cannot read (→ "Malformed API Key").
 */
export function extractApiKey(headers: Headers, customHeader?: string): string | undefined {
  if (customHeader) {
    const v = headers.get(customHeader);
    if (v) return stripBearer(v);
  }
  const litellm = headers.get("x-litellm-api-key");
  if (litellm) return stripBearer(litellm);
  const authz = headers.get("authorization");
  if (authz) return fromAuthorization(authz);
  return (
    headers.get("api-key") ??
    headers.get("x-api-key") ??
    headers.get("x-goog-api-key") ??
    headers.get("ocp-apim-subscription-key") ??
    undefined
  );
}

function stripBearer(v: string): string {
  return /^bearer /i.test(v) ? v.slice(7).trim() : v.trim();
}

function fromAuthorization(v: string): string {
  if (/^bearer /i.test(v)) return v.slice(7).trim();
  if (/^basic /i.test(v)) return v.slice(6).trim();
  const sigv4 = /Credential=Bearer (sk-[^/\s,]+)/.exec(v);
  if (sigv4) return sigv4[1]!;
  return "";
}

/** `abcd****wxyz`, how LiteLLM shows a rejected key in errors. */
export function maskKey(key: string): string {
  if (key.length <= 8) return "****";
  return `${key.slice(0, 4)}****${key.slice(-4)}`;
}

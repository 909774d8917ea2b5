import { createHmac, timingSafeEqual } from "node:crypto";

/** GitHub-style `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. */
export function verifySignature(secret: string, rawBody: Uint8Array, header: string | undefined | null): boolean {
  if (!header || !header.startsWith("sha256=")) return false;
  const given = Buffer.from(header.slice(7).trim(), "hex");
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function signBody(secret: string, rawBody: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}

/** The webhook payload reaches the prompt at `{{payload}}`, or after it when the prompt has no slot. */
export function promptWithPayload(prompt: string, payload: string): string {
  if (prompt.includes("{{payload}}")) return prompt.split("{{payload}}").join(payload);
  return `${prompt}\n\nWebhook payload:\n${payload}`;
}

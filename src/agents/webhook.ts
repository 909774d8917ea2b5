import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** How an agent's webhook checks deliveries: its secret, the timestamp tolerance and how long delivery ids are kept. */
export interface WebhookSettings {
  secret: string;
  toleranceMs: number;
  replayWindowMs: number;
}

export const DEFAULT_TOLERANCE_S = 300;
export const DEFAULT_REPLAY_WINDOW_S = 24 * 3600;

export type WebhookCheck =
  | { ok: true; scheme: "github" | "standard"; replayKey: string; deliveryId: string | null }
  | { ok: false; reason: string };

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

/** GitHub-style `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. */
export function verifySignature(secret: string, rawBody: Uint8Array, header: string | undefined | null): boolean {
  if (!header || !header.startsWith("sha256=")) return false;
  const given = Buffer.from(header.slice(7).trim(), "hex");
  return sameBytes(given, createHmac("sha256", secret).update(rawBody).digest());
}

export function signBody(secret: string, rawBody: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}

/** Standard Webhooks keys: `whsec_<base64>` is decoded as the scheme defines; any other secret is used as its bytes. */
function standardKey(secret: string): Buffer {
  return secret.startsWith("whsec_") ? Buffer.from(secret.slice(6), "base64") : Buffer.from(secret);
}

/** Standard Webhooks `webhook-signature`: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` (space-separated list). */
export function signStandard(secret: string, id: string, timestamp: number | string, rawBody: string | Uint8Array): string {
  const mac = createHmac("sha256", standardKey(secret)).update(`${id}.${timestamp}.`).update(rawBody).digest("base64");
  return `v1,${mac}`;
}

function checkStandard(s: WebhookSettings, raw: Uint8Array, header: (name: string) => string | undefined, now: number): WebhookCheck {
  const id = header("webhook-id");
  const ts = header("webhook-timestamp");
  const sigs = header("webhook-signature") ?? "";
  if (!id || !ts) return { ok: false, reason: "webhook-signature needs webhook-id and webhook-timestamp" };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: "webhook-timestamp must be whole seconds since the epoch" };
  const skew = Math.abs(now - Number(ts) * 1000);
  if (skew > s.toleranceMs) return { ok: false, reason: `webhook-timestamp is ${Math.round(skew / 1000)}s away from now (tolerance ${s.toleranceMs / 1000}s)` };
  const want = Buffer.from(signStandard(s.secret, id, ts, raw).slice(3), "base64");
  const match = sigs.split(" ").some((p) => p.startsWith("v1,") && sameBytes(Buffer.from(p.slice(3), "base64"), want));
  if (!match) return { ok: false, reason: "invalid webhook-signature" };
  return { ok: true, scheme: "standard", replayKey: `id:${id}`, deliveryId: id };
}

/**
 * Checks a delivery by the scheme its headers name and gives the key a replay is recognised by.
 * Standard Webhooks signs its id, so the id is the key. GitHub signs only the body (its
 * `X-GitHub-Delivery` could be changed by whoever captured a delivery), so the key is the body's
 * digest: GitHub's redelivery of an event is the same body, caught the same way.
 */
export function checkDelivery(s: WebhookSettings, raw: Uint8Array, header: (name: string) => string | undefined, now = Date.now()): WebhookCheck {
  if (header("webhook-signature") !== undefined) return checkStandard(s, raw, header, now);
  if (!verifySignature(s.secret, raw, header("x-hub-signature-256"))) return { ok: false, reason: "invalid or missing X-Hub-Signature-256 (or webhook-signature)" };
  return { ok: true, scheme: "github", replayKey: `body:${createHash("sha256").update(raw).digest("hex")}`, deliveryId: header("x-github-delivery") ?? null };
}

/** The webhook payload reaches the prompt at `{{payload}}`, or after it when the prompt has no slot. */
export function promptWithPayload(prompt: string, payload: string): string {
  if (prompt.includes("{{payload}}")) return prompt.split("{{payload}}").join(payload);
  return `${prompt}\n\nWebhook payload:\n${payload}`;
}

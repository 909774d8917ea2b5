import { describe, expect, test } from "bun:test";
import { checkDelivery, signStandard } from "../../../src/agents/webhook.ts";

const enc = (s: string) => new TextEncoder().encode(s);

describe("Standard Webhooks signatures", () => {
  test("match the scheme's published example (whsec_ secret decoded from base64)", () => {
    expect(signStandard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}')).toBe(
      "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    );
  });

  test("a delivery is accepted within the tolerance on either side and keyed by its id", () => {
    const s = { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", toleranceMs: 300_000, replayWindowMs: 600_000 };
    const body = '{"test": 2432232314}';
    const headers: Record<string, string> = { "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330", "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" };
    const at = (offsetS: number) => checkDelivery(s, enc(body), (h) => headers[h], (1614265330 + offsetS) * 1000);
    expect(at(299)).toEqual({ ok: true, scheme: "standard", replayKey: "id:msg_p5jXN8AQM9LWM0D4loKWxJek", deliveryId: "msg_p5jXN8AQM9LWM0D4loKWxJek" });
    expect(at(-299).ok).toBe(true);
    expect(at(301)).toEqual({ ok: false, reason: "webhook-timestamp is 301s away from now (tolerance 300s)" });
    expect(at(-301).ok).toBe(false);
  });
});

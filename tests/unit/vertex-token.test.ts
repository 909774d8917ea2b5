import { describe, expect, test } from "bun:test";
import { createVerify, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCredentials, type ServiceAccount } from "../../src/providers/vertex_ai/credentials.ts";
import { accessToken } from "../../src/providers/vertex_ai/token.ts";
import type { UpstreamRequest } from "../../src/providers/types.ts";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

function account(email: string): ServiceAccount {
  return { type: "service_account", client_email: email, private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), token_uri: "http://token.test/token", project_id: "p" };
}

function tokenServer(expiresIn: number) {
  const sent: UpstreamRequest[] = [];
  const send = async (r: UpstreamRequest) => {
    sent.push(r);
    await Bun.sleep(5);
    return Response.json({ access_token: `tok-${sent.length}`, expires_in: expiresIn });
  };
  return { sent, send };
}

describe("Vertex service-account token exchange", () => {
  test("signs an RS256 JWT-bearer grant that verifies with the account's public key", async () => {
    const s = tokenServer(3600);
    expect(await accessToken(account("a@x.iam"), s.send)).toBe("tok-1");
    const form = new URLSearchParams(String(s.sent[0]!.body));
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    const [h, c, sig] = form.get("assertion")!.split(".");
    expect(createVerify("RSA-SHA256").update(`${h}.${c}`).verify(publicKey, Buffer.from(sig!, "base64url"))).toBe(true);
    const claims = JSON.parse(Buffer.from(c!, "base64url").toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: "a@x.iam", aud: "http://token.test/token", scope: "https://www.googleapis.com/auth/cloud-platform" });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
  });

  test("caches until shortly before expiry, then exchanges again; concurrent callers share one exchange", async () => {
    const s = tokenServer(2);
    const acct = account("b@x.iam");
    const [t1, t2] = await Promise.all([accessToken(acct, s.send), accessToken(acct, s.send)]);
    expect([t1, t2]).toEqual(["tok-1", "tok-1"]);
    expect(await accessToken(acct, s.send)).toBe("tok-1");
    expect(s.sent.length).toBe(1);
    await Bun.sleep(1100);
    expect(await accessToken(acct, s.send)).toBe("tok-2");
  });

  test("a failed exchange is an authentication error and is not cached", async () => {
    let calls = 0;
    const send = async () => (++calls === 1 ? new Response('{"error":"invalid_grant"}', { status: 400 }) : Response.json({ access_token: "ok", expires_in: 3600 }));
    const acct = account("c@x.iam");
    const err = await accessToken(acct, send).catch((e: unknown) => e);
    expect((err as { status: number }).status).toBe(401);
    expect(await accessToken(acct, send)).toBe("ok");
  });
});

describe("vertex_credentials forms", () => {
  test("object, JSON string and file path give the same credentials", () => {
    const acct = account("d@x.iam");
    const file = join(mkdtempSync(join(tmpdir(), "lr-vc-")), "sa.json");
    writeFileSync(file, JSON.stringify(acct));
    expect(loadCredentials(acct)).toMatchObject({ client_email: "d@x.iam" });
    expect(loadCredentials(JSON.stringify(acct))).toMatchObject({ client_email: "d@x.iam" });
    expect(loadCredentials(file)).toMatchObject({ client_email: "d@x.iam", token_uri: "http://token.test/token" });
  });

  test("an unreadable path or a JSON without keys is an authentication error", () => {
    expect(() => loadCredentials("/nonexistent/sa.json")).toThrow(/cannot read/);
    expect(() => loadCredentials('{"type":"service_account"}')).toThrow(/neither a service account/);
  });
});

import { describe, expect, test } from "bun:test";
import { signV4 } from "../../src/providers/bedrock/sigv4.ts";

// AWS's published SigV4 test suite (aws-sig-v4-test-suite): credentials, scope and expected signatures.
const CREDS = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const OPTS = { region: "us-east-1", service: "service", date: new Date("2015-08-30T12:36:00Z"), doubleEncodePath: false };
const PREFIX = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";

async function auth(method: string, url: string, headers: Record<string, string> = {}, body = ""): Promise<string> {
  return (await signV4({ method, url, headers, body }, CREDS, OPTS)).authorization!;
}

describe("SigV4 against AWS's published test vectors", () => {
  test("get-vanilla", async () => {
    expect(await auth("GET", "https://example.amazonaws.com/")).toBe(
      `${PREFIX}SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31`,
    );
  });

  test("get-vanilla-query-order-key-case (query sorted)", async () => {
    expect(await auth("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1")).toEndWith(
      "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
    );
  });

  test("get-utf8 (path segment encoded)", async () => {
    expect(await auth("GET", "https://example.amazonaws.com/ሴ")).toEndWith(
      "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
    );
  });

  test("post-vanilla", async () => {
    expect(await auth("POST", "https://example.amazonaws.com/")).toEndWith(
      "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
    );
  });

  test("post-x-www-form-urlencoded (body hashed, content-type signed)", async () => {
    expect(await auth("POST", "https://example.amazonaws.com/", { "Content-Type": "application/x-www-form-urlencoded" }, "Param1=value1")).toBe(
      `${PREFIX}SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a`,
    );
  });

  test("a wrong secret gives a different signature", async () => {
    const good = await auth("GET", "https://example.amazonaws.com/");
    const bad = (await signV4({ method: "GET", url: "https://example.amazonaws.com/", headers: {} }, { ...CREDS, secretAccessKey: "x" }, OPTS)).authorization;
    expect(bad).not.toBe(good);
  });

  test("a session token is sent and signed", async () => {
    const h = await signV4({ method: "GET", url: "https://example.amazonaws.com/", headers: {} }, { ...CREDS, sessionToken: "TOKEN" }, OPTS);
    expect(h["x-amz-security-token"]).toBe("TOKEN");
    expect(h.authorization).toContain("SignedHeaders=host;x-amz-date;x-amz-security-token,");
  });

  test("bedrock paths are encoded twice in the canonical request (model ids hold ':')", async () => {
    const url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2%3A1/invoke";
    const once = await signV4({ method: "POST", url, headers: {} }, CREDS, OPTS);
    const twice = await signV4({ method: "POST", url, headers: {} }, CREDS, { ...OPTS, doubleEncodePath: true });
    expect(once.authorization).not.toBe(twice.authorization);
  });
});

import { describe, expect, test } from "bun:test";
import { encryptParams } from "../../src/db/db-model-store.ts";
import { decryptParams, decryptValue } from "../../src/db/secrets.ts";
import { pyRepr } from "../../src/http/management/litellm-errors.ts";

const SALT = "sk-salt-test-1234";
/** PyNaCl SecretBox of "sk-provider-secret" under SALT, as Python LiteLLM wrote it. */
const LITELLM_VECTOR = "1R2SoiONgiOvu8IEnLtHfi3j1kpy0e4fdDr6S41MuCLM2UclktV7THiglln-qBk5OtmdMnK3NSV7kA==";

describe("model params as /model/new stores them", () => {
  test("every string is a legacy SecretBox value (24-byte nonce ‖ box, base64url); other values kept; decrypts back", () => {
    const params = { model: "openai/gpt-x", api_key: "sk-raw-secret", api_base: "http://h/v1", rpm: 10, drop_params: true };
    const enc = encryptParams(params, SALT);
    for (const k of ["model", "api_key", "api_base"] as const) {
      const v = enc[k] as string;
      expect(v).not.toContain(params[k]);
      expect(v).toMatch(/^[A-Za-z0-9_-]+=*$/);
      expect(Buffer.from(v, "base64url").length).toBe(24 + 16 + Buffer.byteLength(params[k]));
    }
    expect(enc.rpm).toBe(10);
    expect(enc.drop_params).toBe(true);
    expect(decryptParams(enc, SALT)).toEqual(params);
    expect(decryptValue(enc.api_key as string, "another-key")).toBeUndefined();
  });

  test("a value Python LiteLLM wrote decrypts with the same reader", () => {
    expect(decryptValue(LITELLM_VECTOR, SALT)).toBe("sk-provider-secret");
    expect(decryptParams({ api_key: LITELLM_VECTOR, rpm: 3 }, SALT)).toEqual({ api_key: "sk-provider-secret", rpm: 3 });
  });
});

describe("LiteLLM's str(detail) messages", () => {
  test("Python repr quoting", () => {
    expect(pyRepr("Model with id=x not found in db")).toBe("'Model with id=x not found in db'");
    expect(pyRepr("Set `'STORE_MODEL_IN_DB='True'` in your env")).toBe("\"Set `'STORE_MODEL_IN_DB='True'` in your env\"");
    expect(pyRepr(`both ' and "`)).toBe(`'both \\' and "'`);
    expect(pyRepr("back\\slash")).toBe("'back\\\\slash'");
  });
});

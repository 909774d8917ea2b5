import { describe, expect, test } from "bun:test";
import { decryptParams, decryptValue, encryptValue } from "../../src/db/secrets.ts";

/**
 * Vectors made outside this project with the libraries LiteLLM uses, the way LiteLLM encrypts:
 *   PyNaCl:  base64.urlsafe_b64encode(SecretBox(sha256(b"sk-salt-test-1234")).encrypt(value))
 *   cryptography: "v3:gcm:" + urlsafe_b64(nonce + AESGCM(HKDF(SHA256, 32, salt=None,
 *                 info=b"litellm-at-rest-v3").derive(salt_key)).encrypt(nonce, value, None))
 */
const SALT = "sk-salt-test-1234";
const NACL_MODEL = "KqcsGUEyvj18pAxie88o8gWXt3lI64OZh-ZHw-6HqjN2WWc0Vkas0dCldih9Q0vWgBT1xwOwFxkAopg=";
const NACL_KEY = "1R2SoiONgiOvu8IEnLtHfi3j1kpy0e4fdDr6S41MuCLM2UclktV7THiglln-qBk5OtmdMnK3NSV7kA==";
const V3_BASE = "v3:gcm:AjPMp9LPJN13lRhZiXeMOfe5seGU4TmMiYrxbQVCmyWUELUfF6hxBYDtG6CRkve6FA==";

describe("LiteLLM at-rest encryption", () => {
  test("reads PyNaCl SecretBox values (legacy format)", () => {
    expect(decryptValue(NACL_MODEL, SALT)).toBe("openai/gpt-upstream");
    expect(decryptValue(NACL_KEY, SALT)).toBe("sk-provider-secret");
  });

  test("reads v3 AES-GCM values with the HKDF key", () => {
    expect(decryptValue(V3_BASE, SALT)).toBe("http://127.0.0.1:9/v1");
  });

  test("a wrong salt key or plain text is not decrypted", () => {
    expect(decryptValue(NACL_MODEL, "another-key")).toBeUndefined();
    expect(decryptValue(V3_BASE, "another-key")).toBeUndefined();
    expect(decryptValue("gpt-4o", SALT)).toBeUndefined();
  });

  test("params: encrypted strings decrypted, others kept", () => {
    expect(decryptParams({ model: NACL_MODEL, api_base: V3_BASE, rpm: 10, api_key: "plain" }, SALT)).toEqual({
      model: "openai/gpt-upstream",
      api_base: "http://127.0.0.1:9/v1",
      rpm: 10,
      api_key: "plain",
    });
  });

  test("our own writes round-trip in both formats", () => {
    for (const alg of ["aes-256-gcm", "xsalsa20-poly1305"] as const) {
      const c = encryptValue("secret value", SALT, alg);
      expect(c).not.toContain("secret");
      expect(decryptValue(c, SALT)).toBe("secret value");
    }
  });
});

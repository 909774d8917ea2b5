import { describe, expect, test } from "bun:test";
import { maskSecret, SecretRedactor, secretsIn } from "../../src/redaction.ts";

describe("secret redaction", () => {
  test("credentials are found by field name, inside JSON credential strings and in connection URLs; settings that merely name a credential are not", () => {
    const found = secretsIn({
      litellm_params: {
        api_key: "sk-live-abcdefgh",
        aws_secret_access_key: "wJalrXUtnFEMI/K7MDENG",
        vertex_credentials: JSON.stringify({ type: "service_account", client_email: "sa@p.iam.gserviceaccount.com", private_key: "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n", private_key_id: "0123456789abcdef" }),
        extra_headers: { "x-api-key": "header-key-1234" },
        max_tokens: 4096,
        model: "openai/gpt-4o",
      },
      general_settings: { database_url: "postgres://app:db-pass-5678@db:5432/litellm", token_rate_limit_type: "output", litellm_key_header_name: "X-Litellm-Key-Header" },
      env: { OPENAI_API_KEY: "sk-env-12345678", HOME: "/home/gateway-user", GITHUB_TOKEN: "ghp_abcdefgh1234" },
      credential_list: new Map([["azure", { api_key: "azure-key-000000", api_base: "https://x.openai.azure.com" }]]),
    });
    expect(found).toContain("sk-live-abcdefgh");
    expect(found).toContain("wJalrXUtnFEMI/K7MDENG");
    expect(found).toContain("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
    expect(found).toContain("0123456789abcdef");
    expect(found).toContain("header-key-1234");
    expect(found).toContain("db-pass-5678");
    expect(found).toContain("sk-env-12345678");
    expect(found).toContain("ghp_abcdefgh1234");
    expect(found).toContain("azure-key-000000");
    for (const v of ["sa@p.iam.gserviceaccount.com", "openai/gpt-4o", "output", "X-Litellm-Key-Header", "/home/gateway-user", "https://x.openai.azure.com"]) expect(found).not.toContain(v);
  });

  test("every form of a secret is masked (raw, JSON-escaped, percent-encoded); short values and unknown text are left alone; sources replace their own values", () => {
    const r = new SecretRedactor();
    expect(r.redact("nothing configured")).toBe("nothing configured");
    r.set("config", ["sk-proj-0123456789abcdef", "line1\nline2-secret", "a/b+c=d&e-secret", "short"]);
    expect(r.redact("Incorrect API key provided: sk-proj-0123456789abcdef.")).toBe("Incorrect API key provided: sk-***.");
    expect(r.redact(JSON.stringify({ key: "line1\nline2-secret" }))).toBe('{"key":"lin***"}');
    expect(r.redact(`?key=${encodeURIComponent("a/b+c=d&e-secret")}`)).toBe("?key=a%2***");
    expect(r.redact("short text")).toBe("short text");
    r.set("config", ["another-secret-value"]);
    expect(r.redact("sk-proj-0123456789abcdef and another-secret-value")).toBe("sk-proj-0123456789abcdef and ano***");
    expect(maskSecret("12345678")).toBe("***");
  });
});

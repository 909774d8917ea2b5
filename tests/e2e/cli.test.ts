import { describe, expect, test } from "bun:test";
import { runGatewayOnce, startGateway, writeConfig } from "../helpers/gateway.ts";

describe("the litellm-rust command", () => {
  test("--version prints version, git sha and build date; --help prints usage", async () => {
    const v = await runGatewayOnce(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^litellm-rust \S+ \(git \S+, built \S+\)/);
    const h = await runGatewayOnce(["--help"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("--config PATH");
  });

  test("a bad config exits 1 naming the file, key path and expectation", async () => {
    const path = writeConfig("model_list:\n  - model_name: a\n    litellm_params:\n      model: 42.5\n      timeout: soon\n");
    const r = await runGatewayOnce(["--config", path, "--port", "0"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(path);
    expect(r.stderr).toContain("model_list[0].litellm_params.timeout");
    expect(r.stderr).toContain("expected a number");
  });

  test("a missing config file exits 1; an unknown flag exits 2 with usage", async () => {
    const r = await runGatewayOnce(["--config", "/nonexistent/config.yaml"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/nonexistent/config.yaml");
    const u = await runGatewayOnce(["--frobnicate"]);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain("unknown option --frobnicate");
  });

  test("LiteLLM-only flags and unimplemented keys are noted at start, not fatal", async () => {
    const gw = await startGateway({
      config: { model_list: [{ model_name: "m", litellm_params: { model: "openai/m", mock_response: "ok" } }], litellm_settings: { success_callback: ["langfuse", "lunary"] }, guardrails: [] },
      args: ["--telemetry", "False", "--drop_params"],
    });
    try {
      const out = gw.output();
      expect(out).toContain("LiteLLM CLI flags accepted without effect: --telemetry, --drop_params");
      expect(out).toContain("not implemented yet (ignored): guardrails");
      expect(out).toContain("callbacks not run by this gateway: lunary\n");
      expect(out).toContain("logging callbacks: langfuse");
      expect(out).toContain("no master key set");
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ model: "m", messages: [] }) });
      expect(res.status).toBe(200);
    } finally {
      await gw.stop();
    }
  });

  test("the shipped config.yaml answers on the mock model with no secrets set", async () => {
    const gw = await startGateway({ configPath: "config.yaml", env: { ANTHROPIC_API_KEY: undefined, OPENAI_API_KEY: undefined, LITELLM_MASTER_KEY: undefined } });
    try {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }),
      });
      const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
      expect(body.choices[0]!.message.content).toContain("Hello from litellm-rust");
    } finally {
      await gw.stop();
    }
  });
});

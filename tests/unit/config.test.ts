import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig } from "../../src/config/index.ts";

function files(map: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "lr-conf-"));
  for (const [name, text] of Object.entries(map)) writeFileSync(join(dir, name), text);
  return join(dir, "config.yaml");
}

function expectConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("config loading", () => {
  test("os.environ/ is resolved in mappings and in mappings inside lists, not in bare list strings", () => {
    const path = files({
      "config.yaml": `
model_list:
  - model_name: a
    litellm_params: { model: openai/gpt-4o, api_key: os.environ/TEST_KEY_A, tags: [os.environ/TEST_KEY_A] }
general_settings:
  master_key: os.environ/TEST_MASTER
`,
    });
    const c = loadConfig(path, { TEST_KEY_A: "sk-a", TEST_MASTER: "sk-m" });
    expect(c.modelList[0]!.litellm_params.api_key).toBe("sk-a");
    expect(c.modelList[0]!.litellm_params.tags).toEqual(["os.environ/TEST_KEY_A"]);
    expect(c.masterKey).toBe("sk-m");
  });

  test("a missing environment variable is reported with where it was used", () => {
    const path = files({ "config.yaml": "model_list:\n  - model_name: a\n    litellm_params: { model: openai/x, api_key: os.environ/NOPE_NOT_SET }\n" });
    const c = loadConfig(path, {});
    expect(c.missingEnv).toEqual([{ path: "model_list[0].litellm_params.api_key", name: "NOPE_NOT_SET" }]);
    expect(c.modelList[0]!.litellm_params.api_key).toBeUndefined();
  });

  test("include: lists extend, other keys overwrite; environment_variables are exported first", () => {
    const path = files({
      "config.yaml": `
include: [extra.yaml]
environment_variables:
  FROM_CONFIG_KEY: sk-from-config
model_list:
  - model_name: a
    litellm_params: { model: openai/a, api_key: os.environ/FROM_CONFIG_KEY }
router_settings: { num_retries: 1 }
`,
      "extra.yaml": `
model_list:
  - model_name: b
    litellm_params: { model: anthropic/b }
router_settings: { num_retries: 4 }
`,
    });
    const env: Record<string, string | undefined> = {};
    const c = loadConfig(path, env);
    expect(c.modelList.map((m) => m.model_name)).toEqual(["a", "b"]);
    expect(c.router.num_retries).toBe(4);
    expect(env.FROM_CONFIG_KEY).toBe("sk-from-config");
    expect(c.modelList[0]!.litellm_params.api_key).toBe("sk-from-config");
  });

  test("numbers and booleans written as strings are accepted", () => {
    const path = files({
      "config.yaml": "model_list:\n  - model_name: a\n    litellm_params: { model: openai/a, timeout: '30', max_retries: '3' }\ngeneral_settings: { allow_requests_on_db_unavailable: 'true' }\n",
    });
    const c = loadConfig(path, {});
    expect(c.modelList[0]!.litellm_params.timeout).toBe(30);
    expect(c.modelList[0]!.litellm_params.max_retries).toBe(3);
    expect(c.general.allow_requests_on_db_unavailable).toBe(true);
  });

  test("a wrong type names the file, the key path and what was expected", () => {
    const path = files({
      "config.yaml": `
model_list:
  - model_name: a
    litellm_params: { model: openai/a }
  - model_name: b
    litellm_params: { model: openai/b }
  - model_name: c
    litellm_params: { model: [not, a, string] }
`,
    });
    const e = expectConfigError(() => loadConfig(path, {}));
    expect(e.file).toBe(path);
    expect(e.keyPath).toBe("model_list[2].litellm_params.model");
    expect(e.message).toContain("expected a string");
    expect(e.message).toContain(path);
  });

  test("a missing required field and a bad enum value are errors", () => {
    const missing = files({ "config.yaml": "model_list:\n  - litellm_params: { model: openai/a }\n" });
    expect(expectConfigError(() => loadConfig(missing, {})).keyPath).toBe("model_list[0].model_name");
    const badEnum = files({ "config.yaml": "router_settings: { routing_strategy: fastest }\n" });
    const e = expectConfigError(() => loadConfig(badEnum, {}));
    expect(e.keyPath).toBe("router_settings.routing_strategy");
    expect(e.expected).toContain("simple-shuffle");
  });

  test("YAML syntax errors, empty files and missing includes are errors naming the file", () => {
    const bad = files({ "config.yaml": "model_list:\n  - model_name: a\n   bad-indent: [\n" });
    expect(expectConfigError(() => loadConfig(bad, {})).expected).toBe("valid YAML");
    const empty = files({ "config.yaml": "" });
    expect(expectConfigError(() => loadConfig(empty, {})).message).toContain("Config cannot be None or Empty");
    const inc = files({ "config.yaml": "include: [nope.yaml]\n" });
    expect(expectConfigError(() => loadConfig(inc, {})).keyPath).toBe("include[0]");
  });

  test("keys this build does not act on are kept and listed once", () => {
    const path = files({
      "config.yaml": "litellm_settings: { drop_params: true, some_future_flag: 1 }\nguardrails: []\nmodel_list:\n  - model_name: a\n    litellm_params: { model: openai/a, weird_param: 1 }\n",
    });
    const c = loadConfig(path, {});
    const note = c.notes.find((n) => n.includes("not implemented"));
    expect(note).toContain("litellm_settings.some_future_flag");
    expect(note).toContain("guardrails");
    expect(note).toContain("model_list[].litellm_params.weird_param");
    expect(note).not.toContain("drop_params");
  });

  test("redis settings become one URL; REDIS_* env is the fallback", () => {
    const path = files({ "config.yaml": "router_settings: { redis_host: 127.0.0.1, redis_port: 6390, redis_password: p@ss }\n" });
    expect(loadConfig(path, {}).redisUrl).toBe("redis://:p%40ss@127.0.0.1:6390");
    const none = files({ "config.yaml": "model_list: []\n" });
    expect(loadConfig(none, { REDIS_HOST: "h" }).redisUrl).toBe("redis://h:6379");
  });
});

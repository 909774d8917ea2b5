import { describe, expect, test } from "bun:test";
import { parseArgs, UsageError } from "../../src/cli/args.ts";

describe("CLI flags (LiteLLM spelling)", () => {
  test("config, port, host, debug flags and defaults", () => {
    const a = parseArgs(["--config", "c.yaml", "--port", "8000", "--host", "127.0.0.1", "--detailed_debug"], {});
    expect(a).toMatchObject({ config: "c.yaml", port: 8000, host: "127.0.0.1", detailedDebug: true, debug: true });
    expect(parseArgs([], {})).toMatchObject({ port: 4000, host: "0.0.0.0", numWorkers: 1 });
    expect(parseArgs(["--port=9000", "-c", "x.yaml"], {})).toMatchObject({ port: 9000, config: "x.yaml" });
  });

  test("other LiteLLM flags are accepted and noted; unknown flags are usage errors", () => {
    const a = parseArgs(["--num_workers", "2", "--telemetry", "False", "--drop_params", "--config", "c.yaml"], {});
    expect(a.numWorkers).toBe(2);
    expect(a.ignored).toEqual(["--telemetry", "--drop_params"]);
    expect(a.config).toBe("c.yaml");
    expect(() => parseArgs(["--bogus"], {})).toThrow(UsageError);
    expect(() => parseArgs(["--port", "abc"], {})).toThrow(UsageError);
  });

  test("--keepalive_timeout and --limit_concurrency, or LiteLLM's KEEPALIVE_TIMEOUT and LIMIT_CONCURRENCY; the flag wins", () => {
    expect(parseArgs(["--keepalive_timeout", "30", "--limit_concurrency=500"], {})).toMatchObject({ keepaliveTimeout: 30, limitConcurrency: 500, ignored: [] });
    expect(parseArgs([], { KEEPALIVE_TIMEOUT: "5", LIMIT_CONCURRENCY: "7" })).toMatchObject({ keepaliveTimeout: 5, limitConcurrency: 7 });
    expect(parseArgs(["--keepalive_timeout", "9"], { KEEPALIVE_TIMEOUT: "5" }).keepaliveTimeout).toBe(9);
    expect(parseArgs([], {})).toMatchObject({ keepaliveTimeout: undefined, limitConcurrency: undefined });
    expect(parseArgs(["--keepalive_timeout", "0"], {}).keepaliveTimeout).toBe(0);
    expect(() => parseArgs(["--limit_concurrency", "0"], {})).toThrow(UsageError);
    expect(() => parseArgs(["--keepalive_timeout", "soon"], {})).toThrow(UsageError);
    expect(() => parseArgs([], { LIMIT_CONCURRENCY: "-3" })).toThrow(UsageError);
  });
});

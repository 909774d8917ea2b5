/**
 * The sandbox providers (src/agents/sandbox) through the real `e2b` and `@daytonaio/sdk` SDKs,
 * against the wire-level fakes, whose commands really run on this machine.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DaytonaProvider } from "../../src/agents/sandbox/daytona.ts";
import { E2BProvider } from "../../src/agents/sandbox/e2b.ts";
import { sandboxProviders } from "../../src/agents/sandbox/from-config.ts";
import type { Sandbox, SandboxProvider } from "../../src/agents/sandbox/types.ts";
import { startFakeDaytona, type FakeDaytona } from "../fakes/daytona.ts";
import { startFakeE2B, type FakeE2B } from "../fakes/e2b.ts";
import { startFakeLLM, type FakeLLM } from "../fakes/llm.ts";
import type { CommandRecord, HostedSandbox } from "../fakes/sandbox-host.ts";
import { CLAUDE_BIN } from "../helpers/agents-cli.ts";
import { rejection, until } from "../helpers/sandbox-wait.ts";
import { loadConfig } from "../../src/config/index.ts";
import { writeConfig } from "../helpers/gateway.ts";

/** Never given to any sandbox: must never show up in one. */
const HOST_SECRET = `sk-host-secret-${crypto.randomUUID()}`;
process.env.LR_SANDBOX_TEST_HOST_SECRET = HOST_SECRET;

interface Harness {
  name: "e2b" | "daytona";
  fake: FakeE2B | FakeDaytona;
  provider: SandboxProvider;
  sandbox(id: string): (HostedSandbox & { endedBy?: string }) | undefined;
  commands: CommandRecord[];
  alivePids(id: string): number[];
  expire(id: string): void;
  failCreate(status: number, message: string): void;
  slowCreate(ms: number): void;
  reset(): void;
  /** How the fake's create-failure status and message show up. */
  failure: { status: number; message: string };
}

async function e2bHarness(): Promise<Harness> {
  const fake = await startFakeE2B();
  return {
    name: "e2b",
    fake,
    provider: new E2BProvider({ apiKey: "e2b_test", apiUrl: fake.url, sandboxUrl: fake.url, requestTimeoutMs: 1_500 }),
    sandbox: (id) => fake.sandboxes.get(id),
    commands: fake.commands,
    alivePids: fake.alivePids,
    expire: fake.expire,
    failCreate: (status, message) => fake.control({ failCreate: { status, message } }),
    slowCreate: (ms) => fake.control({ createDelayMs: ms }),
    reset: () => fake.control({}),
    failure: { status: 404, message: "template 'nope' not found" },
  };
}

async function daytonaHarness(): Promise<Harness> {
  const fake = await startFakeDaytona();
  return {
    name: "daytona",
    fake,
    provider: new DaytonaProvider({ apiKey: "dtn_test", apiUrl: fake.apiUrl, target: "us", useDeprecatedPolling: true, createTimeoutSec: 1 }),
    sandbox: (id) => fake.sandboxes.get(id),
    commands: fake.commands,
    alivePids: fake.alivePids,
    expire: fake.expire,
    failCreate: (status, message) => fake.control({ failCreate: { status, message } }),
    slowCreate: (ms) => fake.control({ startDelayMs: ms }),
    reset: () => fake.control({}),
    failure: { status: 400, message: "Snapshot nope not found. Did you add it through the Daytona Dashboard?" },
  };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

let llm: FakeLLM;
const harnesses: Harness[] = [];
beforeAll(async () => {
  llm = await startFakeLLM();
  harnesses.push(await e2bHarness(), await daytonaHarness());
});
afterAll(async () => {
  for (const h of harnesses) await h.fake.stop();
  await llm?.stop();
});

for (const name of ["e2b", "daytona"] as const) {
  const h = () => harnesses.find((x) => x.name === name)!;
  const withSandbox = async (fn: (sb: Sandbox) => Promise<void>, opts: Parameters<SandboxProvider["create"]>[0] = {}) => {
    const sb = await h().provider.create(opts);
    try {
      await fn(sb);
    } finally {
      await sb.kill();
    }
  };

  describe(`${name} sandbox provider`, () => {
    test("creates a sandbox with sandbox-level env and metadata, writes files, runs in a cwd", async () => {
      await withSandbox(
        async (sb) => {
          const rec = h().sandbox(sb.id)!;
          expect(rec.state).toBe("running");
          expect(rec.envs.SANDBOX_LEVEL).toBe("from-create");
          expect(rec.metadata.run).toBe("run-1");
          await sb.writeFiles([
            { path: "repo/README.md", data: "# demo\n" },
            { path: "repo/data/blob.bin", data: new Uint8Array([0, 1, 254, 255]) },
          ]);
          let out = "";
          const r = await sb.run('cat README.md; od -An -tu1 data/blob.bin; echo "$SANDBOX_LEVEL $PER_RUN"; pwd', {
            cwd: "repo",
            envs: { PER_RUN: "it's per run" },
            onStdout: (c) => (out += c),
          });
          expect(r.exitCode).toBe(0);
          expect(out).toContain("# demo");
          expect(out.replace(/\s+/g, " ")).toContain("0 1 254 255");
          expect(out).toContain("from-create it's per run");
          expect(out.trim().endsWith(`${rec.home}/repo`)).toBe(true);
        },
        { envs: { SANDBOX_LEVEL: "from-create" }, metadata: { run: "run-1" } },
      );
    });

    test("streams output chunks while a slow command is still running; stderr separately", async () => {
      await withSandbox(async (sb) => {
        const seen: Array<{ at: number; chunk: string }> = [];
        let err = "";
        const r = await sb.run("for i in 1 2 3 4; do echo tick$i; sleep 0.3; done; echo oops >&2", {
          onStdout: (chunk) => seen.push({ at: Date.now(), chunk }),
          onStderr: (c) => (err += c),
        });
        const endedAt = Date.now();
        expect(r.exitCode).toBe(0);
        expect(seen.map((s) => s.chunk).join("")).toBe("tick1\ntick2\ntick3\ntick4\n");
        const first = seen.find((s) => s.chunk.includes("tick1"))!;
        expect(endedAt - first.at).toBeGreaterThanOrEqual(700);
        expect(seen.length).toBeGreaterThanOrEqual(3);
        expect(err).toBe("oops\n");
      });
    });

    test("a non-zero exit code is a result, not an error", async () => {
      await withSandbox(async (sb) => {
        let err = "";
        const r = await sb.run("echo failing >&2; exit 3", { onStderr: (c) => (err += c) });
        expect(r.exitCode).toBe(3);
        expect(err).toBe("failing\n");
        expect((await sb.run("true")).exitCode).toBe(0);
      });
    });

    test("reads back a file the command wrote; a missing file is file_not_found", async () => {
      await withSandbox(async (sb) => {
        await sb.run("mkdir -p out && printf 'line\\n\\000\\377' > out/result.bin");
        expect([...(await sb.readFile("out/result.bin"))]).toEqual([108, 105, 110, 101, 10, 0, 255]);
        const home = h().sandbox(sb.id)!.home;
        expect(text(await sb.readFile(`${home}/out/result.bin`)).startsWith("line")).toBe(true);
        const err = await rejection(sb.readFile("out/missing.txt"));
        expect(err.code).toBe("file_not_found");
        expect(err.status).toBe(404);
      });
    });

    test("kill() destroys the sandbox and its processes, once; a run in flight ends as sandbox_gone", async () => {
      const sb = await h().provider.create();
      const running = rejection(sb.run("sleep 30"));
      await until(() => h().commands.some((c) => c.sandboxId === sb.id && c.command.includes("sleep 30")) && h().alivePids(sb.id).length > 0);
      await sb.kill();
      await Promise.all([sb.kill(), sb.kill()]);
      const rec = h().sandbox(sb.id)!;
      expect(rec.state).toBe("killed");
      expect(rec.endedBy).toBe("api");
      await until(() => h().alivePids(sb.id).length === 0);
      const err = await running;
      expect(err.code).toBe("sandbox_gone");
      const deletes = (h().fake.requests as Array<{ method: string; path: string }>).filter((r) => r.method === "DELETE" && r.path.endsWith(`/sandbox${name === "e2b" ? "es" : ""}/${sb.id}`));
      expect(deletes.length).toBe(1);
    });

    test("a command over its timeoutMs is killed together with its sandbox", async () => {
      const sb = await h().provider.create();
      const t0 = Date.now();
      const err = await rejection(sb.run("echo started; sleep 30", { timeoutMs: 800 }));
      expect(err.code).toBe("timeout");
      expect(err.status).toBe(504);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(h().sandbox(sb.id)!.state).toBe("killed");
      await until(() => h().alivePids(sb.id).length === 0);
      await sb.kill();
    });

    test("aborting the signal cancels: the command and the sandbox are killed", async () => {
      const sb = await h().provider.create();
      const ac = new AbortController();
      const err = await rejection(
        sb.run("echo started; sleep 30; echo never", {
          signal: ac.signal,
          onStdout: (c) => {
            if (c.includes("started")) ac.abort();
          },
        }),
      );
      expect(err.code).toBe("cancelled");
      expect(h().sandbox(sb.id)!.state).toBe("killed");
      await until(() => h().alivePids(sb.id).length === 0);
      const cmd = h().commands.find((c) => c.sandboxId === sb.id && c.command.includes("echo never"))!;
      expect(cmd.exitCode === undefined || cmd.exitCode === -1).toBe(true);
    });

    test("the sandbox ending under a run (its lifetime ran out) surfaces as sandbox_gone", async () => {
      const sb = await h().provider.create({ timeoutMs: 60_000 });
      const running = sb.run("echo started; sleep 30", {
        onStdout: (c) => {
          if (c.includes("started")) h().expire(sb.id);
        },
      });
      const err = await rejection(running);
      expect(err.code).toBe("sandbox_gone");
      expect(h().sandbox(sb.id)!.endedBy).toBe("timeout");
      await sb.kill();
    });

    test("a refused creation is a clear create_failed error and leaves no sandbox behind", async () => {
      const before = [...(h().fake.sandboxes as Map<string, HostedSandbox>).keys()];
      h().failCreate(h().failure.status, h().failure.message);
      try {
        const err = await rejection(h().provider.create({ template: "nope" }));
        expect(err.code).toBe("create_failed");
        expect(err.upstreamStatus).toBe(h().failure.status);
        expect(err.message).toContain(h().failure.message);
        expect(err.message).toStartWith(`${name} sandbox creation failed`);
        h().failCreate(401, "Invalid API key");
        const auth = await rejection(h().provider.create());
        expect(auth.upstreamStatus).toBe(401);
      } finally {
        h().reset();
      }
      const after = [...(h().fake.sandboxes as Map<string, HostedSandbox>).keys()];
      expect(after).toEqual(before);
    });

    test("a creation slower than the provider's limit fails and the half-made sandbox is killed", async () => {
      const before = new Set((h().fake.sandboxes as Map<string, HostedSandbox>).keys());
      h().slowCreate(3_000);
      try {
        const err = await rejection(h().provider.create());
        expect(err.code).toBe("create_failed");
      } finally {
        h().reset();
      }
      const made = [...(h().fake.sandboxes as Map<string, HostedSandbox>).values()].filter((s) => !before.has(s.id));
      expect(made.length).toBe(1);
      await until(() => made[0]!.state === "killed");
    });

    test("aborting creation leaves no sandbox behind", async () => {
      const before = new Set((h().fake.sandboxes as Map<string, HostedSandbox>).keys());
      h().slowCreate(700);
      const ac = new AbortController();
      try {
        const creating = h().provider.create({ signal: ac.signal });
        setTimeout(() => ac.abort(), 200);
        expect((await rejection(creating)).code).toBe("cancelled");
      } finally {
        h().reset();
      }
      const made = () => [...(h().fake.sandboxes as Map<string, HostedSandbox>).values()].filter((s) => !before.has(s.id));
      await until(() => made().length === 1 && made()[0]!.state === "killed");
    });

    test("Claude Code runs inside the sandbox: stream-json result through onStdout, transcript readable", async () => {
      llm.reset();
      await withSandbox(
        async (sb) => {
          await sb.writeFiles([{ path: "repo/README.md", data: "# demo\n" }]);
          const sessionId = crypto.randomUUID();
          let buffered = "";
          const events: Array<Record<string, unknown>> = [];
          let stderr = "";
          const r = await sb.run(`${CLAUDE_BIN} -p 'USE_BASH please run echo hello' --output-format stream-json --verbose --dangerously-skip-permissions --session-id ${sessionId}`, {
            cwd: "repo",
            timeoutMs: 90_000,
            envs: {
              ANTHROPIC_BASE_URL: llm.url,
              ANTHROPIC_API_KEY: "sk-run-token",
              IS_SANDBOX: "1",
              CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
              DISABLE_TELEMETRY: "1",
              DISABLE_AUTOUPDATER: "1",
              CLAUDE_CODE_MAX_RETRIES: "0",
            },
            onStdout: (chunk) => {
              buffered += chunk;
              let nl: number;
              while ((nl = buffered.indexOf("\n")) >= 0) {
                const line = buffered.slice(0, nl).trim();
                buffered = buffered.slice(nl + 1);
                if (line.startsWith("{")) events.push(JSON.parse(line) as Record<string, unknown>);
              }
            },
            onStderr: (c) => (stderr += c),
          });
          expect(r.exitCode, stderr).toBe(0);
          const result = events.find((e) => e.type === "result");
          expect(result, stderr).toBeDefined();
          expect(result!.is_error).toBe(false);
          expect(String(result!.result)).toContain("Tool output was: hello");
          expect(result!.session_id).toBe(sessionId);
          expect(events[0]!.type).toBe("system");
          const posts = llm.requests.filter((q) => q.path === "/v1/messages");
          expect(posts.length).toBe(2);
          expect(posts[0]!.headers["x-api-key"]).toBe("sk-run-token");

          const cwd = String(events[0]!.cwd);
          const home = h().sandbox(sb.id)!.home;
          expect(cwd).toBe(`${home}/repo`);
          const transcript = text(await sb.readFile(`.claude/projects/${cwd.replace(/[^A-Za-z0-9]/g, "-")}/${sessionId}.jsonl`));
          const lines = transcript
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as { type?: string; sessionId?: string });
          expect(lines.some((l) => l.type === "user")).toBe(true);
          expect(lines.every((l) => l.sessionId === undefined || l.sessionId === sessionId)).toBe(true);
          expect(transcript).toContain("USE_BASH please run echo hello");
        },
        { timeoutMs: 300_000 },
      );
    }, 120_000);

    test("nothing from the test process's environment entered any sandbox", () => {
      const cmds = h().commands;
      expect(cmds.length).toBeGreaterThan(5);
      for (const c of cmds) {
        expect(c.command).not.toContain(HOST_SECRET);
        expect(Object.values(c.env)).not.toContain(HOST_SECRET);
        expect(c.env.LR_SANDBOX_TEST_HOST_SECRET).toBeUndefined();
      }
    });
  });
}

test("providers built from general_settings reach the configured endpoints with the configured key and template", async () => {
  const e2b = harnesses.find((x) => x.name === "e2b")!.fake as FakeE2B;
  const daytona = harnesses.find((x) => x.name === "daytona")!.fake as FakeDaytona;
  const config = loadConfig(
    writeConfig({
      general_settings: {
        e2b_sandbox_params: { e2b_api_key: "os.environ/TEST_E2B_KEY", e2b_api_url: e2b.url, e2b_sandbox_url: e2b.url, e2b_template: "claude-code" },
        daytona_sandbox_params: { daytona_api_key: "dtn_from_config", daytona_api_url: daytona.apiUrl, daytona_target: "eu", snapshot: "agents-snap", use_polling: true },
      },
    }),
    { TEST_E2B_KEY: "e2b_from_env_ref" },
  );
  const providers = await sandboxProviders(config);
  expect([...providers.keys()].sort()).toEqual(["daytona", "e2b"]);
  for (const p of providers.values()) {
    const sb = await p.create();
    try {
      expect((await sb.run("true")).exitCode).toBe(0);
    } finally {
      await sb.kill();
    }
    if (p.name === "e2b") {
      expect(e2b.sandboxes.get(sb.id)!.template).toBe("claude-code");
      expect(e2b.requests.at(-1)!.headers["x-api-key"]).toBe("e2b_from_env_ref");
    } else {
      const rec = daytona.sandboxes.get(sb.id)!;
      expect(rec.template).toBe("agents-snap");
      expect(rec.target).toBe("eu");
      expect(daytona.requests.at(-1)!.headers.authorization).toBe("Bearer dtn_from_config");
    }
  }
  expect((await sandboxProviders(loadConfig(writeConfig({ general_settings: { e2b_sandbox_params: { e2b_template: "x" } } }), {}))).size).toBe(0);
});

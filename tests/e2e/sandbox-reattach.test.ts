/**
 * Reattaching after a gateway restart: a child process (tests/helpers/sandbox-child.ts) starts a
 * command in a sandbox and is SIGKILLed; a fresh provider instance then connects to the sandbox by
 * id and attaches to the command by its handle. Real SDKs against the wire fakes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { CommandHandle, Sandbox, SandboxProvider } from "../../src/agents/sandbox/types.ts";
import { startFakeDaytona, type FakeDaytona } from "../fakes/daytona.ts";
import { startFakeE2B, type FakeE2B } from "../fakes/e2b.ts";
import type { CommandRecord, HostedSandbox } from "../fakes/sandbox-host.ts";
import { makeProvider, startChild, type ChildProvider } from "../helpers/sandbox-child.ts";
import { rejection, until } from "../helpers/sandbox-wait.ts";

let e2b: FakeE2B;
let daytona: FakeDaytona;
beforeAll(async () => {
  [e2b, daytona] = await Promise.all([startFakeE2B(), startFakeDaytona()]);
});
afterAll(async () => {
  await Promise.all([e2b?.stop(), daytona?.stop()]);
});

for (const name of ["e2b", "daytona"] as const) {
  const fake = () => (name === "e2b" ? e2b : daytona) as { sandboxes: Map<string, HostedSandbox>; commands: CommandRecord[]; alivePids(id: string): number[]; expire(id: string): void };
  const spec = (): ChildProvider =>
    name === "e2b"
      ? { name, opts: { apiKey: "e2b_test", apiUrl: e2b.url, sandboxUrl: e2b.url, requestTimeoutMs: 2_000 } }
      : { name, opts: { apiKey: "dtn_test", apiUrl: daytona.apiUrl, target: "us", useDeprecatedPolling: true, createTimeoutSec: 2 } };
  /** A provider instance of its own, as a restarted gateway builds it. */
  const fresh = (): SandboxProvider => makeProvider(spec());

  /** Starts `command` in a child "gateway", waits until its stdout has `seen`, then crashes it. */
  async function orphan(command: string, seen: string): Promise<{ sandboxId: string; handle: CommandHandle }> {
    const child = startChild(spec(), command);
    try {
      const sandboxId = (await child.waitFor((m) => m.sandbox !== undefined)).sandbox!;
      const handle = (await child.waitFor((m) => m.handle !== undefined)).handle!;
      await until(() => child.stdout().includes(seen));
      return { sandboxId, handle };
    } finally {
      await child.crash();
    }
  }

  const ended = (sandboxId: string, marker: string) => fake().commands.some((c) => c.sandboxId === sandboxId && c.command.includes(marker) && c.exitCode !== undefined);

  describe(`${name}: reattach after a gateway restart`, () => {
    test("a new provider instance connects by id and attaches by handle: the rest of the output, then the exit code", async () => {
      const { sandboxId, handle } = await orphan("for i in 1 2 3 4 5 6; do echo tick$i; sleep 0.3; done; echo bye >&2; exit 7", "tick1");
      expect(handle.provider).toBe(name);
      expect(fake().sandboxes.get(sandboxId)!.state).toBe("running");
      expect(fake().alivePids(sandboxId).length).toBeGreaterThan(0);
      expect(ended(sandboxId, "tick$i")).toBe(false);

      const provider = fresh();
      const sb = (await provider.connect(sandboxId))!;
      expect(sb.id).toBe(sandboxId);
      expect(sb.provider).toBe(name);
      const chunks: string[] = [];
      let err = "";
      const r = await sb.attach(JSON.parse(JSON.stringify(handle)) as CommandHandle, { onStdout: (c) => chunks.push(c), onStderr: (c) => (err += c) });
      expect(r.exitCode).toBe(7);
      expect(err).toBe("bye\n");
      const out = chunks.join("");
      if (provider.attachOutput === "complete") {
        expect(out).toBe("tick1\ntick2\ntick3\ntick4\ntick5\ntick6\n");
      } else {
        // Output from the attach on: tick1 was written before, the last ticks after it.
        expect(out).toMatch(/^(tick[2-6]\n)*tick5\ntick6\n$/);
      }

      expect((await sb.run("echo again")).exitCode).toBe(0);
      await sb.kill();
      expect(fake().sandboxes.get(sandboxId)!.state).toBe("killed");
      await until(() => fake().alivePids(sandboxId).length === 0);
    }, 30_000);

    test("attaching to a command that ended while no gateway was there gives its exit code at once", async () => {
      const { sandboxId, handle } = await orphan("echo early; sleep 0.4; echo late; echo warn >&2; exit 5", "early");
      await until(() => ended(sandboxId, "echo late"));

      const provider = fresh();
      const sb = (await provider.connect(sandboxId))!;
      let out = "";
      let err = "";
      const t0 = Date.now();
      const r = await sb.attach(handle, { onStdout: (c) => (out += c), onStderr: (c) => (err += c) });
      expect(r.exitCode).toBe(5);
      expect(Date.now() - t0).toBeLessThan(2_000);
      if (provider.attachOutput === "complete") {
        expect(out).toBe("early\nlate\n");
        expect(err).toBe("warn\n");
      } else {
        expect(out).toBe("");
        expect(err).toBe("");
      }
      await provider.kill(sandboxId);
      expect(fake().sandboxes.get(sandboxId)!.state).toBe("killed");
    }, 30_000);

    test("an attached command over its timeoutMs is killed together with its sandbox", async () => {
      const { sandboxId, handle } = await orphan("echo started; sleep 30", "started");
      const sb = (await fresh().connect(sandboxId))!;
      const t0 = Date.now();
      const err = await rejection(sb.attach(handle, { timeoutMs: 600 }));
      expect(err.code).toBe("timeout");
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(fake().sandboxes.get(sandboxId)!.state).toBe("killed");
      await until(() => fake().alivePids(sandboxId).length === 0);
    }, 30_000);

    test("a handle the sandbox does not know is command_gone; the sandbox stays", async () => {
      const provider = fresh();
      const sb: Sandbox = await provider.create();
      try {
        const unknown: CommandHandle = name === "e2b" ? { provider: "e2b", pid: 2 ** 22 + 7, exitFile: ".litellm-rust/exit/nope" } : { provider: "daytona", sessionId: "run-nope", commandId: "nope" };
        const err = await rejection(sb.attach(unknown));
        expect(err.code).toBe("command_gone");
        const other: CommandHandle = name === "e2b" ? { provider: "daytona", sessionId: "s", commandId: "c" } : { provider: "e2b", pid: 1, exitFile: "x" };
        expect((await rejection(sb.attach(other))).code).toBe("failed");
        expect(fake().sandboxes.get(sb.id)!.state).toBe("running");
      } finally {
        await sb.kill();
      }
    });

    test("connect gives undefined for a killed, an expired or an unknown sandbox; provider.kill(id) ends an orphan", async () => {
      const provider = fresh();
      const [killed, expired, orphaned] = await Promise.all([provider.create(), provider.create(), provider.create()]);
      await killed.kill();
      fake().expire(expired.id);
      const other = fresh();
      expect(await other.connect(killed.id)).toBeUndefined();
      expect(await other.connect(expired.id)).toBeUndefined();
      expect(await other.connect(name === "e2b" ? "i0000000000000000000" : crypto.randomUUID())).toBeUndefined();
      expect((await other.connect(orphaned.id))?.id).toBe(orphaned.id);
      await other.kill(orphaned.id);
      expect(fake().sandboxes.get(orphaned.id)!.state).toBe("killed");
      await other.kill(orphaned.id);
      expect(await other.connect(orphaned.id)).toBeUndefined();
    });
  });
}

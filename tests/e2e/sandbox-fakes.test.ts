/**
 * Wire behaviour of the E2B and Daytona fakes that the providers do not exercise but other
 * clients (older SDK versions, raw Connect/WebSocket clients) rely on.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Daytona } from "@daytonaio/sdk";
import { NotFoundError, Sandbox, TimeoutError } from "e2b";
import { envelope } from "../fakes/connect-json.ts";
import { splitArgv, startFakeDaytona, type FakeDaytona } from "../fakes/daytona.ts";
import { startFakeE2B, type FakeE2B } from "../fakes/e2b.ts";

let e2b: FakeE2B;
let daytona: FakeDaytona;
beforeAll(async () => {
  [e2b, daytona] = await Promise.all([startFakeE2B({ apiKey: "e2b_fake" }), startFakeDaytona({ apiKey: "dtn_fake" })]);
});
afterAll(async () => {
  await Promise.all([e2b?.stop(), daytona?.stop()]);
});

const conn = () => ({ apiKey: "e2b_fake", apiUrl: e2b.url, sandboxUrl: e2b.url, debug: false });

/** Reads Connect envelopes from a streaming response body. */
async function envelopes(res: Response): Promise<Array<{ flags: number; msg: Record<string, unknown> }>> {
  const buf = new Uint8Array(await res.arrayBuffer());
  const out: Array<{ flags: number; msg: Record<string, unknown> }> = [];
  for (let i = 0; i + 5 <= buf.length; ) {
    const len = new DataView(buf.buffer, i + 1, 4).getUint32(0);
    out.push({ flags: buf[i]!, msg: JSON.parse(new TextDecoder().decode(buf.subarray(i + 5, i + 5 + len))) as Record<string, unknown> });
    i += 5 + len;
  }
  return out;
}

describe("fake E2B", () => {
  test("the pre-2.51 create path POST /sandboxes answers the same Sandbox shape; a wrong API key is 401", async () => {
    const res = await fetch(`${e2b.url}/sandboxes`, {
      method: "POST",
      headers: { "x-api-key": "e2b_fake", "content-type": "application/json" },
      body: JSON.stringify({ templateID: "my-template", metadata: { run: "r1" }, envVars: { FOO: "bar" }, timeout: 120, secure: true, allow_internet_access: true }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { sandboxID: string; templateID: string; envdVersion: string; envdAccessToken: string };
    expect(body.templateID).toBe("my-template");
    expect(body.envdAccessToken.length).toBeGreaterThan(10);
    expect(e2b.sandboxes.get(body.sandboxID)!.envs).toEqual({ FOO: "bar" });
    const bad = await fetch(`${e2b.url}/v2/sandboxes`, { method: "POST", headers: { "x-api-key": "wrong" }, body: "{}" });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { code: number }).code).toBe(401);
    await Sandbox.kill(body.sandboxID, conn());
  });

  test("Connect-Timeout-Ms ends the Start stream with deadline_exceeded; the process keeps running, as in envd", async () => {
    const sbx = await Sandbox.create("base", conn());
    const res = await fetch(`${e2b.url}/process.Process/Start`, {
      method: "POST",
      headers: {
        "content-type": "application/connect+json",
        "connect-protocol-version": "1",
        "connect-timeout-ms": "300",
        "e2b-sandbox-id": sbx.sandboxId,
        "x-access-token": e2b.sandboxes.get(sbx.sandboxId)!.envdAccessToken,
      },
      body: envelope({ process: { cmd: "/bin/bash", args: ["-l", "-c", "echo hi; sleep 5"] }, stdin: false }),
    });
    expect(res.headers.get("content-type")).toBe("application/connect+json");
    const evs = await envelopes(res);
    expect((evs[0]!.msg.event as { start: { pid: number } }).start.pid).toBeGreaterThan(0);
    expect(atob((evs[1]!.msg.event as { data: { stdout: string } }).data.stdout)).toBe("hi\n");
    const last = evs[evs.length - 1]!;
    expect(last.flags).toBe(2);
    expect((last.msg.error as { code: string }).code).toBe("deadline_exceeded");
    const procs = await sbx.commands.list();
    expect(procs.map((p) => p.args[2])).toContain("echo hi; sleep 5");
    expect(await sbx.commands.kill(procs[0]!.pid)).toBe(true);
    await sbx.kill();
  });

  test("a sandbox past its timeout is gone: control plane 404, envd 502 (isRunning false)", async () => {
    const sbx = await Sandbox.create("base", { ...conn(), timeoutMs: 1_000 });
    expect(await sbx.isRunning()).toBe(true);
    await Bun.sleep(1_300);
    expect(await sbx.isRunning()).toBe(false);
    expect(e2b.sandboxes.get(sbx.sandboxId)!.endedBy).toBe("timeout");
    const err = await Sandbox.getInfo(sbx.sandboxId, conn()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(await sbx.kill()).toBe(false);
  });

  test("the SDK's own command timeout surfaces as TimeoutError; background commands, List and SendSignal", async () => {
    const sbx = await Sandbox.create("base", conn());
    const err = await sbx.commands.run("sleep 5", { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    const h = await sbx.commands.run("sleep 30", { background: true, timeoutMs: 0 });
    expect((await sbx.commands.list()).some((p) => p.pid === h.pid)).toBe(true);
    expect(await h.kill()).toBe(true);
    const waited = await h.wait().catch((e: { exitCode?: number }) => e);
    expect((waited as { exitCode?: number }).exitCode).toBe(-1);
    expect((await sbx.commands.list()).some((p) => p.pid === h.pid)).toBe(false);
    await sbx.kill();
  });
});

describe("fake Daytona", () => {
  const client = () => new Daytona({ apiKey: "dtn_fake", apiUrl: daytona.apiUrl, target: "us", useDeprecatedPolling: true });

  test("/process/execute splits argv without a shell, like the daemon", async () => {
    expect(splitArgv(`bash -lc "echo \\"a b\\"; exit 4" 'x y' z`)).toEqual(["bash", "-lc", 'echo "a b"; exit 4', "x y", "z"]);
    const sb = await client().create({ envVars: { FOO: "bar" } });
    const r = await sb.process.executeCommand('bash -lc "echo $FOO; echo err >&2; exit 4"');
    expect(r.exitCode).toBe(4);
    expect(r.result).toBe("bar\nerr\n");
    const noShell = await sb.process.executeCommand("echo $FOO | tr a b");
    expect(noShell.result).toBe("$FOO | tr a b\n");
    await sb.delete();
  });

  test("a session is one persistent bash: cd and export persist; `exit` in a command ends the session shell", async () => {
    const sb = await client().create();
    await sb.process.createSession("s1");
    await sb.process.executeSessionCommand("s1", { command: "mkdir -p w && cd w && export KEPT=yes" });
    const r = await sb.process.executeSessionCommand("s1", { command: 'echo "$KEPT $(basename $PWD)"; echo e >&2' });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe("yes w\n");
    expect(r.stderr).toBe("e\n");
    const rec = daytona.commands.filter((c) => c.sandboxId === sb.id).at(-1)!;
    expect(rec.env.KEPT).toBe("yes");
    const { cmdId } = await sb.process.executeSessionCommand("s1", { command: "exit 3", runAsync: true });
    await Bun.sleep(300);
    expect((await sb.process.getSessionCommand("s1", cmdId!)).exitCode).toBeUndefined();
    await sb.delete();
  });

  test("the log WebSocket frames carry the 0x01 (stdout) / 0x02 (stderr) markers and closes when the command ends", async () => {
    const sb = await client().create();
    await sb.process.createSession("s2");
    const { cmdId } = await sb.process.executeSessionCommand("s2", { command: "echo out; sleep 0.1; echo err >&2", runAsync: true });
    const ws = new WebSocket(`${daytona.url.replace("http", "ws")}/toolbox/${sb.id}/process/session/s2/command/${cmdId}/logs?follow=true`, {
      headers: { authorization: "Bearer dtn_fake" },
    } as unknown as string[]);
    ws.binaryType = "arraybuffer";
    const frames: number[][] = [];
    await new Promise<void>((resolve, reject) => {
      ws.onmessage = (e) => frames.push([...new Uint8Array(e.data as ArrayBuffer)]);
      ws.onclose = () => resolve();
      ws.onerror = () => reject(new Error("ws error"));
    });
    const dec = (f: number[]) => new TextDecoder().decode(new Uint8Array(f.slice(3)));
    expect(frames.map((f) => [f.slice(0, 3), dec(f)])).toEqual([
      [[1, 1, 1], "out\n"],
      [[2, 2, 2], "err\n"],
    ]);
    await sb.delete();
  });

  test("bulk-download answers multipart with an error part for a missing file; a start error fails creation", async () => {
    const sb = await client().create();
    await sb.fs.uploadFiles([{ source: Buffer.from("one"), destination: "a/1.txt" }]);
    const res = await sb.fs.downloadFiles([{ source: "a/1.txt" }, { source: "a/missing.txt" }]);
    expect(res[0]!.result?.toString()).toBe("one");
    expect(res[1]!.error).toContain("file not found");
    await sb.delete();
    daytona.control({ startError: "no capacity in region us" });
    try {
      const err = await client()
        .create()
        .catch((e: unknown) => e);
      expect(String((err as Error).message)).toContain("no capacity in region us");
    } finally {
      daytona.control({});
    }
  });
});

/**
 * Checks that the sandbox providers (and the `e2b` / `@daytonaio/sdk` SDKs under them) work inside
 * a `bun build --compile` binary: compiles this file with the release flags, runs the binary from a
 * directory without node_modules against the wire fakes, and expects each provider to create a
 * sandbox, write a file, run a command with streamed output, read a file back and kill it.
 * Usage: `bun scripts/sandbox-compile-check.ts` (exit code 0 when both providers pass).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DaytonaProvider } from "../src/agents/sandbox/daytona.ts";
import { E2BProvider } from "../src/agents/sandbox/e2b.ts";
import type { SandboxProvider } from "../src/agents/sandbox/types.ts";

async function probe(provider: SandboxProvider): Promise<string> {
  const sb = await provider.create({ envs: { FROM_CREATE: "1" } });
  try {
    await sb.writeFiles([{ path: "repo/in.txt", data: "hello" }]);
    let out = "";
    const r = await sb.run('cat in.txt; echo " $FROM_CREATE"; echo done > out.txt; exit 2', { cwd: "repo", onStdout: (c) => (out += c) });
    const back = new TextDecoder().decode(await sb.readFile("repo/out.txt"));
    if (r.exitCode !== 2 || out !== "hello 1\n" || back !== "done\n") throw new Error(`unexpected: ${JSON.stringify({ r, out, back })}`);
    return "ok";
  } finally {
    await sb.kill();
  }
}

if (process.argv[2] === "--probe") {
  const [, , , e2bUrl, daytonaApiUrl] = process.argv;
  let failed = false;
  const providers: SandboxProvider[] = [
    new E2BProvider({ apiKey: "e2b_check", apiUrl: e2bUrl, sandboxUrl: e2bUrl }),
    new DaytonaProvider({ apiKey: "dtn_check", apiUrl: daytonaApiUrl, target: "us", useDeprecatedPolling: true }),
  ];
  for (const p of providers) {
    const result = await probe(p).catch((e: unknown) => ((failed = true), `FAILED: ${e instanceof Error ? e.message : String(e)}`));
    console.log(`${p.name}: ${result}`);
  }
  process.exit(failed ? 1 : 0);
}

const root = resolve(import.meta.dir, "..");
const fakes = join(root, "tests/fakes");
const { startFakeE2B } = (await import(join(fakes, "e2b.ts"))) as typeof import("../tests/fakes/e2b.ts");
const { startFakeDaytona } = (await import(join(fakes, "daytona.ts"))) as typeof import("../tests/fakes/daytona.ts");
const dir = mkdtempSync(join(tmpdir(), "lr-compile-check-"));
const bin = join(dir, "probe");
const build = Bun.spawnSync([process.execPath, "build", "--compile", "--minify", "--sourcemap", import.meta.path, "--outfile", bin], { cwd: root, stdout: "inherit", stderr: "inherit" });
if (build.exitCode !== 0) process.exit(build.exitCode ?? 1);
const [e2b, daytona] = await Promise.all([startFakeE2B(), startFakeDaytona()]);
const run = Bun.spawn([bin, "--probe", e2b.url, daytona.apiUrl], { cwd: dir, stdout: "inherit", stderr: "inherit" });
const code = await run.exited;
await Promise.all([e2b.stop(), daytona.stop()]);
rmSync(dir, { recursive: true, force: true });
process.exit(code);

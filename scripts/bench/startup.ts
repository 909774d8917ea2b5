/**
 * Binary size and cold start: time from spawning `dist/litellm-rust` to its first answered request
 * (the shipped config.yaml, a `mock-gpt` chat completion), median of N starts.
 * Usage: bun scripts/bench/startup.ts [--runs N] [--update-docs]   (builds dist/litellm-rust first if absent)
 */
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeDocs } from "./docs.ts";
import { ROOT } from "./subjects.ts";

const argv = process.argv.slice(2);
const runs = Number(argv[argv.indexOf("--runs") + 1] ?? 0) || 15;
const bin = join(ROOT, "dist/litellm-rust");
if (!existsSync(bin)) Bun.spawnSync([process.execPath, join(ROOT, "scripts/build.ts")], { stdout: "inherit", stderr: "inherit" });

async function coldStart(port: number): Promise<number> {
  const t0 = performance.now();
  const proc = Bun.spawn([bin, "--config", join(ROOT, "config.yaml"), "--port", String(port), "--host", "127.0.0.1"], {
    cwd: ROOT,
    env: { ...process.env, LITELLM_MASTER_KEY: "" },
    stdout: "ignore",
    stderr: "ignore",
  });
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
          method: "POST",
          body: JSON.stringify({ model: "mock-gpt", messages: [{ role: "user", content: "hi" }] }),
        });
        if (res.status === 200) {
          await res.text();
          return performance.now() - t0;
        }
      } catch {
        /* not listening yet */
      }
      await Bun.sleep(2);
    }
  } finally {
    proc.kill();
    await proc.exited;
  }
}

const times: number[] = [];
for (let i = 0; i < runs; i++) times.push(await coldStart(24000 + i));
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)]!;
const size = statSync(bin).size;
const body = [
  "| binary | size | cold start to first answered request (median of " + runs + ") | fastest | slowest |",
  "| --- | --- | --- | --- | --- |",
  `| dist/litellm-rust (linux-x64) | ${(size / 1e6).toFixed(1)} MB | ${median.toFixed(0)} ms | ${times[0]!.toFixed(0)} ms | ${times.at(-1)!.toFixed(0)} ms |`,
].join("\n");
console.log(body);
if (argv.includes("--update-docs")) writeDocs({ startup: body }, {});

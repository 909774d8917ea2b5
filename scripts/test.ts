/**
 * `npm test`: unit and end-to-end tests from source, then the end-to-end tests again against the
 * compiled binary (dist/litellm-rust), which is what users run. Ends with `N passed, N failed`.
 * `--source-only` skips the binary pass; extra arguments are passed to `bun test` as filters.
 */
import { resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const argv = process.argv.slice(2);
const sourceOnly = argv.includes("--source-only");
const filters = argv.filter((a) => a !== "--source-only");

interface Tally {
  pass: number;
  fail: number;
}

async function bunTest(label: string, paths: string[], env: Record<string, string> = {}): Promise<Tally> {
  console.log(`\n=== ${label} ===`);
  const proc = Bun.spawn([process.execPath, "test", "--timeout", "60000", ...paths], {
    cwd: root,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const pump = async (s: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) => {
    const dec = new TextDecoder();
    for await (const chunk of s) {
      const t = dec.decode(chunk);
      text += t;
      out.write(t);
    }
  };
  await Promise.all([pump(proc.stdout as ReadableStream<Uint8Array>, process.stdout), pump(proc.stderr as ReadableStream<Uint8Array>, process.stderr), proc.exited]);
  const pass = Number(/^\s*(\d+) pass$/m.exec(text)?.[1] ?? 0);
  let fail = Number(/^\s*(\d+) fail$/m.exec(text)?.[1] ?? 0);
  if (proc.exitCode !== 0 && fail === 0) fail = 1;
  return { pass, fail };
}

const tallies: Tally[] = [];
tallies.push(await bunTest("source: unit + e2e", filters.length ? filters : ["tests/unit", "tests/e2e"]));
if (!sourceOnly) {
  console.log("\n=== building dist/litellm-rust ===");
  const b = Bun.spawnSync([process.execPath, "scripts/build.ts"], { cwd: root, stdout: "inherit", stderr: "inherit" });
  if (b.exitCode !== 0) tallies.push({ pass: 0, fail: 1 });
  else tallies.push(await bunTest("compiled binary: e2e", filters.length ? filters.filter((f) => f.includes("e2e")) : ["tests/e2e"], { LITELLM_RUST_BIN: "dist/litellm-rust" }));
}
const pass = tallies.reduce((a, t) => a + t.pass, 0);
const fail = tallies.reduce((a, t) => a + t.fail, 0);
console.log(`\n${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);

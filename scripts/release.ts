/**
 * `bun run release`: cross-compiles litellm-rust for every supported platform into dist/release/
 * (minified, sourcemaps embedded, version / git sha / build date baked in) and writes SHA256SUMS.
 * Options: --targets linux-x64,darwin-arm64 (a subset), --out DIR.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";

export const TARGETS: Record<string, string> = {
  "linux-x64": "bun-linux-x64",
  "linux-x64-baseline": "bun-linux-x64-baseline",
  "linux-arm64": "bun-linux-arm64",
  "darwin-x64": "bun-darwin-x64",
  "darwin-arm64": "bun-darwin-arm64",
};

const root = resolve(import.meta.dir, "..");
const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const out = resolve(root, opt("--out") ?? "dist/release");
const wanted = (opt("--targets") ?? Object.keys(TARGETS).join(",")).split(",");
for (const t of wanted) if (!TARGETS[t]) throw new Error(`unknown target ${t}; known: ${Object.keys(TARGETS).join(", ")}`);

const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const sums: string[] = [];
for (const name of wanted) {
  const file = join(out, `litellm-rust-${version}-${name}`);
  const r = Bun.spawnSync([process.execPath, join(root, "scripts/build.ts"), "--target", TARGETS[name]!, "--outfile", file], {
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  });
  if (r.exitCode !== 0) process.exit(r.exitCode ?? 1);
  const digest = createHash("sha256").update(readFileSync(file)).digest("hex");
  sums.push(`${digest}  ${basename(file)}`);
}
writeFileSync(join(out, "SHA256SUMS"), `${sums.join("\n")}\n`);
console.log(`release artifacts in ${out}:\n${sums.join("\n")}`);

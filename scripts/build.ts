/**
 * `bun run build`: compiles the gateway into one self-contained executable, dist/litellm-rust.
 * Version, git sha and build date are baked in (`litellm-rust --version`).
 * Options: --target bun-linux-x64 (cross-compile), --outfile PATH.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

const pkg = (await Bun.file(resolve(root, "package.json")).json()) as { version: string };
const sha = (() => {
  const r = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: root });
  return r.exitCode === 0 ? r.stdout.toString().trim() : "unknown";
})();
const target = opt("--target");
const outfile = resolve(root, opt("--outfile") ?? "dist/litellm-rust");
mkdirSync(dirname(outfile), { recursive: true });
// Code splitting writes a source map per chunk beside the binary (the maps are embedded in it too):
// build in a scratch directory and keep only the executable.
const scratch = mkdtempSync(join(dirname(outfile), ".build-"));

const cmd = [
  process.execPath,
  "build",
  "--compile",
  "--minify",
  "--keep-names",
  "--sourcemap",
  "--splitting",
  ...(target ? [`--target=${target}`] : []),
  `--define=LITELLM_RUST_VERSION=${JSON.stringify(pkg.version)}`,
  `--define=LITELLM_RUST_GIT_SHA=${JSON.stringify(sha)}`,
  `--define=LITELLM_RUST_BUILD_DATE=${JSON.stringify(new Date().toISOString())}`,
  resolve(root, "src/main.ts"),
  // The logging callbacks' worker thread, loaded by path at run time (src/callbacks/log-worker.ts).
  resolve(root, "src/callbacks/worker.ts"),
  "--outfile",
  join(scratch, basename(outfile)),
];
const r = Bun.spawnSync(cmd, { cwd: root, stdout: "inherit", stderr: "inherit" });
if (r.exitCode === 0) renameSync(join(scratch, basename(outfile)), outfile);
rmSync(scratch, { recursive: true, force: true });
if (r.exitCode !== 0) process.exit(r.exitCode ?? 1);
console.log(`built ${outfile}`);

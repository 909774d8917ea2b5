/**
 * `bun run build`: compiles the gateway into one self-contained executable, dist/litellm-rust.
 * Version, git sha and build date are baked in (`litellm-rust --version`).
 * Options: --target bun-linux-x64 (cross-compile), --outfile PATH.
 */
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";

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

const cmd = [
  process.execPath,
  "build",
  "--compile",
  "--minify",
  "--sourcemap",
  ...(target ? [`--target=${target}`] : []),
  `--define=LITELLM_RUST_VERSION=${JSON.stringify(pkg.version)}`,
  `--define=LITELLM_RUST_GIT_SHA=${JSON.stringify(sha)}`,
  `--define=LITELLM_RUST_BUILD_DATE=${JSON.stringify(new Date().toISOString())}`,
  resolve(root, "src/main.ts"),
  "--outfile",
  outfile,
];
const r = Bun.spawnSync(cmd, { cwd: root, stdout: "inherit", stderr: "inherit" });
if (r.exitCode !== 0) process.exit(r.exitCode ?? 1);
console.log(`built ${outfile}`);

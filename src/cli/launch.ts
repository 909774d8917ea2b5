import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline/promises";
import { selfCommand } from "./self.ts";

/** Where a gateway is and the key to use, for `litellm-rust claude` / `litellm-rust codex`. */
export interface LaunchSettings {
  url: string;
  key: string;
}

export function settingsPath(env: Record<string, string | undefined>): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), ".config");
  return join(base, "litellm-rust", "launcher.json");
}

interface Parsed {
  url?: string;
  key?: string;
  reset: boolean;
  /** Claude Code's status line shows the session's gateway figures (off with --no-statusline). */
  statusline: boolean;
  rest: string[];
}

/** Takes our own flags out of the argument list; everything else goes to the tool untouched. */
export function parseLaunchArgs(argv: string[]): Parsed {
  const out: Parsed = { reset: false, statusline: true, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith("--gateway-") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (flag === "--gateway-url") out.url = inline ?? argv[++i];
    else if (flag === "--gateway-key") out.key = inline ?? argv[++i];
    else if (a === "--reset") out.reset = true;
    else if (a === "--no-statusline") out.statusline = false;
    else out.rest.push(a);
  }
  return out;
}

export function readSaved(path: string): Partial<LaunchSettings> {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Partial<LaunchSettings>;
  } catch {
    return {};
  }
}

function save(path: string, s: LaunchSettings): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

async function prompt(question: string, fallback?: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(fallback ? `${question} [${fallback}]: ` : `${question}: `)).trim();
    return answer || fallback || "";
  } finally {
    rl.close();
  }
}

/** Flags, then env, then the saved file; on first use at a terminal, asks and saves. */
export async function resolveSettings(p: Parsed, env: Record<string, string | undefined>): Promise<LaunchSettings> {
  const path = settingsPath(env);
  if (p.reset) {
    rmSync(path, { force: true });
    process.stderr.write(`litellm-rust: forgot saved gateway settings (${path})\n`);
  }
  const saved = p.reset ? {} : readSaved(path);
  let url = p.url ?? env.LITELLM_RUST_URL ?? env.LITELLM_PROXY_URL ?? saved.url;
  let key = p.key ?? env.LITELLM_RUST_API_KEY ?? env.LITELLM_PROXY_API_KEY ?? saved.key;
  if (url && key) return { url: url.replace(/\/+$/, ""), key };
  if (!process.stdin.isTTY) {
    throw new Error(
      `no gateway settings: pass --gateway-url and --gateway-key, set LITELLM_RUST_URL and LITELLM_RUST_API_KEY, or run once at a terminal to save them in ${path}`,
    );
  }
  url ||= await prompt("litellm-rust gateway URL", "http://127.0.0.1:4000");
  key ||= await prompt("API key for the gateway (master key or a virtual key sk-...)");
  const s = { url: url.replace(/\/+$/, ""), key };
  save(path, s);
  process.stderr.write(`litellm-rust: saved to ${path} (use --reset to forget)\n`);
  return s;
}

const shellQuote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);

/** Claude Code's `statusLine` setting running `litellm-rust statusline` (refreshed every 10 s, as spend is written in batches). */
export function statusLineSettings(self: string[] = selfCommand(["statusline"])): string {
  return JSON.stringify({ statusLine: { type: "command", command: self.map(shellQuote).join(" "), refreshInterval: 10 } });
}

/** The command line and environment that point a tool at the gateway. */
export function launchCommand(tool: "claude" | "codex", s: LaunchSettings, rest: string[], env: Record<string, string | undefined>, opts: { statusline?: boolean } = {}) {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  if (tool === "claude") {
    delete childEnv.ANTHROPIC_API_KEY;
    childEnv.ANTHROPIC_BASE_URL = s.url;
    childEnv.ANTHROPIC_AUTH_TOKEN = s.key;
    const own = opts.statusline !== false && !rest.some((a) => a === "--settings" || a.startsWith("--settings="));
    return { cmd: [env.LITELLM_RUST_CLAUDE_BIN || "claude", ...(own ? ["--settings", statusLineSettings()] : []), ...rest], env: childEnv };
  }
  childEnv.LITELLM_RUST_API_KEY = s.key;
  const provider = `model_providers.litellm-rust={name="litellm-rust",base_url="${s.url}/v1",wire_api="responses",env_key="LITELLM_RUST_API_KEY"}`;
  return { cmd: [env.LITELLM_RUST_CODEX_BIN || "codex", "-c", 'model_provider="litellm-rust"', "-c", provider, ...rest], env: childEnv };
}

/** `litellm-rust claude|codex [args…]`: runs the tool against the gateway and returns its exit code. */
export async function launch(tool: "claude" | "codex", argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const parsed = parseLaunchArgs(argv);
  let settings: LaunchSettings;
  try {
    settings = await resolveSettings(parsed, env);
  } catch (e) {
    process.stderr.write(`litellm-rust: ${(e as Error).message}\n`);
    return 2;
  }
  const { cmd, env: childEnv } = launchCommand(tool, settings, parsed.rest, env, { statusline: parsed.statusline });
  let child;
  try {
    child = Bun.spawn(cmd, { env: childEnv, stdin: "inherit", stdout: "inherit", stderr: "inherit" });
  } catch (e) {
    process.stderr.write(`litellm-rust: cannot start ${cmd[0]}: ${(e as Error).message}. Install it (npm i -g ${tool === "claude" ? "@anthropic-ai/claude-code" : "@openai/codex"}).\n`);
    return 127;
  }
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, () => child.kill(sig));
  return await child.exited;
}

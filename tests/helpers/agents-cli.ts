import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./gateway.ts";

export const CLAUDE_BIN = join(ROOT, "node_modules/.bin/claude");
export const CODEX_BIN = join(ROOT, "node_modules/.bin/codex");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON lines (stream-json / --json output) */
  events: Array<Record<string, unknown>>;
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      out.push(JSON.parse(t) as Record<string, unknown>);
    } catch {
      /* not JSON */
    }
  }
  return out;
}

async function run(cmd: string[], env: Record<string, string>, cwd: string, timeoutMs: number): Promise<CliRun> {
  const proc = Bun.spawn(cmd, { cwd, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr, events: jsonLines(stdout) };
}

/** Runs the real Claude Code CLI headless against `baseUrl`, isolated in a fresh HOME. */
export async function runClaude(opts: {
  baseUrl: string;
  apiKey: string;
  prompt: string;
  model?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<CliRun> {
  const home = mkdtempSync(join(tmpdir(), "lr-claude-"));
  const args = [CLAUDE_BIN, "-p", opts.prompt, "--output-format", "stream-json", "--verbose", ...(opts.model ? ["--model", opts.model] : []), ...(opts.extraArgs ?? [])];
  return run(
    args,
    {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      ANTHROPIC_BASE_URL: opts.baseUrl,
      ANTHROPIC_API_KEY: opts.apiKey,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_ERROR_REPORTING: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
      IS_SANDBOX: "1",
      ...opts.env,
    },
    home,
    opts.timeoutMs ?? 60_000,
  );
}

/** Runs the real Codex CLI (`codex exec --json`) against a Responses endpoint at `baseUrl` (…/v1). */
export async function runCodex(opts: {
  baseUrl: string;
  apiKey: string;
  prompt: string;
  model: string;
  extraArgs?: string[];
  timeoutMs?: number;
}): Promise<CliRun> {
  const home = mkdtempSync(join(tmpdir(), "lr-codex-"));
  const provider = `model_providers.gw={name="gw",base_url="${opts.baseUrl}",wire_api="responses",env_key="GW_KEY"}`;
  const args = [
    CODEX_BIN,
    "exec",
    "--json",
    "--skip-git-repo-check",
    "-m",
    opts.model,
    "-c",
    "model_provider=gw",
    "-c",
    provider,
    ...(opts.extraArgs ?? []),
    opts.prompt,
  ];
  return run(args, { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, CODEX_HOME: home, GW_KEY: opts.apiKey }, home, opts.timeoutMs ?? 60_000);
}

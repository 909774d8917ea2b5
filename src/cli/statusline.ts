import { percent, usd } from "../spend/figures.ts";
import { readSaved, settingsPath } from "./launch.ts";

/** Claude Code runs the status line often: a slow or absent gateway must not hold it up. */
const TIMEOUT_MS = 1000;
const MAX_INPUT_BYTES = 1 << 20;

interface Gateway {
  url: string;
  key: string;
}

/** Where Claude Code sends its calls (its env), else the launcher's env or saved settings. */
export function statuslineGateway(argv: string[], env: Record<string, string | undefined>): Gateway | undefined {
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
  };
  const saved = readSaved(settingsPath(env));
  const url = flag("--gateway-url") ?? env.ANTHROPIC_BASE_URL ?? env.LITELLM_RUST_URL ?? env.LITELLM_PROXY_URL ?? saved.url;
  const key = flag("--gateway-key") ?? env.ANTHROPIC_AUTH_TOKEN ?? env.ANTHROPIC_API_KEY ?? env.LITELLM_RUST_API_KEY ?? env.LITELLM_PROXY_API_KEY ?? saved.key;
  return url && key ? { url: url.replace(/\/+$/, ""), key } : undefined;
}

const tokens = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));

/** One line: spend (against the session budget), tokens, cache hit rate, the routed model, calls. */
export function statusText(s: Record<string, unknown>): string {
  const n = (k: string) => (typeof s[k] === "number" ? (s[k] as number) : 0);
  const budget = (s.budget ?? {}) as { max_session_budget?: number };
  const spend = budget.max_session_budget !== undefined ? `${usd(n("spend"))} of ${usd(budget.max_session_budget)}` : usd(n("spend"));
  const parts = [`gateway ${spend}`, `${tokens(n("input_tokens"))} in`, `${tokens(n("output_tokens"))} out`];
  if (typeof s.cache_hit_rate === "number") parts.push(`cache ${percent(s.cache_hit_rate)}`);
  if (typeof s.last_model === "string" && s.last_model) parts.push(s.last_model);
  parts.push(`${n("calls")} ${n("calls") === 1 ? "call" : "calls"}`);
  return parts.join(" · ");
}

async function readInput(stdin: ReadableStream<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const c of stdin) {
    size += c.byteLength;
    if (size > MAX_INPUT_BYTES) break;
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * `litellm-rust statusline`: Claude Code's status-line command. Reads the JSON Claude Code writes to
 * stdin (its `session_id`), asks the gateway for that session and prints one line; prints nothing
 * and exits 0 when the gateway is unreachable or the input is not Claude Code's.
 */
export async function statusline(argv: string[], env: Record<string, string | undefined> = process.env, stdin: ReadableStream<Uint8Array> = Bun.stdin.stream()): Promise<number> {
  try {
    const input = JSON.parse(await readInput(stdin)) as { session_id?: unknown };
    const gw = statuslineGateway(argv, env);
    if (typeof input.session_id !== "string" || !input.session_id || !gw) return 0;
    const res = await fetch(`${gw.url}/api/coding-sessions/${encodeURIComponent(input.session_id)}?timeline=false`, {
      headers: { authorization: `Bearer ${gw.key}` },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const body = (await res.json()) as Record<string, unknown> & { error?: { param?: unknown } };
    if (res.ok) process.stdout.write(`${statusText(body)}\n`);
    else if (res.status === 404 && body.error?.param === "session_id") process.stdout.write("gateway · no calls recorded yet\n");
  } catch {
    /* silent: a status line must never show an error of its own */
  }
  return 0;
}

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { LOAD_CPU } from "./proc.ts";
import type { Target } from "./targets.ts";

export interface WrkResult {
  requests: number;
  rps: number;
  /** latency percentiles, µs */
  p50: number;
  p90: number;
  p99: number;
  errors: number;
}

const UNIT: Record<string, number> = { us: 1, ms: 1000, s: 1_000_000, m: 60_000_000 };

function micros(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  return m ? Number(m[1]) * UNIT[m[2]!]! : NaN;
}

export function parseWrk(out: string): WrkResult {
  const lat = (p: string) => micros(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(out)?.[1] ?? "");
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const sockErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requests,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
    p50: lat("50"),
    p90: lat("90"),
    p99: lat("99"),
    errors: non2xx + sockErrors,
  };
}

const luaString = (s: string) => `[==[${s}]==]`;

/** A wrk script that sends `t` (method, headers, body) on every request. */
export function wrkScript(t: Target, dir: string, name: string): string {
  const lines = [`wrk.method = "POST"`, `wrk.body = ${luaString(t.body)}`];
  for (const [k, v] of Object.entries(t.headers)) lines.push(`wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`);
  const path = join(dir, `${name}.lua`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** Closed-loop load: `connections` clients each sending the next request when the last answered. */
export async function runWrk(t: Target, script: string, connections: number, seconds: number, cpu: string | undefined = LOAD_CPU): Promise<WrkResult> {
  const cmd = ["wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, t.url];
  const proc = Bun.spawn(cpu === undefined ? cmd : ["taskset", "-c", cpu, ...cmd], { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  if ((await proc.exited) !== 0 || err.trim()) throw new Error(`wrk failed: ${err || out}`);
  return parseWrk(out);
}

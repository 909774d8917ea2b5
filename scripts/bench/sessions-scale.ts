#!/usr/bin/env bun
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { createSessionTables, SESSIONS_TABLE } from "../../src/sessions/rollup.ts";
import { createBenchDb, seed } from "./database.ts";
import { ms, num, table } from "./report.ts";
import { pct, sortedFloat } from "./stats.ts";
import { MASTER_KEY, ROOT, startLitellm } from "./subjects.ts";

/** Session ids the seeded spend rows carry: row i is in session `seed-session-(i mod SEED_SESSIONS)`. */
export const SEED_SESSIONS = 10_000;
const CALLS = 40;

/**
 * Puts the seeded spend rows into coding sessions and writes the rollup rows the spend writer would
 * have left for them (one per session and key).
 */
export async function seedSessions(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await createSessionTables(sql);
    await sql.unsafe(`update "LiteLLM_SpendLogs" set session_id = 'seed-session-' || (substr(request_id, 6)::int % ${SEED_SESSIONS}) where request_id like 'seed-%'`);
    await sql.unsafe(`
      insert into ${SESSIONS_TABLE} (session_id, api_key, client, client_name, client_version, first_call, last_call, calls, prompt_tokens,
        completion_tokens, spend, models, model_groups, last_model)
      select session_id, api_key, 'claude-code', 'claude-cli', '2.1.197', min("startTime") at time zone 'UTC', max("endTime") at time zone 'UTC',
        count(*), sum(prompt_tokens), sum(completion_tokens), sum(spend), array_agg(distinct model), array_agg(distinct model_group), max(model)
      from "LiteLLM_SpendLogs" where session_id like 'seed-session-%' group by session_id, api_key`);
    await sql.unsafe("analyze");
    const [r] = await sql<Array<{ n: string }>>`select count(*)::text as n from litellm_rust_coding_sessions`;
    return Number(r?.n ?? 0);
  } finally {
    await sql.end();
  }
}

async function timed(url: string, n = CALLS): Promise<{ p50: number; p95: number; bytes: number }> {
  const headers = { authorization: `Bearer ${MASTER_KEY}` };
  let bytes = 0;
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${(await res.text()).slice(0, 200)}`);
  await res.arrayBuffer();
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await fetch(url, { headers });
    bytes = (await r.arrayBuffer()).byteLength;
    us.push((performance.now() - t) * 1000);
  }
  const s = sortedFloat(us);
  return { p50: pct(s, 50), p95: pct(s, 95), bytes };
}

/** What the list would cost without the rollup: one GROUP BY over every spend row. */
async function naiveGroupBy(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      await sql.unsafe(`select session_id, api_key, count(*), sum(prompt_tokens), sum(completion_tokens), sum(spend), min("startTime"), max("endTime")
        from "LiteLLM_SpendLogs" where session_id is not null group by session_id, api_key order by max("endTime") desc limit 50`);
      runs.push((performance.now() - t) * 1000);
    }
    return runs.sort((a, b) => a - b)[1]!;
  } finally {
    await sql.end();
  }
}

/** `/api/coding-sessions` answers on the seeded database (1,000,000 spend rows in sessions). */
export async function sessionApiLatency(port: number, dbUrl: string, spendRows: number, log: (s: string) => void): Promise<string> {
  const rollupRows = await seedSessions(dbUrl);
  log(`sessions: ${num(rollupRows)} rollup rows over ${num(spendRows)} spend rows`);
  const base = `http://127.0.0.1:${port}/api/coding-sessions`;
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const [one] = await sql<Array<{ api_key: string }>>`select api_key from litellm_rust_coding_sessions where session_id = 'seed-session-42' limit 1`;
  await sql.end();
  const cases: Array<[string, string]> = [
    ["list, newest 50 sessions (and the total count)", base],
    ["list, one key's sessions", `${base}?key=${one!.api_key}`],
    ["list, Claude Code sessions of one model, page 3", `${base}?client=claude-code&model=gpt-bench&offset=100`],
    [`one session with its timeline (${num(spendRows / SEED_SESSIONS)} calls)`, `${base}/seed-session-42`],
    ["one session's totals (the status line's call)", `${base}/seed-session-42?timeline=false`],
  ];
  const rows: string[][] = [];
  for (const [what, url] of cases) {
    const t = await timed(url);
    rows.push([what, ms(t.p50), ms(t.p95), num(t.bytes)]);
  }
  const naive = await naiveGroupBy(dbUrl);
  return `${table(["GET /api/coding-sessions…", "p50", "p95", "answer bytes"], rows)}

${num(rollupRows)} sessions (session × key rows in \`${SESSIONS_TABLE}\`) over ${num(spendRows)} spend rows, ${CALLS} serial requests each
with the master key, on a gateway with the seeded database. Without the rollup the list is one
GROUP BY over the spend rows: ${ms(naive)} (median of 3, run directly in Postgres).`;
}

if (import.meta.main) {
  const keys = Number(process.env.SEED_KEYS ?? 100_000);
  const rows = Number(process.env.SEED_SPEND_ROWS ?? 1_000_000);
  const db = await createBenchDb("sessions");
  if ("note" in db) throw new Error(db.note);
  const dir = mkdtempSync(join(tmpdir(), "lr-bench-sessions-"));
  const cfg = join(dir, "config.yaml");
  writeFileSync(cfg, `general_settings:\n  master_key: ${MASTER_KEY}\n  database_url: ${db.url}\n`);
  const bin = process.env.LITELLM_RUST_BIN;
  const { proc, port } = await startLitellm("sessions", { cmd: bin ? [bin] : [process.execPath, join(ROOT, "src/main.ts")], label: "gateway" }, cfg, dir, [], undefined);
  try {
    process.stderr.write(`seeding ${num(keys)} keys and ${num(rows)} spend rows\n`);
    await seed(db.url, keys, rows);
    console.log(await sessionApiLatency(port, db.url, rows, (s) => process.stderr.write(`${s}\n`)));
  } finally {
    await proc.stop();
    await db.drop();
  }
}

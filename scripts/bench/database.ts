import postgres from "postgres";
import { MASTER_KEY } from "./subjects.ts";

/** Where the benchmark creates its throw-away databases (the local Postgres of the dev machine and CI). */
const ADMIN_URL = process.env.BENCH_DATABASE_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

const created = new Set<BenchDb>();

/** Drops every database this run created and has not dropped yet (on failure or Ctrl-C). */
export async function dropAll(): Promise<void> {
  for (const db of [...created]) await db.drop();
}

export interface BenchDb {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database (the gateway creates LiteLLM's tables in it at start), or why not. */
export async function createBenchDb(tag: string): Promise<BenchDb | { note: string }> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 3 });
  const name = `litellm_bench_${tag}_${process.pid}_${Date.now().toString(36)}`;
  try {
    await admin.unsafe(`create database "${name}"`);
  } catch (e) {
    await admin.end({ timeout: 1 }).catch(() => {});
    return { note: `no Postgres at ${ADMIN_URL.replace(/:[^:@/]*@/, "@")} (${(e as Error).message}); set BENCH_DATABASE_ADMIN_URL` };
  }
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db: BenchDb = {
    url: url.toString(),
    name,
    async drop() {
      created.delete(db);
      const a = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
      await a.end();
    },
  };
  created.add(db);
  return db;
}

/** A virtual key made through the gateway's own `/key/generate`, as a LiteLLM admin would. */
export async function generateKey(port: number, alias: string, limits: string[] = []): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/key/generate`, {
    method: "POST",
    headers: { authorization: `Bearer ${MASTER_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ key_alias: alias, ...(limits.includes("budget") ? { max_budget: 1e9 } : {}), ...(limits.includes("tpm") ? { tpm_limit: 1e12 } : {}) }),
  });
  const j = (await res.json()) as { key?: string };
  if (res.status !== 200 || !j.key) throw new Error(`/key/generate answered ${res.status}: ${JSON.stringify(j)}`);
  return j.key;
}

/** `keys` more virtual keys and `spendRows` spend-log rows, written by Postgres itself (generate_series). */
export async function seed(url: string, keys: number, spendRows: number): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`
      insert into "LiteLLM_VerificationToken" (token, key_name, key_alias, spend, models, created_at, updated_at)
      select encode(sha256(('sk-seed-' || i)::bytea), 'hex'), 'sk-...' || i, 'seed-' || i, 0, '{}', now(), now()
      from generate_series(1, ${keys}) i`);
    await sql.unsafe(`
      insert into "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, total_tokens, prompt_tokens, completion_tokens,
        "startTime", "endTime", model, model_group, status)
      select 'seed-' || i, 'acompletion', encode(sha256(('sk-seed-' || (i % ${keys} + 1))::bytea), 'hex'), 0.0001, 30, 20, 10,
        now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval, 'gpt-bench', 'bench-zero', 'success'
      from generate_series(1, ${spendRows}) i`);
    await sql.unsafe(`analyze`);
  } finally {
    await sql.end();
  }
}

export async function countSpendRows(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] = await sql<{ n: string }[]>`select count(*)::text as n from "LiteLLM_SpendLogs"`;
    return Number(r?.n ?? 0);
  } finally {
    await sql.end();
  }
}

import { createHash } from "node:crypto";
import type { Sql } from "postgres";

export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

type Val = string | number | boolean | null | string[] | Record<string, unknown> | Date;

/** Inserts a row the way LiteLLM's Prisma client writes it (JSON columns as JSON, arrays as text[]). */
export async function insert(sql: Sql, table: string, row: Record<string, Val | undefined>): Promise<void> {
  const cols = Object.keys(row).filter((k) => row[k] !== undefined);
  const vals = cols.map((c) => {
    const v = row[c];
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v;
    if (v && typeof v === "object") return JSON.stringify(v);
    return v as string | number | boolean | null;
  });
  const types = await sql<Array<{ column_name: string; data_type: string }>>`
    SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ${table}`;
  const typeOf = new Map(types.map((t) => [t.column_name, t.data_type]));
  const placeholders = cols.map((c, i) => {
    const t = typeOf.get(c);
    if (t === "jsonb") return `$${i + 1}::jsonb`;
    if (t === "ARRAY") return `$${i + 1}::text[]`;
    if (t?.startsWith("timestamp")) return `$${i + 1}::timestamp`;
    return `$${i + 1}`;
  });
  await sql.unsafe(`INSERT INTO "${table}" (${cols.map((c) => `"${c}"`).join(", ")}) VALUES (${placeholders.join(", ")})`, vals as never[]);
}

/** A LiteLLM virtual key row: sha256 token, `sk-...` key_name, Prisma's audit fields. */
export async function insertKey(sql: Sql, raw: string, fields: Record<string, Val | undefined> = {}): Promise<string> {
  const token = sha256(raw);
  await insert(sql, "LiteLLM_VerificationToken", {
    token,
    key_name: `sk-...${raw.slice(-4)}`,
    models: [],
    metadata: {},
    created_by: "default_user_id",
    updated_by: "default_user_id",
    ...fields,
  });
  return token;
}

export async function insertBudget(sql: Sql, id: string, fields: Record<string, Val | undefined>): Promise<void> {
  await insert(sql, "LiteLLM_BudgetTable", { budget_id: id, created_by: "default_user_id", updated_by: "default_user_id", ...fields });
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** Sends a chat completion with plain fetch; returns status and parsed body. */
export async function chat(url: string, key: string, body: Record<string, unknown>, path = "/v1/chat/completions") {
  const r = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
  });
  return { status: r.status, headers: r.headers, body: (await r.json()) as { error?: { message: string; type: string; code: string; param: string | null } } & Record<string, unknown> };
}

import { readFileSync } from "node:fs";
import postgres, { type Sql } from "postgres";

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const LITELLM_SCHEMA_FIXTURE = "/work/shared/fixtures/litellm-schema.sql";

export interface TestDb {
  name: string;
  url: string;
  sql: Sql;
  drop(): Promise<void>;
}

function urlFor(name: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, uniquely named database on the local Postgres; `drop()` removes it. */
export async function createTestDb(prefix = "lr_test"): Promise<TestDb> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = urlFor(name);
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 2 });
      const a = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Loads the schema dump of a database migrated by LiteLLM's own Prisma migrations. */
export async function loadLiteLLMSchema(sql: Sql, path = LITELLM_SCHEMA_FIXTURE): Promise<void> {
  const text = readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => !l.startsWith("\\"))
    .join("\n");
  await sql.unsafe(text);
  await sql.unsafe(`SELECT pg_catalog.set_config('search_path', 'public', false)`);
}

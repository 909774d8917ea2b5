import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Sql } from "postgres";
import { schemaStatements } from "../../src/db/ddl.ts";
import { TABLES } from "../../src/db/tables.ts";
import { createTestDb, loadLiteLLMSchema, type TestDb } from "../helpers/pg.ts";

let litellm: TestDb;
let ours: TestDb;

beforeAll(async () => {
  litellm = await createTestDb("lr_schema_litellm");
  ours = await createTestDb("lr_schema_ours");
  await loadLiteLLMSchema(litellm.sql);
  await ours.sql.begin(async (tx) => {
    for (const s of schemaStatements()) await tx.unsafe(s);
  });
});

afterAll(async () => {
  await litellm?.drop();
  await ours?.drop();
});

const names = TABLES.map((t) => t.name);

async function columns(sql: Sql) {
  return sql`
    SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default, datetime_precision
    FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ANY(${names})
    ORDER BY table_name, column_name`;
}

async function indexes(sql: Sql) {
  return sql`
    SELECT tablename, indexname, regexp_replace(indexdef, 'public\\.', '', 'g') AS def
    FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(${names}) ORDER BY indexname`;
}

async function constraints(sql: Sql) {
  return sql`
    SELECT c.conname, c.contype, regexp_replace(pg_get_constraintdef(c.oid), 'public\\.', '', 'g') AS def
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
    WHERE t.relname = ANY(${names}) ORDER BY c.conname`;
}

describe("schema created on an empty database", () => {
  test("every column has LiteLLM's type, nullability and default", async () => {
    const [a, b] = await Promise.all([columns(litellm.sql), columns(ours.sql)]);
    expect(b.length).toBeGreaterThan(250);
    expect([...b]).toEqual([...a]);
  });

  test("indexes match LiteLLM's, name for name", async () => {
    const [a, b] = await Promise.all([indexes(litellm.sql), indexes(ours.sql)]);
    expect([...b]).toEqual([...a]);
  });

  test("primary keys, unique and foreign keys match", async () => {
    const [a, b] = await Promise.all([constraints(litellm.sql), constraints(ours.sql)]);
    expect([...b]).toEqual([...a]);
  });
});

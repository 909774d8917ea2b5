import type { Sql } from "postgres";

/** One lock for every instance creating tables, so gateways booting together on an empty database do not race `CREATE ... IF NOT EXISTS`. */
export const DDL_LOCK = 0x6c72_6464_6c; // "lrddl"

export async function createTables(sql: Sql, statements: string[]): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${DDL_LOCK})`;
    for (const stmt of statements) await tx.unsafe(stmt);
  });
}

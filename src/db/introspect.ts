import type { Sql } from "postgres";

/** Which LiteLLM tables and columns exist in the connected database, read once at start-up. */
export class SchemaInfo {
  constructor(readonly tables: Map<string, Set<string>>) {}

  static async read(sql: Sql): Promise<SchemaInfo> {
    const rows = await sql<Array<{ table_name: string; column_name: string }>>`
      SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name LIKE 'LiteLLM\\_%'`;
    const tables = new Map<string, Set<string>>();
    for (const r of rows) {
      let cols = tables.get(r.table_name);
      if (!cols) tables.set(r.table_name, (cols = new Set()));
      cols.add(r.column_name);
    }
    return new SchemaInfo(tables);
  }

  hasTable(table: string): boolean {
    return this.tables.has(table);
  }

  has(table: string, column: string): boolean {
    return this.tables.get(table)?.has(column) ?? false;
  }

  /** The subset of `wanted` that exists, so a query never names a missing column. */
  existing(table: string, wanted: Iterable<string>): string[] {
    const cols = this.tables.get(table);
    if (!cols) return [];
    return [...wanted].filter((c) => cols.has(c));
  }

  get empty(): boolean {
    return this.tables.size === 0;
  }
}

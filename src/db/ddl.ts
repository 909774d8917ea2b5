import { TABLES, type Table } from "./tables.ts";

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Prisma names constraints and indexes `<table>_<cols>_<suffix>`, cut to Postgres's 63 bytes. */
const prismaName = (table: string, cols: string[], suffix: string) => `${table}_${cols.join("_")}`.slice(0, 63 - suffix.length - 1) + `_${suffix}`;

function createTable(t: Table): string {
  const cols = t.columns.map((c) => {
    let s = `  ${q(c.name)} ${c.type}`;
    if (c.default !== undefined) s += ` DEFAULT ${c.default}`;
    if (c.notNull && c.type !== "serial") s += " NOT NULL";
    return s;
  });
  cols.push(`  CONSTRAINT ${q(`${t.name}_pkey`)} PRIMARY KEY (${t.primaryKey.map(q).join(", ")})`);
  return `CREATE TABLE ${q(t.name)} (\n${cols.join(",\n")}\n)`;
}

function tableIndexes(t: Table): string[] {
  const out: string[] = [];
  for (const u of t.uniques ?? []) {
    out.push(`CREATE UNIQUE INDEX ${q(u.name ?? prismaName(t.name, u.columns, "key"))} ON ${q(t.name)} (${u.columns.map(q).join(", ")})`);
  }
  for (const cols of t.indexes ?? []) {
    out.push(`CREATE INDEX ${q(prismaName(t.name, cols, "idx"))} ON ${q(t.name)} (${cols.map(q).join(", ")})`);
  }
  for (const x of t.extraIndexes ?? []) out.push(`CREATE INDEX ${q(x.name)} ON ${q(t.name)} (${x.expression})`);
  return out;
}

function foreignKeys(t: Table): string[] {
  return (t.foreignKeys ?? []).map(
    (f) =>
      `ALTER TABLE ${q(t.name)} ADD CONSTRAINT ${q(prismaName(t.name, [f.column], "fkey"))} FOREIGN KEY (${q(f.column)}) ` +
      `REFERENCES ${q(f.table)}(${q(f.references)}) ON DELETE ${f.onDelete} ON UPDATE CASCADE`,
  );
}

/** Every statement that creates the gateway's LiteLLM tables on an empty database, in order. */
export function schemaStatements(tables: Table[] = TABLES): string[] {
  return [...tables.map(createTable), ...tables.flatMap(tableIndexes), ...tables.flatMap(foreignKeys)];
}

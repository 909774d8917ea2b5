import type { Sql, TransactionSql } from "postgres";
import type { Row } from "../auth/key-record.ts";
import type { SchemaInfo } from "./introspect.ts";
import { pgJson } from "./pg-safe.ts";

type Exec = Sql | TransactionSql;

const q = (n: string) => `"${n}"`;

/** Only the fields the table has, with `undefined` dropped: a write never names a missing column. */
function columnsFor(s: SchemaInfo, table: string, data: Row): string[] {
  return s.existing(
    table,
    Object.keys(data).filter((k) => data[k] !== undefined),
  );
}


/**
 * Inserts one row; values are converted by Postgres from JSON (`jsonb_populate_record`), so arrays
 * land in `text[]`, objects in `jsonb` and ISO strings in `timestamp(3)`. Returns the row as JSON.
 */
export async function insertRow(x: Exec, s: SchemaInfo, table: string, data: Row): Promise<Row> {
  const cols = columnsFor(s, table, data).map(q).join(", ");
  const rows = await x.unsafe<Array<{ r: Row }>>(
    `INSERT INTO ${q(table)} AS t (${cols}) SELECT ${cols} FROM jsonb_populate_record(NULL::${q(table)}, $1::text::jsonb) RETURNING row_to_json(t.*) AS r`,
    [pgJson(data)],
  );
  return rows[0]!.r;
}

/** Updates the given fields of the rows matching `where` (column = value pairs). Returns them. */
export async function updateRows(x: Exec, s: SchemaInfo, table: string, data: Row, where: Row): Promise<Row[]> {
  const cols = columnsFor(s, table, data);
  const keys = Object.keys(where);
  const cond = keys.map((k, i) => `t.${q(k)} = $${i + 2}`).join(" AND ");
  const params = [pgJson(data), ...keys.map((k) => where[k] as string)];
  if (cols.length === 0) return selectRows(x, table, where);
  const list = cols.map(q).join(", ");
  const set = cols.length === 1 ? `${list} = (SELECT ${list} FROM src)` : `(${list}) = (SELECT ${list} FROM src)`;
  const rows = await x.unsafe<Array<{ r: Row }>>(
    `WITH src AS (SELECT * FROM jsonb_populate_record(NULL::${q(table)}, $1::text::jsonb))
     UPDATE ${q(table)} t SET ${set} WHERE ${cond} RETURNING row_to_json(t.*) AS r`,
    params,
  );
  return rows.map((r) => r.r);
}

export async function selectRows(x: Exec, table: string, where: Row, extra = ""): Promise<Row[]> {
  const keys = Object.keys(where);
  const cond = keys.length ? `WHERE ${keys.map((k, i) => `t.${q(k)} = $${i + 1}`).join(" AND ")}` : "";
  const rows = await x.unsafe<Array<{ r: Row }>>(`SELECT row_to_json(t.*) AS r FROM ${q(table)} t ${cond} ${extra}`, keys.map((k) => where[k] as string));
  return rows.map((r) => r.r);
}

export async function selectIn(x: Exec, table: string, column: string, values: string[]): Promise<Row[]> {
  if (values.length === 0) return [];
  const rows = await x.unsafe<Array<{ r: Row }>>(`SELECT row_to_json(t.*) AS r FROM ${q(table)} t WHERE t.${q(column)} = ANY($1::text[])`, [values]);
  return rows.map((r) => r.r);
}

export async function deleteIn(x: Exec, table: string, column: string, values: string[]): Promise<Row[]> {
  if (values.length === 0) return [];
  const rows = await x.unsafe<Array<{ r: Row }>>(`DELETE FROM ${q(table)} t WHERE t.${q(column)} = ANY($1::text[]) RETURNING row_to_json(t.*) AS r`, [values]);
  return rows.map((r) => r.r);
}

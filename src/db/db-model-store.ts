import type { Row } from "../auth/key-record.ts";
import type { Database } from "./client.ts";
import { deleteIn, insertRow, selectRows, updateRows } from "./rows.ts";
import { encryptValue } from "./secrets.ts";

export const MODEL_TABLE = "LiteLLM_ProxyModelTable";

/** As LiteLLM writes them: every string value of `litellm_params` encrypted (NaCl SecretBox, readable by every LiteLLM release). */
export function encryptParams(params: Row, signingKey: string | undefined): Row {
  if (!signingKey) return { ...params };
  const out: Row = {};
  for (const [k, v] of Object.entries(params)) out[k] = typeof v === "string" ? encryptValue(v, signingKey, "xsalsa20-poly1305") : v;
  return out;
}

export async function findDbModel(db: Database, modelId: string): Promise<Row | undefined> {
  if (!db.schema.hasTable(MODEL_TABLE)) return undefined;
  const [row] = await db.run((sql) => selectRows(sql, MODEL_TABLE, { model_id: modelId }));
  return row;
}

export async function insertDbModel(db: Database, row: Row): Promise<Row> {
  return db.run((sql) => insertRow(sql, db.schema, MODEL_TABLE, row));
}

export async function updateDbModel(db: Database, modelId: string, fields: Row): Promise<Row | undefined> {
  const [row] = await db.run((sql) => updateRows(sql, db.schema, MODEL_TABLE, fields, { model_id: modelId }));
  return row;
}

export async function deleteDbModel(db: Database, modelId: string): Promise<Row | undefined> {
  const [row] = await db.run((sql) => deleteIn(sql, MODEL_TABLE, "model_id", [modelId]));
  return row;
}

/** A fingerprint of the table's rows and their update times: one cheap query tells another instance that something changed. */
export async function dbModelsStamp(db: Database): Promise<string> {
  if (!db.schema.hasTable(MODEL_TABLE)) return "";
  const col = db.schema.existing(MODEL_TABLE, ["updated_at"]).length ? `COALESCE(updated_at::text, '')` : `''`;
  const rows = await db.run((sql) =>
    sql.unsafe<Array<{ s: string | null }>>(`SELECT md5(string_agg(model_id || ':' || ${col}, ',' ORDER BY model_id)) AS s FROM "${MODEL_TABLE}"`),
  );
  return rows[0]?.s ?? "";
}

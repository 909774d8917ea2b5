import type { Sql, TransactionSql } from "postgres";
import type { SchemaInfo } from "./introspect.ts";

export interface DeletedBy {
  userId: string | null;
  apiKeyHash: string | null;
}

const OWN = new Set(["id", "deleted_at", "deleted_by", "deleted_by_api_key", "litellm_changed_by"]);

/**
 * Newer LiteLLM releases copy a key or team into `LiteLLM_DeletedVerificationToken` /
 * `LiteLLM_DeletedTeamTable` before deleting it. Done when the archive table exists, with the
 * columns both tables share; call it in the transaction that deletes.
 */
export async function copyToDeleted(
  x: Sql | TransactionSql,
  s: SchemaInfo,
  source: string,
  archive: string,
  column: string,
  values: string[],
  by: DeletedBy,
): Promise<void> {
  const cols = s.tables.get(archive);
  if (!cols || values.length === 0) return;
  const shared = s.existing(source, [...cols].filter((c) => !OWN.has(c))).map((c) => `"${c}"`);
  const extra = ["deleted_by", "deleted_by_api_key", "litellm_changed_by"].filter((c) => cols.has(c));
  const params = { deleted_by: by.userId, deleted_by_api_key: by.apiKeyHash, litellm_changed_by: by.userId };
  await x.unsafe(
    `INSERT INTO "${archive}" (id, ${[...shared, ...extra.map((c) => `"${c}"`)].join(", ")})
     SELECT gen_random_uuid()::text, ${[...shared.map((c) => `t.${c}`), ...extra.map((_, i) => `$${i + 2}`)].join(", ")}
     FROM "${source}" t WHERE t."${column}" = ANY($1::text[])`,
    [values, ...extra.map((c) => params[c as keyof typeof params])],
  );
}

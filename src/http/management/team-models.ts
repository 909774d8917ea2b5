import type { TransactionSql } from "postgres";
import { obj, strs, type Row } from "../../auth/key-record.ts";
import type { SchemaInfo } from "../../db/introspect.ts";
import { insertRow, updateRows } from "../../db/rows.ts";

const T = "LiteLLM_TeamTable";
const MT = "LiteLLM_ModelTable";

/** A team model's name in the model list: unique, so it never joins (or hijacks) a shared model group. */
export const internalTeamModelName = (teamId: string) => `model_name_${teamId}_${crypto.randomUUID()}`;

async function lockedTeam(tx: TransactionSql, teamId: string): Promise<Row | undefined> {
  const rows = await tx.unsafe<Array<{ r: Row }>>(`SELECT row_to_json(t.*) AS r FROM "${T}" t WHERE team_id = $1 FOR UPDATE`, [teamId]);
  return rows[0]?.r;
}

async function aliasesOf(tx: TransactionSql, id: unknown): Promise<Row> {
  if (id === null || id === undefined) return {};
  const rows = await tx.unsafe<Array<{ aliases: unknown }>>(`SELECT aliases FROM "${MT}" WHERE id = $1`, [id as number]);
  return obj(rows[0]?.aliases);
}

/**
 * Makes a team model callable by the team's keys under its public name, as LiteLLM's team model add
 * does: the team's model aliases map the public name to the model's unique name, and the public name
 * joins the team's `models` (a team with an empty list already reaches every model and keeps it).
 */
export async function addTeamModel(tx: TransactionSql, s: SchemaInfo, teamId: string, publicName: string, internalName: string, by: string): Promise<void> {
  const team = await lockedTeam(tx, teamId);
  if (!team) return;
  const cols: Row = { updated_at: new Date().toISOString() };
  const models = strs(team.models);
  if (models.length && !models.includes(publicName)) cols.models = [...models, publicName];
  if (s.hasTable(MT)) {
    const aliases = { ...(await aliasesOf(tx, team.model_id)), [publicName]: internalName };
    if (team.model_id !== null && team.model_id !== undefined) await updateRows(tx, s, MT, { aliases, updated_by: by, updated_at: new Date().toISOString() }, { id: team.model_id });
    else cols.model_id = (await insertRow(tx, s, MT, { aliases, created_by: by, updated_by: by })).id;
  }
  await updateRows(tx, s, T, cols, { team_id: teamId });
}

/** Undoes `addTeamModel` for a deleted team model: its alias goes, and its public name leaves the team's models. */
export async function removeTeamModel(tx: TransactionSql, s: SchemaInfo, teamId: string, internalName: string): Promise<void> {
  const team = await lockedTeam(tx, teamId);
  if (!team || !s.hasTable(MT) || team.model_id === null || team.model_id === undefined) return;
  const aliases = await aliasesOf(tx, team.model_id);
  const removed = Object.keys(aliases).filter((k) => aliases[k] === internalName);
  if (!removed.length) return;
  for (const k of removed) delete aliases[k];
  await updateRows(tx, s, MT, { aliases, updated_at: new Date().toISOString() }, { id: team.model_id });
  const models = strs(team.models).filter((x) => !removed.includes(x));
  await updateRows(tx, s, T, { models, updated_at: new Date().toISOString() }, { team_id: teamId });
}

import { num, str, strs, type Row } from "../../auth/key-record.ts";
import { listAllows, type ModelCatalog } from "../../auth/model-access.ts";
import { isAdmin, type Mgmt } from "./context.ts";
import { proxyException, py, pyList, type Detail } from "./litellm-errors.ts";
import { isTeamAdmin, loadTeam, memberMayCall, memberOf } from "./team-access.ts";

const catalogOf = (m: Mgmt): ModelCatalog => ({
  groupOf: (x) => m.rt.router.resolve(x)?.group,
  accessGroupModels: (g) => m.rt.router.groups.accessGroupModels(g),
  teamsOf: (g) => m.rt.router.groups.teamsOf(g),
  publicName: (g) => m.rt.router.groups.publicName(g),
});

/**
 * LiteLLM's `validate_key_team_change`, for admins too: the team must reach the key's models, the
 * key's tpm/rpm must fit the team's, the key's user must be a member, and the caller must be a proxy
 * admin, the team's admin, or a member allowed `/key/update`. Returns the new team row.
 */
export async function checkKeyTeamChange(m: Mgmt, key: Row, teamId: string, err: (status: number, d: Detail) => Error): Promise<Row> {
  const team = await loadTeam(m, teamId);
  if (!team) throw err(404, { error: `Team not found, passed team_id=${teamId}` });
  const teamModels = strs(team.models);
  for (const model of strs(key.models)) {
    if (model === "all-team-models" || listAllows(teamModels, model, catalogOf(m))) continue;
    throw proxyException(401, `Team not allowed to access model. Team=${teamId}, Model=${model}. Allowed team models = ${pyList(teamModels)}`, "team_model_access_denied", "model");
  }
  const keyTpm = num(key.tpm_limit);
  if (keyTpm !== undefined) {
    const tpm = num(team.tpm_limit);
    if (tpm && keyTpm > tpm) throw err(403, `Key=${py(key.token)} has a tpm_limit=${keyTpm} which is greater than the team's tpm_limit=${tpm}.`);
    const rpm = num(team.rpm_limit);
    const keyRpm = num(key.rpm_limit);
    if (rpm && keyRpm && keyRpm > rpm) throw err(403, `Key=${py(key.token)} has a rpm_limit=${keyRpm} which is greater than the team's rpm_limit=${rpm}.`);
  }
  const keyUser = str(key.user_id);
  const member = memberOf(team, keyUser);
  if (keyUser && !member) throw err(403, `User=${keyUser} is not a member of the team=${teamId}. Check team members via \`/team/info\`.`);
  if (isAdmin(m.auth) || isTeamAdmin(team, m.auth.userId) || memberMayCall(team, member, "/key/update")) return team;
  throw err(
    403,
    `User=${py(m.auth.userId)} is not a Proxy Admin or Team Admin for team=${teamId}. Please ask your Proxy Admin to allow this action under 'Member Permissions' for this team.`,
  );
}

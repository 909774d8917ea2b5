import { GatewayError } from "../errors.ts";
import type { TeamScope } from "../router/model-groups.ts";
import type { KeyRecord } from "./key-record.ts";
import { isProxyAdmin } from "./management-access.ts";
import type { AuthContext } from "./types.ts";

/** What model access needs from the router: groups, aliases and access groups. */
export interface ModelCatalog {
  /** The model group a requested name resolves to (exact, alias, id, wildcard). */
  groupOf(model: string): string | undefined;
  accessGroupModels(group: string): string[];
  /** The teams a group belongs to when only team deployments serve it. */
  teamsOf(group: string): ReadonlySet<string> | undefined;
  /** The name a team gave its model (`team_public_model_name`), else the group's own. */
  publicName(group: string): string;
}

/** Which team deployments a caller may reach: its key's team; a proxy admin without a team also reaches a single team's model. */
export const teamScope = (a: AuthContext): TeamScope => ({ teamId: a.teamId, admin: isProxyAdmin(a) });

const ALL = new Set(["*", "all-proxy-models"]);

const wildcard = (pattern: string, model: string) =>
  pattern.includes("*") && new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(model);

/** LiteLLM's `_can_object_call_model`: empty = all; `*`/`all-proxy-models`; names, groups, wildcards, access groups. */
export function listAllows(list: string[], model: string, catalog: ModelCatalog, aliases: Record<string, string> = {}): boolean {
  if (list.length === 0) return true;
  const group = catalog.groupOf(model);
  const candidates = [model, group, aliases[model]].filter((x): x is string => !!x);
  for (const entry of list) {
    if (ALL.has(entry)) return true;
    if (candidates.includes(entry)) return true;
    if (candidates.some((c) => wildcard(entry, c))) return true;
    const members = catalog.accessGroupModels(entry);
    if (members.length && candidates.some((c) => members.includes(c))) return true;
  }
  return false;
}

const pyList = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(", ")}]`;

/** The key's own list (skipped for `all-team-models`, which the team check covers). */
export function checkKeyModel(rec: KeyRecord, model: string, catalog: ModelCatalog): void {
  if (rec.models.includes("all-team-models")) return;
  if (listAllows(rec.models, model, catalog, rec.teamModelAliases)) return;
  throw new GatewayError(
    401,
    `key not allowed to access model. This key can only access models=${pyList(rec.models)}. Tried to access ${model}`,
    { type: "key_model_access_denied", param: "model", kind: "AuthenticationError" },
  );
}

export function checkTeamModel(rec: KeyRecord, model: string, catalog: ModelCatalog): void {
  const team = rec.team;
  if (!team) return;
  if (listAllows(team.models, model, catalog, rec.teamModelAliases)) return;
  throw new GatewayError(
    401,
    `Team not allowed to access model. Team=${team.id}, Model=${model}. Allowed team models = ${pyList(team.models)}`,
    { type: "team_model_access_denied", param: "model", kind: "AuthenticationError" },
  );
}

/** Personal keys (no team) are also bound by the owner's `models`; `no-default-models` denies all. */
export function checkUserModel(rec: KeyRecord, model: string, catalog: ModelCatalog): void {
  const user = rec.user;
  if (!user || rec.team) return;
  const denied = user.models.includes("no-default-models") || !listAllows(user.models, model, catalog);
  if (!denied) return;
  throw new GatewayError(
    401,
    `User not allowed to access model. User=${user.id}, Model=${model}. Allowed user models = ${pyList(user.models)}`,
    { type: "user_model_access_denied", param: "model", kind: "AuthenticationError" },
  );
}

/**
 * Narrows `/v1/models` and `/model/info` to what the key (and its team, or its owner for personal keys)
 * may call. A model only team deployments serve is listed for that team's keys alone, and checked
 * against the team's lists by the name the team gave it (`team_public_model_name`).
 */
export function visibleModels(rec: KeyRecord, names: string[], catalog: ModelCatalog): string[] {
  return names.filter((n) => {
    const owners = catalog.teamsOf(n);
    if (owners && (!rec.teamId || !owners.has(rec.teamId))) return false;
    const name = owners ? catalog.publicName(n) : n;
    const keyOk = rec.models.includes("all-team-models") || listAllows(rec.models, name, catalog, rec.teamModelAliases);
    const teamOk = !rec.team || listAllows(rec.team.models, name, catalog, rec.teamModelAliases);
    const userOk = !rec.user || !!rec.team || (!rec.user.models.includes("no-default-models") && listAllows(rec.user.models, name, catalog));
    return keyOk && teamOk && userOk;
  });
}

/** The model a request is routed to: the team's `model_aliases`, then the key's `aliases` (LiteLLM's order, after the access checks). */
export function aliasedModel(rec: KeyRecord | undefined, model: string): string {
  if (!rec) return model;
  const viaTeam = rec.teamModelAliases[model] ?? model;
  return rec.keyAliases[viaTeam] ?? viaTeam;
}

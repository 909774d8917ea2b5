import { isProxyAdmin } from "../auth/management-access.ts";
import type { AuthContext } from "../auth/types.ts";
import type { Runtime } from "../runtime.ts";
import type { Deployment } from "../router/deployment.ts";
import type { ModelGroups } from "../router/model-groups.ts";
import { knownModels } from "../spend/known-models.ts";

/**
 * LiteLLM's `get_known_models_from_wildcard`: a route like `anthropic/*` (or `anthropic/claude-*`)
 * stands for the provider's known models, named with the route's prefix. A bare `*` names none.
 */
export function wildcardModels(route: string, d: Deployment): string[] {
  const slash = route.indexOf("/");
  if (slash < 0) return [];
  const prefix = route.slice(0, slash);
  const suffix = route.slice(slash + 1);
  let models = knownModels(d.providerName);
  if (suffix !== "*") {
    const start = suffix.replaceAll("*", "");
    models = models.some((m) => m.startsWith(start)) ? models.filter((m) => m.startsWith(start)) : models.map((m) => `${start}${m}`);
  }
  return models.map((m) => (m.startsWith(prefix) ? m : `${prefix}/${m}`));
}

const expansions = new WeakMap<ModelGroups, Map<string, string[]>>();

/** Each wildcard route of the router with the names it expands to (computed once per router build). */
export function wildcardRoutes(groups: ModelGroups): Map<string, string[]> {
  let out = expansions.get(groups);
  if (out) return out;
  out = new Map();
  for (const d of groups.allDeployments()) {
    if (!d.modelName.includes("*")) continue;
    out.set(d.modelName, [...new Set([...(out.get(d.modelName) ?? []), ...wildcardModels(d.modelName, d)])]);
  }
  expansions.set(groups, out);
  return out;
}

export function accessGroupNames(groups: ModelGroups): string[] {
  return [...new Set(groups.allDeployments().flatMap((d) => d.accessGroups))];
}

/** A model only team deployments serve is listed for that team (and a proxy admin without a team), as the router serves it. */
export function teamMayList(auth: AuthContext, groups: ModelGroups, name: string): boolean {
  const owners = groups.teamsOf(name);
  if (!owners) return true;
  return auth.teamId ? owners.has(auth.teamId) : isProxyAdmin(auth);
}

export interface ListOptions {
  returnWildcardRoutes?: boolean;
  includeAccessGroups?: boolean;
  onlyAccessGroups?: boolean;
}

/**
 * The names `/v1/models` lists for a caller: model groups and aliases, wildcard routes replaced by
 * their known models; a team's own models by the name the team gave them.
 */
export function listedModelNames(runtime: Runtime, auth: AuthContext, opts: ListOptions = {}): string[] {
  const groups = runtime.router.groups;
  const filter = (all: string[]) => {
    const names = all.filter((n) => teamMayList(auth, groups, n));
    return runtime.modelFilter ? runtime.modelFilter(auth, names) : names;
  };
  if (opts.onlyAccessGroups) return filter(accessGroupNames(groups));
  const routes = wildcardRoutes(groups);
  const names = [
    ...groups.publicNames(false),
    ...(opts.includeAccessGroups ? accessGroupNames(groups) : []),
    ...(opts.returnWildcardRoutes ? routes.keys() : []),
    ...[...routes.values()].flat(),
  ];
  const team = auth.teamId;
  const named = filter([...new Set(names)]).map((n) => (team && groups.teamsOf(n)?.has(team) ? groups.publicName(n) : n));
  return [...new Set(named)];
}

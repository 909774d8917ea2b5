import { GatewayError } from "../errors.ts";
import type { Deployment } from "./deployment.ts";
import { splitProviderModel } from "./deployment.ts";

export interface Resolved {
  /** Public model group name that served the request (the wildcard pattern for wildcard matches). */
  group: string;
  deployments: Deployment[];
  /** Wildcard captures to substitute into `litellm_params.model`. */
  captures?: string[];
  /** The model name the client asked for after alias resolution. */
  requested: string;
  /** Set when the client addressed one deployment by `model_info.id`. */
  pinned?: boolean;
}

/** Whose request a resolution serves: team-scoped deployments (`model_info.team_id`) answer only their team. */
export interface TeamScope {
  teamId?: string;
  /** A proxy admin without a team may call a model that only teams' deployments serve (LiteLLM's exception). */
  admin?: boolean;
}

interface Pattern {
  name: string;
  re: RegExp;
  deployments: Deployment[];
  specificity: [number, number];
}

const META = /[.*+?^${}()|[\]\\]/g;

const teamOf = (d: Deployment) => (typeof d.info.team_id === "string" && d.info.team_id ? d.info.team_id : undefined);

/** A deployment without a team serves everyone; a team's deployment serves that team. */
export function servesTeam(d: Deployment, teamId: string | undefined): boolean {
  const t = teamOf(d);
  return t === undefined || t === teamId;
}

/**
 * LiteLLM's `filter_team_based_models`: a deployment of a team serves only that team's requests. A
 * proxy admin without a team reaches a model served only by one team's deployments. Stricter than
 * LiteLLM: a deployment addressed by its id is filtered too (LiteLLM passes a pinned deployment through).
 */
function forTeam(r: Resolved, scope: TeamScope): Resolved | undefined {
  const owners = new Set(r.deployments.map(teamOf));
  if (scope.admin && !scope.teamId && !owners.has(undefined)) {
    if (owners.size > 1) {
      throw new GatewayError(400, `Model name '${r.requested}' matches deployments from multiple teams. Specify the deployment ID directly to disambiguate.`, {
        type: "invalid_request_error",
        param: "model",
        kind: "BadRequestError",
      });
    }
    return r;
  }
  const kept = r.deployments.filter((d) => servesTeam(d, scope.teamId));
  return kept.length ? { ...r, deployments: kept } : undefined;
}

function patternFor(name: string): RegExp {
  const body = name
    .split("*")
    .map((part) => part.replace(META, "\\$&"))
    .join("(.*)");
  return new RegExp(`^${body}`, "s");
}

/** Model groups from `model_list`: exact names, deployment ids, aliases and wildcard patterns. Built at boot. */
export class ModelGroups {
  private readonly exact = new Map<string, Deployment[]>();
  private readonly byId = new Map<string, Deployment>();
  private readonly patterns: Pattern[] = [];
  private readonly aliases = new Map<string, { target: string; hidden: boolean }>();
  /** Groups with at least one team deployment (the only ones a scope narrows). */
  private readonly scoped = new Set<string>();
  /** Groups served only by team deployments: the teams that may see and call them. */
  private readonly owners = new Map<string, ReadonlySet<string>>();
  private readonly teamNames = new Map<string, string>();

  /**
   * @param implicit Deployments reached by a reserved name only (never listed, never health-checked),
   *   such as the OpenAI moderation model a `/v1/moderations` call without `model` goes to.
   */
  constructor(
    deployments: Deployment[],
    aliases: Record<string, string | { model: string; hidden?: boolean | null }> = {},
    private readonly implicit: ReadonlyMap<string, Deployment> = new Map(),
  ) {
    const patternMap = new Map<string, Deployment[]>();
    for (const d of deployments) {
      this.byId.set(d.id, d);
      const into = d.modelName.includes("*") ? patternMap : this.exact;
      const list = into.get(d.modelName);
      if (list) list.push(d);
      else into.set(d.modelName, [d]);
    }
    for (const [name, list] of [...this.exact, ...patternMap]) {
      const teams = list.map(teamOf);
      if (teams.every((t) => t === undefined)) continue;
      this.scoped.add(name);
      if (teams.includes(undefined)) continue;
      this.owners.set(name, new Set(teams as string[]));
      const given = list[0]!.info.team_public_model_name;
      if (typeof given === "string" && given && list.every((d) => d.info.team_public_model_name === given)) this.teamNames.set(name, given);
    }
    for (const [name, list] of patternMap) {
      const metaCount = (name.match(META) ?? []).length;
      this.patterns.push({ name, re: patternFor(name), deployments: list, specificity: [name.length, metaCount] });
    }
    this.patterns.sort((a, b) => b.specificity[0] - a.specificity[0] || b.specificity[1] - a.specificity[1]);
    for (const [alias, v] of Object.entries(aliases)) {
      if (typeof v === "string") this.aliases.set(alias, { target: v, hidden: false });
      else this.aliases.set(alias, { target: v.model, hidden: !!v.hidden });
    }
  }

  /** The group (and deployments) a name reaches; with a scope, only the deployments that scope may use. */
  resolve(model: string, scope?: TeamScope): Resolved | undefined {
    const r = this.lookup(model);
    if (!r || !scope || !this.scoped.has(r.group)) return r;
    return forTeam(r, scope);
  }

  /** The teams a group belongs to when only team deployments serve it (hidden from everyone else). */
  teamsOf(group: string): ReadonlySet<string> | undefined {
    return this.owners.get(group);
  }

  /** The name a team gave the model it owns (`model_info.team_public_model_name`), else the group's own. */
  publicName(group: string): string {
    return this.teamNames.get(group) ?? group;
  }

  private lookup(model: string): Resolved | undefined {
    const alias = this.aliases.get(model);
    const name = alias ? alias.target : model;
    const exact = this.exact.get(name);
    if (exact) return { group: name, deployments: exact, requested: name };
    const byId = this.byId.get(name);
    if (byId) return { group: byId.modelName, deployments: [byId], requested: name, pinned: true };
    const implied = this.implicit.get(name);
    if (implied) return { group: implied.modelName, deployments: [implied], requested: name };
    const hit = this.matchPattern(name);
    if (hit) return hit;
    const inferred = splitProviderModel(name);
    if (inferred && !name.startsWith(`${inferred.provider}/`)) {
      return this.matchPattern(`${inferred.provider}/${name}`);
    }
    return undefined;
  }

  private matchPattern(name: string): Resolved | undefined {
    for (const p of this.patterns) {
      const m = p.re.exec(name);
      if (m) return { group: p.name, deployments: p.deployments, captures: m.slice(1), requested: name };
    }
    return undefined;
  }

  /** Names `/v1/models` lists: groups and visible aliases; wildcard patterns only when asked. */
  publicNames(includeWildcards = false): string[] {
    const names = [...this.exact.keys()];
    for (const [alias, v] of this.aliases) if (!v.hidden) names.push(alias);
    if (includeWildcards) names.push(...this.patterns.map((p) => p.name));
    return names;
  }

  has(model: string): boolean {
    return this.resolve(model) !== undefined;
  }

  deploymentById(id: string): Deployment | undefined {
    return this.byId.get(id);
  }

  allDeployments(): Deployment[] {
    return [...this.byId.values()];
  }

  /** Model names that share `access_group`. */
  accessGroupModels(group: string): string[] {
    const out = new Set<string>();
    for (const d of this.byId.values()) if (d.accessGroups.includes(group)) out.add(d.modelName);
    return [...out];
  }
}

/**
 * The upstream model for a deployment: captured wildcard parts replace the `*`s left to right.
 * With more captures than stars, the requested name is used (LiteLLM's rule).
 */
export function upstreamModelFor(d: Deployment, r: Resolved): string {
  const template = d.upstreamModel;
  if (!r.captures || !template.includes("*")) return template;
  const stars = template.split("*").length - 1;
  if (r.captures.length > stars) {
    const prefix = `${d.providerName}/`;
    return r.requested.startsWith(prefix) ? r.requested.slice(prefix.length) : r.requested;
  }
  let i = 0;
  return template.replace(/\*/g, () => r.captures![i++] ?? "");
}

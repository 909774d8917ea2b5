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

interface Pattern {
  name: string;
  re: RegExp;
  deployments: Deployment[];
  specificity: [number, number];
}

const META = /[.*+?^${}()|[\]\\]/g;

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

  constructor(deployments: Deployment[], aliases: Record<string, string | { model: string; hidden?: boolean | null }> = {}) {
    const patternMap = new Map<string, Deployment[]>();
    for (const d of deployments) {
      this.byId.set(d.id, d);
      const into = d.modelName.includes("*") ? patternMap : this.exact;
      const list = into.get(d.modelName);
      if (list) list.push(d);
      else into.set(d.modelName, [d]);
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

  resolve(model: string): Resolved | undefined {
    const alias = this.aliases.get(model);
    const name = alias ? alias.target : model;
    const exact = this.exact.get(name);
    if (exact) return { group: name, deployments: exact, requested: name };
    const byId = this.byId.get(name);
    if (byId) return { group: byId.modelName, deployments: [byId], requested: name, pinned: true };
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

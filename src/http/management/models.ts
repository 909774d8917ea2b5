import type { Context, Hono } from "hono";
import type { Runtime } from "../../runtime.ts";
import type { Deployment } from "../../router/deployment.ts";
import { unitPrices } from "../../spend/cost.ts";
import type { AuthContext } from "../../auth/types.ts";
import type { KeyRecord } from "../../auth/key-record.ts";
import { aliasedModel, teamScope } from "../../auth/model-access.ts";
import { GatewayError } from "../../errors.ts";
import { servesTeam, upstreamModelFor } from "../../router/model-groups.ts";
import { secrets } from "../../redaction.ts";
import { errorResponse } from "../error-response.ts";
import { queryFlag } from "../info-routes.ts";
import { listedModelNames, wildcardRoutes } from "../model-names.ts";
import { isAdmin } from "./context.ts";

const SECRET = /(key|secret|token|password|credential|auth|cookie|sig)/i;

/** A URL without its user info and secret-looking query parameters (`?key=` of Gemini-style endpoints). */
function withoutUrlSecrets(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw;
  }
  if (!url.username && !url.password && ![...url.searchParams.keys()].some((k) => SECRET.test(k))) return raw;
  url.username = "";
  url.password = "";
  for (const k of [...url.searchParams.keys()]) if (SECRET.test(k)) url.searchParams.delete(k);
  return url.toString();
}

/**
 * A `litellm_params` value as `/model/info` shows it: header maps without credential headers, URLs
 * without credentials, and any credential the gateway holds masked (LiteLLM's
 * `remove_sensitive_info_from_deployment` drops the key fields; headers and URLs are stricter here).
 */
function publicValue(v: unknown): unknown {
  if (typeof v === "string") return secrets.redact(/^[a-z][a-z0-9+.-]*:\/\//i.test(v) ? withoutUrlSecrets(v) : v);
  if (Array.isArray(v)) return v.map(publicValue);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => !SECRET.test(k)).map(([k, x]) => [k, publicValue(x)]));
  return v;
}

function modelInfo(d: Deployment): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d.params)) if (!SECRET.test(k) && v !== undefined && v !== null) params[k] = publicValue(v);
  const prices = unitPrices(d, d.upstreamModel.replace(/\*/g, ""));
  return {
    model_name: d.modelName,
    litellm_params: params,
    model_info: {
      ...d.info,
      id: d.id,
      db_model: d.info.db_model ?? false,
      litellm_provider: d.providerName,
      mode: d.info.mode ?? "chat",
      input_cost_per_token: prices.known ? prices.input : null,
      output_cost_per_token: prices.known ? prices.output : null,
      cache_read_input_token_cost: prices.known ? prices.cacheRead : null,
      cache_creation_input_token_cost: prices.known ? prices.cacheWrite : null,
      max_tokens: d.info.max_tokens ?? null,
      max_input_tokens: d.info.max_input_tokens ?? null,
      max_output_tokens: d.info.max_output_tokens ?? null,
    },
  };
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const maxOf = (vals: Array<number | undefined>) => {
  const known = vals.filter((x): x is number => x !== undefined);
  return known.length ? Math.max(...known) : null;
};
const sumOf = (vals: Array<number | undefined>) => {
  const known = vals.filter((x): x is number => x !== undefined);
  return known.length ? known.reduce((a, b) => a + b, 0) : null;
};
const SUPPORTS = ["supports_parallel_function_calling", "supports_vision", "supports_web_search", "supports_reasoning", "supports_function_calling"] as const;

/** LiteLLM's `ModelGroupInfo`: the deployments of one `model_name` (or one name a wildcard route expands to) folded together. */
function groupInfo(name: string, ds: Deployment[], upstream: (d: Deployment) => string = (d) => d.upstreamModel.replace(/\*/g, "")): Record<string, unknown> {
  const prices = ds.map((d) => unitPrices(d, upstream(d)));
  const out: Record<string, unknown> = {
    model_group: name,
    providers: [...new Set(ds.map((d) => d.providerName))],
    max_input_tokens: maxOf(ds.map((d) => num(d.info.max_input_tokens))),
    max_output_tokens: maxOf(ds.map((d) => num(d.info.max_output_tokens))),
    input_cost_per_token: maxOf(prices.map((p) => (p.known ? p.input : undefined))),
    output_cost_per_token: maxOf(prices.map((p) => (p.known ? p.output : undefined))),
    mode: ds.find((d) => typeof d.info.mode === "string")?.info.mode ?? "chat",
    tpm: sumOf(ds.map((d) => d.tpm)),
    rpm: sumOf(ds.map((d) => d.rpm)),
  };
  for (const f of SUPPORTS) out[f] = ds.some((d) => d.info[f] === true);
  out.supported_openai_params = [];
  return out;
}

/** The deployments the caller may call, each model group narrowed by the key's access. */
function visibleDeployments(runtime: Runtime, auth: AuthContext): Deployment[] {
  const groups = runtime.router.groups;
  const everyTeam = isAdmin(auth) && !auth.teamId;
  const all = groups.allDeployments().filter((d) => everyTeam || servesTeam(d, auth.teamId));
  const names = [...new Set(all.map((d) => d.modelName))];
  const allowed = new Set(runtime.modelFilter ? runtime.modelFilter(auth, names) : names);
  return all.filter((d) => allowed.has(d.modelName));
}

/** Model groups by name, wildcard routes replaced by the names they expand to (as `/v1/models` lists them). */
function modelGroups(runtime: Runtime, auth: AuthContext): Array<Record<string, unknown>> {
  const groups = runtime.router.groups;
  const byName = new Map<string, Deployment[]>();
  for (const d of visibleDeployments(runtime, auth)) byName.set(d.modelName, [...(byName.get(d.modelName) ?? []), d]);
  const routes = wildcardRoutes(groups);
  const out: Array<Record<string, unknown>> = [];
  for (const name of listedModelNames(runtime, auth, { returnWildcardRoutes: true })) {
    const expanded = byName.has(name) ? undefined : groups.resolve(aliasedModel(auth.key as KeyRecord | undefined, name), teamScope(auth));
    if (byName.has(name) && !(routes.get(name)?.length)) out.push(groupInfo(name, byName.get(name)!));
    else if (expanded) out.push(groupInfo(name, expanded.deployments, (d) => upstreamModelFor(d, expanded)));
  }
  return out;
}

const SORTS: Record<string, (e: Record<string, unknown>) => string | number> = {
  model_name: (e) => String(e.model_name),
  created_at: (e) => String((e.model_info as Record<string, unknown>).created_at ?? ""),
  updated_at: (e) => String((e.model_info as Record<string, unknown>).updated_at ?? ""),
  input_cost: (e) => Number((e.model_info as Record<string, unknown>).input_cost_per_token ?? 0),
  output_cost: (e) => Number((e.model_info as Record<string, unknown>).output_cost_per_token ?? 0),
};

function positive(c: Context, name: string, fallback: number): number {
  const raw = c.req.query(name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new GatewayError(422, `${name}: Input should be greater than or equal to 1`, { type: "bad_request_error", param: name });
  return Number(raw);
}

/** `GET /v2/model/info`: `/model/info` with LiteLLM's filters, search, sort and pagination. */
function modelInfoV2(runtime: Runtime, auth: AuthContext, c: Context): Record<string, unknown> {
  const page = positive(c, "page", 1);
  const size = positive(c, "size", 50);
  const q = (n: string) => c.req.query(n) || undefined;
  const search = q("search")?.toLowerCase();
  const sortBy = q("sortBy");
  if (sortBy && !SORTS[sortBy]) throw new GatewayError(400, `Invalid sortBy: ${sortBy}. Must be one of: ${Object.keys(SORTS).join(", ")}`, { type: "bad_request_error", param: "sortBy" });
  const order = (q("sortOrder") ?? "asc").toLowerCase();
  if (order !== "asc" && order !== "desc") throw new GatewayError(400, `Invalid sortOrder: ${order}. Must be 'asc' or 'desc'`, { type: "bad_request_error", param: "sortOrder" });
  let data = visibleDeployments(runtime, auth)
    .filter((d) => !q("model") || d.modelName === q("model"))
    .filter((d) => !q("modelId") || d.id === q("modelId"))
    .filter((d) => !q("teamId") || d.info.team_id === q("teamId"))
    .filter((d) => !queryFlag(c.req.query("user_models_only")) || (d.info.created_by !== undefined && d.info.created_by === auth.userId))
    .filter((d) => !search || d.modelName.toLowerCase().includes(search))
    .map(modelInfo);
  if (sortBy) {
    const key = SORTS[sortBy]!;
    data = data.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (order === "desc" ? -1 : 1));
  }
  const total = data.length;
  return { data: data.slice((page - 1) * size, page * size), total_count: total, current_page: page, total_pages: Math.ceil(total / size), size };
}

/** `/model/info`, `/v1/model/info`, `/v2/model/info` and `/model_group/info`: config and database models, narrowed to what the key may call. */
export function registerModelRoutes(app: Hono, rt: () => Runtime): void {
  const withAuth = (answer: (runtime: Runtime, auth: AuthContext, c: Context) => unknown) => async (c: Context) => {
    const runtime = rt();
    try {
      const auth = await runtime.auth.authenticate(c.req.raw.headers, { route: c.req.path, isLLMRoute: false });
      return Response.json(answer(runtime, auth, c));
    } catch (e) {
      return errorResponse(e, "openai");
    }
  };
  const v1 = withAuth((runtime, auth, c) => {
    const id = c.req.query("litellm_model_id");
    return { data: visibleDeployments(runtime, auth).filter((d) => !id || d.id === id).map(modelInfo) };
  });
  app.get("/model/info", v1);
  app.get("/v1/model/info", v1);
  app.get("/v2/model/info", withAuth(modelInfoV2));
  app.get(
    "/model_group/info",
    withAuth((runtime, auth, c) => {
      const wanted = c.req.query("model_group");
      return { data: modelGroups(runtime, auth).filter((g) => !wanted || g.model_group === wanted) };
    }),
  );
}

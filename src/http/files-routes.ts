import type { Context, Hono } from "hono";
import { teamScope } from "../auth/model-access.ts";
import { badRequest, GatewayError } from "../errors.ts";
import type { AuthContext } from "../auth/types.ts";
import { authorizeId, decodeId, encodeId, idSigner, type DecodedId, type IdSigner } from "../gateway/file-ids.ts";
import { passthroughDeployment } from "../gateway/passthrough.ts";
import type { LLMRequest } from "../gateway/types.ts";
import { usageFromObjects, type Usage } from "../gateway/usage.ts";
import { AZURE_DEFAULT_API_VERSION } from "../providers/azure/index.ts";
import type { PassthroughCall, UpstreamRequest } from "../providers/types.ts";
import { buildDeployments, type Deployment } from "../router/deployment.ts";
import type { TeamScope } from "../router/model-groups.ts";
import type { Runtime } from "../runtime.ts";
import { batchCostOf } from "../spend/cost.ts";
import { sendUpstream } from "../upstream.ts";
import { errorResponse } from "./error-response.ts";
import type { BodyLimits } from "../limits/body-budget.ts";
import { formOf, readBodyBytes, readBodyText } from "./body-reader.ts";
import { plainRequest } from "./passthrough-routes.ts";

type Obj = Record<string, unknown>;

interface Op {
  callType: string;
  method: "GET" | "POST" | "DELETE";
  /** The API path after the version: `/files`, `/files/:id/content`, `/batches/:id/cancel`. */
  path: string;
}

const OPS: Op[] = [
  { callType: "acreate_file", method: "POST", path: "/files" },
  { callType: "afile_list", method: "GET", path: "/files" },
  { callType: "afile_retrieve", method: "GET", path: "/files/:id" },
  { callType: "afile_delete", method: "DELETE", path: "/files/:id" },
  { callType: "afile_content", method: "GET", path: "/files/:id/content" },
  { callType: "acreate_batch", method: "POST", path: "/batches" },
  { callType: "alist_batches", method: "GET", path: "/batches" },
  { callType: "aretrieve_batch", method: "GET", path: "/batches/:id" },
  { callType: "acancel_batch", method: "POST", path: "/batches/:id/cancel" },
];

/** Form fields and query parameters that are LiteLLM's, not the provider's. */
const LITELLM_FIELDS = new Set(["custom_llm_provider", "target_model_names", "target_storage", "model", "litellm_metadata"]);
const ID_FIELDS = ["id", "input_file_id", "output_file_id", "error_file_id"];

/** Batches already priced by this instance (the spend log's request id keeps it once across instances). */
const priced = new Set<string>();

const files = new WeakMap<Runtime, Map<string, Deployment>>();

/**
 * Whose credentials a files/batches call uses, as LiteLLM picks them: a config model the call names
 * (`model`, or the one inside an encoded id), else `files_settings` for the provider, else the
 * provider's env vars.
 */
function deploymentFor(rt: Runtime, provider: string, model: string | undefined, scope: TeamScope): Deployment {
  if (model) {
    const d = rt.router.resolve(model, scope)?.deployments.find((x) => x.provider.passthrough && (x.providerName === "openai" || x.providerName === "azure"));
    if (!d) throw badRequest(`model=${model} is not an OpenAI or Azure model of this gateway; files and batches are routed by a config model name`, "model");
    return d;
  }
  const setting = rt.config.filesSettings.find((s) => s.custom_llm_provider === provider);
  if (!setting) return passthroughDeployment(rt, provider);
  let cache = files.get(rt);
  if (!cache) files.set(rt, (cache = new Map()));
  let d = cache.get(provider);
  if (!d) {
    const { custom_llm_provider: _p, ...params } = setting;
    d = buildDeployments([{ model_name: `${provider}-files`, litellm_params: { ...params, model: `${provider}/files` } } as never], rt.config.env, rt.config.credentials).deployments[0]!;
    cache.set(provider, d);
  }
  return d;
}

/** OpenAI's path under the base, or Azure's `/openai/...?api-version=`. */
function addressed(d: Deployment, path: string, query: URLSearchParams): { path: string; query: string } {
  if (d.providerName === "azure") {
    if (!query.has("api-version")) query.set("api-version", d.target.apiVersion ?? AZURE_DEFAULT_API_VERSION);
    path = `/openai${path}`;
  }
  return { path, query: query.size ? `?${query}` : "" };
}

/** The upload as the provider gets it: the client's form without LiteLLM's own fields. */
async function uploadBody(form: FormData): Promise<{ body: Uint8Array<ArrayBuffer>; type: string }> {
  const out = new FormData();
  for (const [k, v] of form) if (!LITELLM_FIELDS.has(k) && !k.startsWith("litellm_metadata[")) out.append(k, v);
  const encoded = new Response(out);
  const type = encoded.headers.get("content-type") ?? "multipart/form-data";
  return { body: new Uint8Array(await encoded.arrayBuffer()), type };
}

/** Ids in an answer (and in each item of a list) encoded with the model that routed the call, signed for the caller. */
function withModelIds(answer: Obj, model: string, signer: IdSigner | undefined, auth: AuthContext): Obj {
  const one = (o: Obj) => {
    for (const k of ID_FIELDS) if (typeof o[k] === "string" && o[k]) o[k] = encodeId(o[k], model, signer, auth);
    return o;
  };
  if (Array.isArray(answer.data)) answer.data = (answer.data as Obj[]).map(one);
  return one(answer);
}

/** The summed usage of a finished batch's output file (one chat completion per line), and the model it names. */
function batchUsage(jsonl: string): { usage?: Usage; model?: string } {
  const usages: Obj[] = [];
  let model: string | undefined;
  for (const line of jsonl.split("\n")) {
    if (!line.trim()) continue;
    try {
      const body = ((JSON.parse(line) as Obj).response as Obj | undefined)?.body as Obj | undefined;
      if (body?.usage && typeof body.usage === "object") usages.push(body.usage as Obj);
      if (typeof body?.model === "string") model ??= body.model;
    } catch {
      /* a line that is not JSON is not billed */
    }
  }
  if (!usages.length) return { model };
  const sum = (k: string) => usages.reduce((a, u) => a + (typeof u[k] === "number" ? (u[k] as number) : 0), 0);
  return { usage: usageFromObjects([{ prompt_tokens: sum("prompt_tokens"), completion_tokens: sum("completion_tokens") }]), model };
}

interface Prepared {
  model?: string;
  /** The model-encoded ids the call names (path id, `input_file_id`): each is checked against the caller. */
  ids: DecodedId[];
  /** The upstream call, once the caller is known and the deployment chosen for it. */
  callFor(d: Deployment): PassthroughCall;
  provider: string;
}

async function prepare(c: Context, op: Op, signer: IdSigner | undefined, limits: BodyLimits): Promise<Prepared> {
  const url = new URL(c.req.url);
  const query = new URLSearchParams(url.search);
  const id = c.req.param("id");
  const decoded = id ? decodeId(id, signer) : undefined;
  const ids: DecodedId[] = decoded ? [decoded] : [];
  let body: Uint8Array<ArrayBuffer> | undefined;
  let type = "application/json";
  let named: string | undefined;
  let provider = c.req.param("provider") ?? c.req.header("custom-llm-provider") ?? query.get("custom_llm_provider") ?? undefined;
  if (op.callType === "acreate_file") {
    const bytes = await readBodyBytes(c.req.raw, limits);
    const form = await formOf(bytes, c.req.header("content-type")).catch((e: Error) => {
      throw badRequest(`Expected a multipart/form-data upload: ${e.message}`);
    });
    if (!(form.get("file") instanceof Blob)) throw badRequest("`file` is required", "file");
    named = (form.get("model") as string | null) ?? undefined;
    provider ??= (form.get("custom_llm_provider") as string | null) ?? undefined;
    ({ body, type } = await uploadBody(form));
  } else if (op.method === "POST" && op.callType === "acreate_batch") {
    const text = await readBodyText(c.req.raw, limits);
    const json = (() => {
      try {
        return JSON.parse(text) as Obj | undefined;
      } catch {
        return undefined;
      }
    })();
    if (!json || typeof json.input_file_id !== "string") throw badRequest("`input_file_id` is required", "input_file_id");
    const input = decodeId(json.input_file_id, signer);
    if (input) ids.push(input);
    named = input?.model ?? (typeof json.model === "string" ? json.model : undefined);
    provider ??= typeof json.custom_llm_provider === "string" ? json.custom_llm_provider : undefined;
    const out: Obj = { ...json, input_file_id: input?.id ?? json.input_file_id };
    for (const k of LITELLM_FIELDS) delete out[k];
    body = new TextEncoder().encode(JSON.stringify(out));
  }
  const model = decoded?.model ?? named ?? query.get("model") ?? c.req.header("x-litellm-model") ?? undefined;
  for (const k of LITELLM_FIELDS) query.delete(k);
  const apiPath = op.path.replace(":id", encodeURIComponent(decoded?.id ?? id ?? ""));
  const callFor = (d: Deployment): PassthroughCall => {
    const at = addressed(d, apiPath, query);
    return { method: op.method, path: at.path, query: at.query, headers: new Headers({ "content-type": type, accept: "application/json" }), body };
  };
  return { model, ids, callFor, provider: provider ?? "openai" };
}

function upstreamOf(d: Deployment, call: PassthroughCall, req: LLMRequest): Promise<UpstreamRequest> {
  const build = d.provider.passthrough;
  if (!build) throw new GatewayError(400, `${d.providerName} has no files API on this gateway`);
  return Promise.resolve(build({ ...d.target, model: d.upstreamModel }, call, { stream: false, clientHeaders: req.headers, query: call.query, send: (aux) => sendUpstream(aux, req.signal, aux.timeoutMs) }));
}

/** Prices a batch the first time it is seen completed: its output file's usage at batch prices. */
async function batchSpend(d: Deployment, answer: Obj, req: LLMRequest, call: PassthroughCall): Promise<{ usage?: Usage; cost: number; model?: string } | undefined> {
  const batchId = String(answer.id);
  if (answer.status !== "completed" || typeof answer.output_file_id !== "string" || priced.has(batchId)) return undefined;
  priced.add(batchId);
  const outputId = decodeId(answer.output_file_id)?.id ?? answer.output_file_id;
  const path = call.path.replace(/\/batches\/[^/]+$/, `/files/${encodeURIComponent(outputId)}/content`);
  const res = await sendUpstream(await upstreamOf(d, { ...call, method: "GET", path, body: undefined }, req), req.signal, undefined);
  if (!res.ok) return undefined;
  const { usage, model } = batchUsage(await res.text());
  return { usage, model, cost: usage ? batchCostOf(d, model ?? "", usage) : 0 };
}

function handler(rt: () => Runtime, op: Op) {
  return async (c: Context) => {
    const runtime = rt();
    try {
      const signer = idSigner(runtime.config.saltKey ?? runtime.config.masterKey);
      await runtime.auth.refuseEarly(c.req.raw.headers);
      const prepared = await prepare(c, op, signer, runtime.body);
      const model = prepared.model;
      // A tampered id's model is not the caller's to name: it is refused as LiteLLM does (403), before any model check.
      const forged = prepared.ids.some((d) => d.unsigned);
      const auth = await runtime.auth.authenticate(c.req.raw.headers, { route: c.req.path, model: forged ? undefined : model, isLLMRoute: true });
      for (const d of prepared.ids) authorizeId(d, auth);
      const d = deploymentFor(runtime, prepared.provider, model, teamScope(auth));
      const call = prepared.callFor(d);
      const req = plainRequest(c, op.callType, model ?? "", auth, "openai-chat");
      const t0 = performance.now();
      const res = await sendUpstream(await upstreamOf(d, call, req), req.signal, d.timeoutMs ?? runtime.router.settings.timeoutMs);
      const upstreamMs = performance.now() - t0;
      const headers: Record<string, string> = { "x-litellm-call-id": req.callId };
      const record = (extra: { usage?: Usage; cost?: number; responseId?: string; upstreamModel?: string } = {}) =>
        runtime.sink.record({ req, deployment: d, modelGroup: model ?? "", status: res.ok ? "success" : "failure", endMs: Date.now(), cost: 0, retries: 0, fallbacks: 0, upstreamMs, ...extra, error: res.ok ? undefined : new GatewayError(res.status, `${d.providerName} answered ${res.status}`) });
      if (op.callType === "afile_content" || !(res.headers.get("content-type") ?? "").includes("json")) {
        record();
        return new Response(res.body, { status: res.status, headers: { ...headers, "content-type": res.headers.get("content-type") ?? "application/octet-stream" } });
      }
      let answer = (await res.json()) as Obj;
      if (res.ok && op.callType === "aretrieve_batch") {
        const spent = await batchSpend(d, answer, req, call);
        if (spent) record({ usage: spent.usage, cost: spent.cost, responseId: model ? encodeId(String(answer.id), model, signer, auth) : String(answer.id), upstreamModel: spent.model });
        else record();
      } else record();
      if (res.ok && model) answer = withModelIds(answer, model, signer, auth);
      return Response.json(answer, { status: res.status, headers });
    } catch (e) {
      return errorResponse(e, "openai");
    }
  };
}

/**
 * LiteLLM's `/v1/files` and `/v1/batches` (also without `/v1`, and as `/{provider}/v1/...`): passed
 * to OpenAI or Azure with the gateway's credentials; routed by a config model when the call names
 * one (its ids then carry the model, as LiteLLM encodes them); a batch seen completed is priced
 * from its output file at batch prices and written to the spend log once.
 */
export function registerFilesRoutes(app: Hono, rt: () => Runtime): void {
  for (const prefix of ["/v1", "", "/:provider/v1"]) {
    for (const op of OPS) app.on(op.method, `${prefix}${op.path}`, handler(rt, op));
  }
}

import { GatewayError } from "../../errors.ts";
import { geminiBody, geminiMethod, geminiResponses } from "../gemini/index.ts";
import { forwardedHeaders, passthroughRequest } from "../passthrough.ts";
import type { BuildContext, PassthroughCall, Protocol, Provider, RequestBytes, Target, UpstreamRequest } from "../types.ts";
import { parseBody, upstreamErrorMessage } from "../util.ts";
import { loadCredentials, type GoogleCredentials } from "./credentials.ts";
import { ADC_ENV, defaultCredentials } from "./adc.ts";
import { accessToken, metadataProject } from "./token.ts";

export const VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";
const DEFAULT_LOCATION = "us-central1";

const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
const location = (t: Target) => str(t.params.vertex_location) ?? DEFAULT_LOCATION;

interface Auth {
  token: string;
  creds?: GoogleCredentials;
  /** the GCE metadata server's project, when the credentials came from it and vertex_project is unset */
  metadataProject?: string;
}

/**
 * A plain `api_key` is used as the access token; otherwise `vertex_credentials` (or
 * GOOGLE_APPLICATION_CREDENTIALS), else Application Default Credentials, are exchanged for one.
 */
async function auth(t: Target, ctx: BuildContext): Promise<Auth> {
  if (t.apiKey) return { token: t.apiKey };
  const raw = t.params.vertex_credentials;
  const creds = raw === undefined || raw === null || raw === "" ? defaultCredentials(t) : loadCredentials(raw);
  const token = await accessToken(creds, ctx.send);
  const project = creds.type === "gce_metadata" && !str(t.params.vertex_project) ? await metadataProject(creds.host, ctx.send) : undefined;
  return { token, creds, metadataProject: project };
}

function credentialsProject(a: Auth): string | undefined {
  if (a.creds?.type === "service_account") return a.creds.project_id;
  if (a.creds?.type === "authorized_user") return a.creds.quota_project_id;
  return a.metadataProject;
}

function projectOf(t: Target, a: Auth): string {
  const p = str(t.params.vertex_project) ?? credentialsProject(a);
  if (!p) throw new GatewayError(400, "litellm.BadRequestError: VertexAIException - vertex_project is not set (litellm_params.vertex_project or VERTEXAI_PROJECT)");
  return p;
}

function publisherUrl(t: Target, project: string, publisher: string, method: string): string {
  const base = t.apiBase.replace(/\/+$/, "");
  const versioned = /\/v1(beta1)?$/.test(base) ? base : `${base}/v1`;
  const loc = location(t);
  return `${versioned}/projects/${project}/locations/${loc}/publishers/${publisher}/models/${encodeURIComponent(t.model).replace(/%40/g, "@")}${method}`;
}

async function headersFor(t: Target, ctx: BuildContext): Promise<{ headers: Record<string, string>; project: string }> {
  const a = await auth(t, ctx);
  const headers: Record<string, string> = { "content-type": "application/json", authorization: `Bearer ${a.token}` };
  if (t.extraHeaders) Object.assign(headers, t.extraHeaders);
  return { headers, project: projectOf(t, a) };
}

/**
 * LiteLLM's `/vertex_ai/*`: the client's path (`/v1/projects/{p}/locations/{l}/...`) sent to the
 * location's endpoint (or the configured `api_base`) with the gateway's OAuth token; streamed
 * generateContent is asked as SSE, as LiteLLM does.
 */
async function vertexPassthrough(t: Target, call: PassthroughCall, ctx: BuildContext): Promise<UpstreamRequest> {
  const a = await auth(t, ctx);
  const loc = /\/locations\/([^/]+)\//.exec(call.path)?.[1] ?? location(t);
  const base = str(t.params.api_base) ? t.apiBase : common.apiBaseFor!({ vertex_location: loc })!;
  let query = call.query;
  if (/:streamGenerateContent$/.test(call.path) && !/[?&]alt=/.test(query)) query = query ? `${query}&alt=sse` : "?alt=sse";
  const url = `${base.replace(/\/+$/, "")}${call.path}${query}`;
  return passthroughRequest(url, call, forwardedHeaders(call, t, { authorization: `Bearer ${a.token}` }));
}

const common: Pick<Provider, "name" | "env" | "apiBaseFor" | "exceptionName" | "errorMessage" | "passthrough"> = {
  name: "vertex_ai",
  env: {
    params: {
      vertex_project: ["VERTEXAI_PROJECT", "VERTEX_PROJECT", "GOOGLE_CLOUD_PROJECT"],
      vertex_location: ["VERTEXAI_LOCATION", "VERTEX_LOCATION", "GOOGLE_CLOUD_LOCATION"],
      vertex_credentials: ["VERTEXAI_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"],
      ...Object.fromEntries(ADC_ENV.map((n) => [`env:${n}`, [n]])),
    },
  },
  apiBaseFor(params: Readonly<Record<string, unknown>>): string {
    const loc = str(params.vertex_location) ?? DEFAULT_LOCATION;
    return loc === "global" ? "https://aiplatform.googleapis.com" : `https://${loc}-aiplatform.googleapis.com`;
  },
  exceptionName: "VertexAIException",
  errorMessage: upstreamErrorMessage,
  passthrough: vertexPassthrough,
};

/** Claude on Vertex: the Messages API with the model in the URL and `anthropic_version` in the body. */
export const vertexAnthropic: Provider = {
  ...common,
  native: new Set<Protocol>(["anthropic-messages"]),
  preferred: "anthropic-messages",
  async buildRequest(t: Target, protocol: Protocol, body: RequestBytes, ctx: BuildContext): Promise<UpstreamRequest> {
    if (protocol !== "anthropic-messages") throw new Error(`vertex_ai (anthropic) does not serve ${protocol}`);
    const { headers, project } = await headersFor(t, ctx);
    const beta = ctx.clientHeaders.get("anthropic-beta");
    if (beta) headers["anthropic-beta"] = beta;
    const { model: _model, ...rest } = parseBody(body);
    const out = { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest };
    const url = publisherUrl(t, project, "anthropic", ctx.stream ? ":streamRawPredict" : ":rawPredict");
    return { url, method: "POST", headers, body: JSON.stringify(out) };
  },
};

/** Gemini on Vertex: OpenAI chat in, generateContent on the wire. */
export const vertexGemini: Provider = {
  ...common,
  native: new Set<Protocol>(["openai-chat"]),
  preferred: "openai-chat",
  async buildRequest(t: Target, protocol: Protocol, body: RequestBytes, ctx: BuildContext): Promise<UpstreamRequest> {
    const converted = geminiBody(protocol, body, "vertex_ai");
    const { headers, project } = await headersFor(t, ctx);
    return { url: publisherUrl(t, project, "google", geminiMethod(ctx.stream)), method: "POST", headers, body: converted };
  },
  responseTransform: geminiResponses,
};

const isClaude = (model: string) => /(^|\/)claude/.test(model);

/** `vertex_ai/<model>`: Claude models go to the Anthropic publisher, the rest to Gemini. */
export const vertexAI: Provider = {
  ...vertexGemini,
  forModel: (model) => (isClaude(model) ? vertexAnthropic : vertexGemini),
};

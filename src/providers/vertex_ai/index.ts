import { GatewayError } from "../../errors.ts";
import { geminiBody, geminiMethod, geminiResponses } from "../gemini/index.ts";
import type { BuildContext, Protocol, Provider, Target, UpstreamRequest } from "../types.ts";
import { upstreamErrorMessage } from "../util.ts";
import { gcloudCredentialsFile, loadCredentials, type GoogleCredentials } from "./credentials.ts";
import { accessToken, metadataGet, metadataToken } from "./token.ts";

export const VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";
const DEFAULT_LOCATION = "us-central1";
const METADATA_HOST = "metadata.google.internal";

const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
const location = (t: Target) => str(t.params.vertex_location) ?? DEFAULT_LOCATION;

interface Auth {
  token: string;
  creds?: GoogleCredentials;
  /** The project the metadata server names, when the token came from it. */
  project?: string;
}

const projects = new Map<string, Promise<string | undefined>>();

/**
 * A plain `api_key` is used as the access token; otherwise `vertex_credentials` are exchanged for
 * one; without them, Application Default Credentials: gcloud's well-known file, then the metadata
 * server of the machine (GCE, GKE, Cloud Run).
 */
async function auth(t: Target, ctx: BuildContext): Promise<Auth> {
  if (t.apiKey) return { token: t.apiKey };
  const raw = t.params.vertex_credentials;
  if (raw !== undefined && raw !== null && raw !== "") {
    const creds = loadCredentials(raw);
    return { token: await accessToken(creds, ctx.send), creds };
  }
  const wellKnown = gcloudCredentialsFile(str(t.params.vertex_gcloud_config_dir));
  if (wellKnown) {
    const creds = loadCredentials(wellKnown);
    return { token: await accessToken(creds, ctx.send), creds };
  }
  const host = str(t.params.vertex_metadata_host) ?? METADATA_HOST;
  try {
    const token = await metadataToken(host, ctx.send);
    if (!projects.has(host)) projects.set(host, metadataGet(host, "project/project-id", ctx.send).then((r) => r.text(), () => undefined));
    return { token, project: await projects.get(host) };
  } catch (e) {
    throw new GatewayError(
      401,
      `litellm.AuthenticationError: VertexAIException - no Google credentials: set vertex_credentials (or GOOGLE_APPLICATION_CREDENTIALS) or api_key, run \`gcloud auth application-default login\`, or run on a machine with a metadata server (${(e as Error).message.replace(/^.*VertexAIException - /, "")})`,
      { kind: "AuthenticationError" },
    );
  }
}

function projectOf(t: Target, a: Auth): string {
  const p = str(t.params.vertex_project) ?? (a.creds?.type === "service_account" ? a.creds.project_id : a.creds?.quota_project_id) ?? a.project;
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

const common: Pick<Provider, "name" | "env" | "apiBaseFor" | "exceptionName" | "errorMessage"> = {
  name: "vertex_ai",
  env: {
    params: {
      vertex_project: ["VERTEXAI_PROJECT", "VERTEX_PROJECT", "GOOGLE_CLOUD_PROJECT"],
      vertex_location: ["VERTEXAI_LOCATION", "VERTEX_LOCATION", "GOOGLE_CLOUD_LOCATION"],
      vertex_credentials: ["VERTEXAI_CREDENTIALS", "GOOGLE_APPLICATION_CREDENTIALS"],
      vertex_gcloud_config_dir: ["CLOUDSDK_CONFIG"],
      vertex_metadata_host: ["GCE_METADATA_HOST"],
    },
  },
  apiBaseFor(params: Readonly<Record<string, unknown>>): string {
    const loc = str(params.vertex_location) ?? DEFAULT_LOCATION;
    return loc === "global" ? "https://aiplatform.googleapis.com" : `https://${loc}-aiplatform.googleapis.com`;
  },
  exceptionName: "VertexAIException",
  errorMessage: upstreamErrorMessage,
};

/** Claude on Vertex: the Messages API with the model in the URL and `anthropic_version` in the body. */
export const vertexAnthropic: Provider = {
  ...common,
  native: new Set<Protocol>(["anthropic-messages"]),
  preferred: "anthropic-messages",
  async buildRequest(t: Target, protocol: Protocol, body: string, ctx: BuildContext): Promise<UpstreamRequest> {
    if (protocol !== "anthropic-messages") throw new Error(`vertex_ai (anthropic) does not serve ${protocol}`);
    const { headers, project } = await headersFor(t, ctx);
    const beta = ctx.clientHeaders.get("anthropic-beta");
    if (beta) headers["anthropic-beta"] = beta;
    const { model: _model, ...rest } = JSON.parse(body) as Record<string, unknown>;
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
  async buildRequest(t: Target, protocol: Protocol, body: string, ctx: BuildContext): Promise<UpstreamRequest> {
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

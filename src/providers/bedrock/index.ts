import { GatewayError } from "../../errors.ts";
import { forwardedHeaders } from "../passthrough.ts";
import type { BuildContext, PassthroughCall, Protocol, Provider, RequestBytes, Target, UpstreamRequest } from "../types.ts";
import { AWS_CHAIN_ENV } from "../aws/credentials.ts";
import { parseBody, upstreamErrorMessage } from "../util.ts";
import { bedrockHeaders, bedrockUrl } from "./auth.ts";
import { chatToConverse } from "./converse-request.ts";
import { converseStreamToChat, converseToChat } from "./converse-response.ts";
import { invokeStreamToAnthropic } from "./invoke-stream.ts";

export const BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31";
export const EVENT_STREAM = "application/vnd.amazon.eventstream";

/** Betas the Bedrock invoke API accepts; it answers "invalid beta flag" to any other. */
const BEDROCK_BETAS = new Set([
  "computer-use-2024-10-22",
  "computer-use-2025-01-24",
  "token-efficient-tools-2025-02-19",
  "interleaved-thinking-2025-05-14",
  "output-128k-2025-02-19",
  "dev-full-thinking-2025-05-14",
  "context-1m-2025-08-07",
  "context-management-2025-06-27",
  "effort-2025-11-24",
  "tool-search-tool-2025-10-19",
  "tool-examples-2025-10-29",
]);

function betas(header: string | null, body: unknown): string[] {
  const all = [...(header ?? "").split(","), ...(Array.isArray(body) ? body : [])].map((b) => String(b).trim());
  return [...new Set(all.filter((b) => BEDROCK_BETAS.has(b)))];
}

/** The Messages body as invoke takes it: no model or stream, `anthropic_version` and betas in the body. */
export function invokeBody(body: RequestBytes, betaHeader: string | null): string {
  const { model: _m, stream: _s, anthropic_beta, ...rest } = parseBody(body);
  const b = betas(betaHeader, anthropic_beta);
  return JSON.stringify({ anthropic_version: BEDROCK_ANTHROPIC_VERSION, ...(b.length ? { anthropic_beta: b } : {}), ...rest });
}

/** The runtime operations LiteLLM's `/bedrock/model/{modelId}/{action}` forwards. */
const ACTIONS = new Set(["invoke", "invoke-with-response-stream", "converse", "converse-stream", "count-tokens"]);

/** `/model/{id}/{action}` → the action, or undefined for any other path. */
export function bedrockAction(path: string): { modelId: string; action: string } | undefined {
  const m = /^\/model\/(.+)\/([a-z-]+)$/.exec(path);
  if (!m || !ACTIONS.has(m[2]!)) return undefined;
  return { modelId: decodeURIComponent(m[1]!), action: m[2]! };
}

/**
 * LiteLLM's `/bedrock/*`: the client's body (Claude Code's invoke body, a Converse body) sent
 * unchanged to the runtime, signed with the gateway's AWS credentials (or its Bedrock API key).
 * `t.model` is the model id to call: the client's, or the deployment's when it named a config model.
 */
async function bedrockPassthrough(t: Target, call: PassthroughCall, ctx: BuildContext): Promise<UpstreamRequest> {
  const op = bedrockAction(call.path);
  if (!op) throw new GatewayError(404, `Bedrock pass-through serves /model/{modelId}/{${[...ACTIONS].join("|")}}; got ${call.path}`, { type: "not_found_error" });
  const url = bedrockUrl(t, op.action) + call.query;
  const body = call.body ?? new Uint8Array(0);
  const forwarded = forwardedHeaders(call, { ...t, extraHeaders: undefined }, {});
  const headers = await bedrockHeaders(t, url, body, call.headers.get("accept") ?? "application/json", ctx.send, {
    "content-type": forwarded["content-type"] ?? "application/json",
  });
  return { url, method: "POST", headers, body };
}

const common: Pick<Provider, "name" | "env" | "apiBaseFor" | "exceptionName" | "errorMessage" | "passthrough"> = {
  name: "bedrock",
  env: {
    apiKey: ["AWS_BEARER_TOKEN_BEDROCK"],
    params: {
      aws_access_key_id: ["AWS_ACCESS_KEY_ID"],
      aws_secret_access_key: ["AWS_SECRET_ACCESS_KEY"],
      aws_session_token: ["AWS_SESSION_TOKEN"],
      aws_region_name: ["AWS_REGION_NAME", "AWS_REGION", "AWS_DEFAULT_REGION"],
      aws_bedrock_runtime_endpoint: ["AWS_BEDROCK_RUNTIME_ENDPOINT"],
      aws_sts_endpoint: ["AWS_STS_ENDPOINT"],
      aws_session_name: ["AWS_SESSION_NAME"],
      aws_profile_name: ["AWS_PROFILE_NAME"],
      aws_role_name: ["AWS_ROLE_NAME"],
      aws_web_identity_token: ["AWS_WEB_IDENTITY_TOKEN"],
      aws_external_id: ["AWS_EXTERNAL_ID"],
      ...Object.fromEntries(AWS_CHAIN_ENV.map((n) => [`env:${n}`, [n]])),
    },
  },
  apiBaseFor(p) {
    const endpoint = p.aws_bedrock_runtime_endpoint;
    if (typeof endpoint === "string" && endpoint) return endpoint;
    const region = typeof p.aws_region_name === "string" && p.aws_region_name ? p.aws_region_name : "us-east-1";
    return `https://bedrock-runtime.${region}.amazonaws.com`;
  },
  exceptionName: "BedrockException",
  errorMessage: upstreamErrorMessage,
  passthrough: bedrockPassthrough,
};

/** Anthropic models through invoke / invoke-with-response-stream: Claude Code works unchanged. */
export const bedrockAnthropic: Provider = {
  ...common,
  native: new Set<Protocol>(["anthropic-messages"]),
  preferred: "anthropic-messages",
  async buildRequest(t: Target, protocol: Protocol, body: RequestBytes, ctx: BuildContext): Promise<UpstreamRequest> {
    if (protocol !== "anthropic-messages") throw new Error(`bedrock (anthropic) does not serve ${protocol}`);
    const out = invokeBody(body, ctx.clientHeaders.get("anthropic-beta"));
    const url = bedrockUrl(t, ctx.stream ? "invoke-with-response-stream" : "invoke");
    const headers = await bedrockHeaders(t, url, out, ctx.stream ? EVENT_STREAM : "application/json", ctx.send);
    return { url, method: "POST", headers, body: out };
  },
  responseTransform: { stream: invokeStreamToAnthropic, streamContentType: EVENT_STREAM },
};

/** Every other model (and `bedrock/converse/...`): OpenAI chat in, the Converse API on the wire. */
export const bedrockConverse: Provider = {
  ...common,
  native: new Set<Protocol>(["openai-chat"]),
  preferred: "openai-chat",
  async buildRequest(t: Target, protocol: Protocol, body: RequestBytes, ctx: BuildContext): Promise<UpstreamRequest> {
    if (protocol !== "openai-chat") throw new Error(`bedrock (converse) does not serve ${protocol}`);
    const out = JSON.stringify(chatToConverse(parseBody(body)));
    const url = bedrockUrl(t, ctx.stream ? "converse-stream" : "converse");
    const headers = await bedrockHeaders(t, url, out, ctx.stream ? EVENT_STREAM : "application/json", ctx.send);
    return { url, method: "POST", headers, body: out };
  },
  responseTransform: { json: converseToChat, stream: converseStreamToChat, streamContentType: EVENT_STREAM },
};

const isAnthropic = (model: string) => !model.startsWith("converse/") && (model.startsWith("invoke/") || /(^|[./])anthropic\.|claude/.test(model));

/** `bedrock/<model>`: Anthropic models via invoke; other models via Converse. */
export const bedrock: Provider = {
  ...bedrockAnthropic,
  forModel: (model) => (isAnthropic(model) ? bedrockAnthropic : bedrockConverse),
};

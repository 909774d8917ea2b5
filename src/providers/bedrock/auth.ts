import { resolveAwsCredentials } from "../aws/credentials.ts";
import type { BuildContext, RequestBytes, Target } from "../types.ts";
import { signV4 } from "./sigv4.ts";

const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);

export function regionOf(t: Target): string {
  return str(t.params.aws_region_name) ?? /bedrock-runtime[.-](?:fips\.)?([a-z0-9-]+)\.amazonaws\.com/.exec(t.apiBase)?.[1] ?? "us-east-1";
}

/** The model id in the URL: `model_id` when set (ARNs), else the model without LiteLLM's route prefix. */
export function modelIdOf(t: Target): string {
  return str(t.params.model_id) ?? t.model.replace(/^(invoke|converse)\//, "");
}

export function bedrockUrl(t: Target, operation: string): string {
  return `${t.apiBase.replace(/\/+$/, "")}/model/${encodeURIComponent(modelIdOf(t))}/${operation}`;
}

/** Bedrock API key (bearer) when `api_key` is set, else SigV4 with credentials from LiteLLM's AWS chain. */
export async function bedrockHeaders(
  t: Target,
  url: string,
  body: RequestBytes,
  accept: string,
  send: BuildContext["send"],
  base: Record<string, string> = { "content-type": "application/json" },
): Promise<Record<string, string>> {
  const headers: Record<string, string> = { ...base, accept };
  if (t.extraHeaders) Object.assign(headers, t.extraHeaders);
  if (t.apiKey) return { ...headers, authorization: `Bearer ${t.apiKey}` };
  const region = regionOf(t);
  const creds = await resolveAwsCredentials(t, region, send);
  return signV4({ method: "POST", url, headers, body }, creds, { region, service: "bedrock" });
}

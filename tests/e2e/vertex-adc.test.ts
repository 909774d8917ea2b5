import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

/** Vertex AI with Application Default Credentials: gcloud's well-known file, then the metadata server. */
const MASTER = "sk-master-vertex-adc";
let fake: FakeGoogle;
let fileGw: GatewayProcess;
let metaGw: GatewayProcess;
let noneGw: GatewayProcess;

const GOOGLE_ENV = ["GOOGLE_APPLICATION_CREDENTIALS", "VERTEXAI_CREDENTIALS", "VERTEXAI_PROJECT", "VERTEX_PROJECT", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CONFIG", "GCE_METADATA_HOST"];

function env(extra: Record<string, string>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = Object.fromEntries(GOOGLE_ENV.map((k) => [k, undefined]));
  return { ...out, HOME: mkdtempSync(join(tmpdir(), "lr-adc-home-")), ...extra };
}

beforeAll(async () => {
  fake = await startFakeGoogle({ apiKey: "unused" });
  const gcloud = mkdtempSync(join(tmpdir(), "lr-gcloud-"));
  mkdirSync(gcloud, { recursive: true });
  writeFileSync(join(gcloud, "application_default_credentials.json"), JSON.stringify(fake.oauth.authorizedUser));
  const config = (model: string) => ({
    model_list: [{ model_name: "adc-model", litellm_params: { model, vertex_location: "us-east5", api_base: fake.url } }],
    router_settings: { num_retries: 0 },
    general_settings: { master_key: MASTER },
  });
  const metadataHost = fake.url.replace("http://", "");
  [fileGw, metaGw, noneGw] = await Promise.all([
    startGateway({ env: env({ CLOUDSDK_CONFIG: gcloud, GCE_METADATA_HOST: "127.0.0.1:9" }), config: config("vertex_ai/gemini-2.5-pro") }),
    startGateway({ env: env({ GCE_METADATA_HOST: metadataHost }), config: config("vertex_ai/claude-sonnet-4-5@20250929") }),
    startGateway({ env: env({ GCE_METADATA_HOST: "127.0.0.1:9" }), config: config("vertex_ai/claude-sonnet-4-5@20250929") }),
  ]);
});

afterAll(async () => {
  await Promise.all([fileGw?.stop(), metaGw?.stop(), noneGw?.stop()]);
  await fake?.stop();
});

const claude = async (g: GatewayProcess) =>
  await new Anthropic({ apiKey: MASTER, baseURL: g.url, maxRetries: 0 }).messages.create({ model: "adc-model", max_tokens: 20, messages: [{ role: "user", content: "hi" }] });

describe("Vertex AI Application Default Credentials", () => {
  test("gcloud's application_default_credentials.json (authorized_user): refresh-token grant, quota project", async () => {
    const before = fake.oauth.exchanges.length;
    const r = await new OpenAI({ apiKey: MASTER, baseURL: `${fileGw.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: "adc-model", messages: [{ role: "user", content: "hi" }] });
    expect(r.choices[0]!.message.content).toBeTruthy();
    expect(fake.oauth.exchanges.slice(before).map((e) => e.grant)).toEqual(["refresh_token"]);
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/v1/projects/user-project/locations/us-east5/publishers/google/models/gemini-2.5-pro:generateContent");
    expect(fake.oauth.issued).toContain(sent.headers.authorization!.replace("Bearer ", ""));
  });

  test("the metadata server: its token and project, fetched once for many calls", async () => {
    await Promise.all([claude(metaGw), claude(metaGw), claude(metaGw)]);
    await claude(metaGw);
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/v1/projects/metadata-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict");
    expect(sent.headers.authorization).toBe("Bearer ya29.metadata-1");
    expect(fake.metadataTokens).toBe(1);
  });

  test("no credentials anywhere: 401 in the client's shape, saying what to set", async () => {
    const err = await claude(noneGw).then(
      () => undefined,
      (e: { status: number; error: { error: { message: string } } }) => e,
    );
    expect(err?.status).toBe(401);
    expect(err!.error.error.message).toContain("no Google credentials");
    expect(err!.error.error.message).toContain("gcloud auth application-default login");
  });
});

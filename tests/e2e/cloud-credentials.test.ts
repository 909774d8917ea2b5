import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startFakeAwsCredentials, type FakeAwsCredentials } from "../fakes/aws-credentials.ts";
import { startFakeBedrock, type FakeBedrock } from "../fakes/bedrock.ts";
import { startFakeGceMetadata, type FakeGceMetadata } from "../fakes/gce-metadata.ts";
import { startFakeGoogle, type FakeGoogle } from "../fakes/google.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

const MASTER = "sk-master-cloud-creds";
const SOURCE_KEY = "AKIASOURCEKEY0001";
const SOURCE_SECRET = "source/secret+for-assume-role";
const PROFILE_KEY = "AKIAPROFILEDEV001";
const PROFILE_SECRET = "profile/dev+secret-from-ini";
const ROLE_ARN = "arn:aws:iam::123456789012:role/bedrock-caller";
const WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.web-identity.sig";
const ECS_TOKEN = "ecs-auth-token-xyz";
const MODEL = "bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0";

/** Ambient cloud settings of the machine running the tests must not leak into the gateways. */
const CLEAN_ENV: Record<string, undefined> = Object.fromEntries(
  [
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_DISABLED",
    "AWS_BEARER_TOKEN_BEDROCK", "AWS_STS_ENDPOINT", "AWS_REGION", "AWS_REGION_NAME", "AWS_DEFAULT_REGION", "GOOGLE_APPLICATION_CREDENTIALS",
    "VERTEXAI_CREDENTIALS", "CLOUDSDK_CONFIG", "GCE_METADATA_HOST", "GCE_METADATA_ROOT", "VERTEXAI_PROJECT", "VERTEX_PROJECT", "GOOGLE_CLOUD_PROJECT",
  ].map((k) => [k, undefined]),
);

let aws: FakeAwsCredentials;
let bedrock: FakeBedrock;
const gateways: GatewayProcess[] = [];

async function gateway(models: Array<[string, Record<string, unknown>]>, env: Record<string, string | undefined>): Promise<GatewayProcess> {
  const gw = await startGateway({
    config: {
      model_list: models.map(([name, p]) => ({ model_name: name, litellm_params: { model: MODEL, aws_region_name: "us-west-2", aws_bedrock_runtime_endpoint: bedrock.url, ...p } })),
      router_settings: { num_retries: 0 },
      general_settings: { master_key: MASTER },
    },
    env: { ...CLEAN_ENV, ...env },
  });
  gateways.push(gw);
  return gw;
}

/** The message inside the Anthropic-shaped error body. */
const errorMessage = (e: unknown) => ((e as { error?: { error?: { message?: string } } }).error?.error?.message ?? "");

const ask = (gw: GatewayProcess, model: string) =>
  new Anthropic({ apiKey: MASTER, baseURL: gw.url, maxRetries: 0 }).messages.create({ model, max_tokens: 50, messages: [{ role: "user", content: "hi" }] });

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), "lr-home-"));
  mkdirSync(join(dir, ".aws"));
  writeFileSync(join(dir, ".aws", "credentials"), `# shared credentials\n[dev]\naws_access_key_id = ${PROFILE_KEY}\naws_secret_access_key = ${PROFILE_SECRET}\n\n[base]\naws_access_key_id=${SOURCE_KEY}\naws_secret_access_key=${SOURCE_SECRET}\n`);
  writeFileSync(join(dir, ".aws", "config"), `[profile chained]\nrole_arn = ${ROLE_ARN}\nsource_profile = base\nrole_session_name = from-profile\n`);
  return dir;
}

afterAll(async () => {
  for (const gw of gateways) await gw.stop();
  await bedrock?.stop();
  await aws?.stop();
});

describe("Bedrock with LiteLLM's AWS credential chain", () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    aws = await startFakeAwsCredentials({ sourceKeys: { [SOURCE_KEY]: SOURCE_SECRET }, webIdentityTokens: [WEB_TOKEN], ecsAuthToken: ECS_TOKEN });
    aws.issuedKeys[PROFILE_KEY] = PROFILE_SECRET;
    bedrock = await startFakeBedrock({ keys: aws.issuedKeys, sessionTokens: aws.sessionTokens });
    gw = await gateway(
      [
        ["claude-profile", { aws_profile_name: "dev" }],
        ["claude-role", { aws_role_name: ROLE_ARN, aws_session_name: "gw-session", aws_external_id: "ext-123", aws_access_key_id: SOURCE_KEY, aws_secret_access_key: SOURCE_SECRET, aws_sts_endpoint: aws.url }],
        ["claude-profile-role", { aws_profile_name: "chained", aws_sts_endpoint: aws.url }],
        ["claude-web", { aws_web_identity_token: WEB_TOKEN, aws_role_name: ROLE_ARN, aws_session_name: "web-session", aws_sts_endpoint: aws.url }],
        ["claude-web-bad", { aws_web_identity_token: "not-a-valid-token", aws_role_name: ROLE_ARN, aws_sts_endpoint: aws.url }],
        ["claude-missing-profile", { aws_profile_name: "nope" }],
        ["claude-default", {}],
      ],
      { HOME: home(), AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url },
    );
  });

  test("aws_profile_name: signed with the keys of the profile in ~/.aws/credentials", async () => {
    const msg = await ask(gw, "claude-profile");
    expect(msg.content[0]?.type).toBe("text");
    const sent = bedrock.requests.at(-1)!;
    expect(sent.signedBy).toBe(PROFILE_KEY);
    expect(sent.sessionToken).toBeUndefined();
  });

  test("aws_role_name + aws_session_name: AssumeRole signed with the source keys; the session creds sign Bedrock, one STS call for many requests", async () => {
    const before = aws.calls.assumeRole;
    await Promise.all([ask(gw, "claude-role"), ask(gw, "claude-role"), ask(gw, "claude-role")]);
    await ask(gw, "claude-role");
    expect(aws.calls.assumeRole - before).toBe(1);
    expect(aws.last).toMatchObject({ Action: "AssumeRole", RoleArn: ROLE_ARN, RoleSessionName: "gw-session", ExternalId: "ext-123", SourceKey: SOURCE_KEY });
    const sent = bedrock.requests.at(-1)!;
    expect(sent.signedBy).toStartWith("ASIAROLE");
    expect(sent.sessionToken).toBe(aws.sessionTokens[sent.signedBy!]);
  });

  test("a profile with role_arn + source_profile assumes the role with the source profile's keys", async () => {
    await ask(gw, "claude-profile-role");
    expect(aws.last).toMatchObject({ Action: "AssumeRole", RoleArn: ROLE_ARN, RoleSessionName: "from-profile", SourceKey: SOURCE_KEY });
    expect(bedrock.requests.at(-1)!.signedBy).toStartWith("ASIAROLE");
  });

  test("aws_web_identity_token + aws_role_name: AssumeRoleWithWebIdentity, cached", async () => {
    const before = aws.calls.webIdentity;
    await ask(gw, "claude-web");
    await ask(gw, "claude-web");
    expect(aws.calls.webIdentity - before).toBe(1);
    expect(aws.last).toMatchObject({ Action: "AssumeRoleWithWebIdentity", RoleArn: ROLE_ARN, RoleSessionName: "web-session" });
    const sent = bedrock.requests.at(-1)!;
    expect(sent.signedBy).toStartWith("ASIAWEBI");
    expect(sent.sessionToken).toBe(aws.sessionTokens[sent.signedBy!]);
  });

  test("a rejected web identity token is a 401 with STS's error code, the token not echoed", async () => {
    const err = await ask(gw, "claude-web-bad").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    const text = JSON.stringify((err as InstanceType<typeof Anthropic.AuthenticationError>).error);
    expect(text).toContain("InvalidIdentityToken");
    expect(text).not.toContain("not-a-valid-token");
  });

  test("an unknown aws_profile_name is a 401 naming the files looked in", async () => {
    const err = await ask(gw, "claude-missing-profile").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(errorMessage(err)).toContain('aws_profile_name "nope" not found');
    expect(errorMessage(err)).toContain(".aws/credentials");
  });

  test("nothing configured: the default chain reaches EC2 IMDSv2 (token PUT, role, creds), fetched once", async () => {
    const before = { t: aws.calls.imdsToken, c: aws.calls.imdsCreds };
    await Promise.all([ask(gw, "claude-default"), ask(gw, "claude-default")]);
    await ask(gw, "claude-default");
    expect(aws.calls.imdsToken - before.t).toBe(1);
    expect(aws.calls.imdsCreds - before.c).toBe(1);
    const sent = bedrock.requests.at(-1)!;
    expect(sent.signedBy).toStartWith("ASIAIMDS");
    expect(sent.sessionToken).toBe(aws.sessionTokens[sent.signedBy!]);
  });

  test("the EKS env pair AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN comes before the profile", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lr-eks-"));
    writeFileSync(join(dir, "token"), `${WEB_TOKEN}\n`);
    const eks = await gateway([["claude", { aws_sts_endpoint: aws.url }]], {
      HOME: home(),
      AWS_PROFILE: "dev",
      AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, "token"),
      AWS_ROLE_ARN: ROLE_ARN,
      AWS_ROLE_SESSION_NAME: "eks-pod",
    });
    await ask(eks, "claude");
    expect(aws.last).toMatchObject({ Action: "AssumeRoleWithWebIdentity", RoleSessionName: "eks-pod" });
    expect(bedrock.requests.at(-1)!.signedBy).toStartWith("ASIAWEBI");
  });

  test("AWS_PROFILE picks the shared profile in the default chain", async () => {
    const p = await gateway([["claude", {}]], { HOME: home(), AWS_PROFILE: "dev", AWS_EC2_METADATA_DISABLED: "true" });
    await ask(p, "claude");
    expect(bedrock.requests.at(-1)!.signedBy).toBe(PROFILE_KEY);
  });

  test("ECS container credentials (full URI + authorization token), before IMDS", async () => {
    const ecs = await gateway([["claude", {}]], {
      HOME: mkdtempSync(join(tmpdir(), "lr-empty-")),
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${aws.url}/ecs/creds`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: ECS_TOKEN,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url,
    });
    const before = { ecs: aws.calls.ecs, imds: aws.calls.imdsCreds };
    await ask(ecs, "claude");
    await ask(ecs, "claude");
    expect(aws.calls.ecs - before.ecs).toBe(1);
    expect(aws.calls.imdsCreds).toBe(before.imds);
    expect(bedrock.requests.at(-1)!.signedBy).toStartWith("ASIAECSC");
  });

  test("no credentials anywhere: 401 in the client's shape naming every source tried", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const deadUrl = `http://127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const none = await gateway([["claude", {}]], { HOME: mkdtempSync(join(tmpdir(), "lr-empty-")), AWS_EC2_METADATA_SERVICE_ENDPOINT: deadUrl });
    const err = await ask(none, "claude").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    const msg = errorMessage(err);
    for (const part of ["no AWS credentials found", "AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", 'shared profile "default"', "AWS_CONTAINER_CREDENTIALS", deadUrl]) expect(msg).toContain(part);
    const oai = await new OpenAI({ apiKey: MASTER, baseURL: `${none.url}/v1`, maxRetries: 0 }).chat.completions
      .create({ model: "claude", messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(oai).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((oai as Error).message).toContain("no AWS credentials found");
  });
});

describe("Vertex AI with Application Default Credentials", () => {
  let google: FakeGoogle;
  let gce: FakeGceMetadata;
  beforeAll(async () => {
    google = await startFakeGoogle({ apiKey: "unused" });
    gce = await startFakeGceMetadata({ issued: google.oauth.issued, project: "gce-project" });
  });
  afterAll(async () => {
    await gce?.stop();
    await google?.stop();
  });

  const vertexGateway = (env: Record<string, string>) =>
    startGateway({
      config: {
        model_list: [
          { model_name: "claude-vertex", litellm_params: { model: "vertex_ai/claude-sonnet-4-5@20250929", vertex_project: "proj-a", vertex_location: "us-east5", api_base: google.url } },
          { model_name: "gemini-vertex", litellm_params: { model: "vertex_ai/gemini-2.5-pro", vertex_location: "us-east5", api_base: google.url } },
        ],
        router_settings: { num_retries: 0 },
        general_settings: { master_key: MASTER },
      },
      env: { ...CLEAN_ENV, ...env },
    }).then((gw) => (gateways.push(gw), gw));

  test("no credentials file: the GCE metadata server's token (Metadata-Flavor: Google), cached; its project id when vertex_project is unset", async () => {
    const gw = await vertexGateway({ HOME: mkdtempSync(join(tmpdir(), "lr-empty-")), GCE_METADATA_HOST: gce.host });
    await Promise.all([ask(gw, "claude-vertex"), ask(gw, "claude-vertex")]);
    const claude = google.requests.at(-1)!;
    expect(claude.path).toStartWith("/v1/projects/proj-a/locations/us-east5/publishers/anthropic/");
    expect(claude.headers.authorization).toBe("Bearer ya29.c.gce-1");
    const chat = await new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: "gemini-vertex", messages: [{ role: "user", content: "hi" }] });
    expect(chat.choices[0]?.message.content).toBeTruthy();
    expect(google.requests.at(-1)!.path).toStartWith("/v1/projects/gce-project/locations/us-east5/publishers/google/");
    expect(gce.tokenCalls).toBe(1);
    expect(gce.projectCalls).toBe(1);
  });

  test("gcloud's application_default_credentials.json under CLOUDSDK_CONFIG comes before the metadata server; quota_project_id is the project", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lr-gcloud-"));
    writeFileSync(join(dir, "application_default_credentials.json"), JSON.stringify(google.oauth.authorizedUser));
    const gw = await vertexGateway({ HOME: mkdtempSync(join(tmpdir(), "lr-empty-")), CLOUDSDK_CONFIG: dir, GCE_METADATA_HOST: gce.host });
    const tokenCalls = gce.tokenCalls;
    const exchanges = google.oauth.exchanges.length;
    const chat = await new OpenAI({ apiKey: MASTER, baseURL: `${gw.url}/v1`, maxRetries: 0 }).chat.completions.create({ model: "gemini-vertex", messages: [{ role: "user", content: "hi" }] });
    expect(chat.choices[0]?.message.content).toBeTruthy();
    expect(google.requests.at(-1)!.path).toStartWith(`/v1/projects/${google.oauth.authorizedUser.quota_project_id}/`);
    expect(google.oauth.exchanges.length - exchanges).toBe(1);
    expect(google.oauth.exchanges.at(-1)!.grant).toBe("refresh_token");
    expect(gce.tokenCalls).toBe(tokenCalls);
  });

  test("no ADC anywhere: 401 naming what was tried", async () => {
    const closed = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
    const dead = `127.0.0.1:${closed.port}`;
    await closed.stop(true);
    const gw = await vertexGateway({ HOME: mkdtempSync(join(tmpdir(), "lr-empty-")), GCE_METADATA_HOST: dead });
    const err = await ask(gw, "claude-vertex").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    for (const part of ["no Google credentials found", "GOOGLE_APPLICATION_CREDENTIALS", "application_default_credentials.json", dead]) expect(errorMessage(err)).toContain(part);
  });
});

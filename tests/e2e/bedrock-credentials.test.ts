import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { startFakeAwsCreds, type FakeAwsCreds } from "../fakes/aws-creds.ts";
import { startFakeBedrock, type FakeBedrock } from "../fakes/bedrock.ts";
import { startGateway, type GatewayProcess } from "../helpers/gateway.ts";

/** Bedrock calls signed with credentials from a profile, STS (AssumeRole, web identity), ECS and IMDS. */
const MASTER = "sk-master-aws-creds";
const BASE_ID = "AKIABASEKEY000001";
const BASE_SECRET = "base/secret+for-assume-role";
const PROFILE_ID = "AKIAPROFILEKEY001";
const PROFILE_SECRET = "profile/secret+dev";
const WEB_TOKEN = "eyJ.web-identity-token.sig";
const ECS_TOKEN = "ecs-auth-token-123";
const MODEL = "bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0";

let aws: FakeAwsCreds;
let bedrock: FakeBedrock;
let gw: GatewayProcess;
let ecsGw: GatewayProcess;
let bareGw: GatewayProcess;
let home: string;

const ask = async (g: GatewayProcess, model: string) =>
  await new Anthropic({ apiKey: MASTER, baseURL: g.url, maxRetries: 0 }).messages.create({ model, max_tokens: 20, messages: [{ role: "user", content: "hi" }] });
const lastSigner = () => bedrock.requests.at(-1)!;

function isolatedEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { HOME: home, ...extra };
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) env[k] = env[k] ?? undefined;
  return env;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "lr-aws-home-"));
  const credsFile = join(home, "shared-credentials");
  writeFileSync(credsFile, `# a comment\n[dev]\naws_access_key_id = ${PROFILE_ID}\naws_secret_access_key = ${PROFILE_SECRET}\n`);
  aws = await startFakeAwsCreds({ baseKeys: { [BASE_ID]: BASE_SECRET }, webIdentityToken: WEB_TOKEN, ecsToken: ECS_TOKEN });
  aws.issued[PROFILE_ID] = PROFILE_SECRET;
  bedrock = await startFakeBedrock({ keys: aws.issued });
  const common = { aws_region_name: "us-east-1", aws_bedrock_runtime_endpoint: bedrock.url };
  const config = (models: Array<[string, Record<string, string>]>) => ({
    model_list: models.map(([name, p]) => ({ model_name: name, litellm_params: { model: MODEL, ...common, ...p } })),
    router_settings: { num_retries: 0 },
    general_settings: { master_key: MASTER },
  });
  gw = await startGateway({
    env: isolatedEnv({ AWS_SHARED_CREDENTIALS_FILE: credsFile, AWS_CONFIG_FILE: join(home, "none"), AWS_EC2_METADATA_SERVICE_ENDPOINT: aws.url }),
    config: config([
      ["claude-profile", { aws_profile_name: "dev" }],
      ["claude-role", { aws_access_key_id: BASE_ID, aws_secret_access_key: BASE_SECRET, aws_role_name: "arn:aws:iam::123456789012:role/bedrock", aws_session_name: "sess-1", aws_sts_endpoint: aws.url }],
      ["claude-web", { aws_web_identity_token: WEB_TOKEN, aws_role_name: "arn:aws:iam::123456789012:role/web", aws_sts_endpoint: aws.url }],
      ["claude-default", {}],
    ]),
  });
  ecsGw = await startGateway({
    env: isolatedEnv({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${aws.url}/ecs-credentials`, AWS_CONTAINER_AUTHORIZATION_TOKEN: ECS_TOKEN, AWS_EC2_METADATA_DISABLED: "true" }),
    config: config([["claude-default", {}]]),
  });
  bareGw = await startGateway({ env: isolatedEnv({ AWS_EC2_METADATA_DISABLED: "true" }), config: config([["claude-default", {}]]) });
});

afterAll(async () => {
  await Promise.all([gw?.stop(), ecsGw?.stop(), bareGw?.stop()]);
  await bedrock?.stop();
  await aws?.stop();
});

describe("AWS credentials for Bedrock", () => {
  test("aws_profile_name reads the shared credentials file", async () => {
    await ask(gw, "claude-profile");
    expect(lastSigner().signedBy).toBe(PROFILE_ID);
  });

  test("aws_role_name: STS AssumeRole signed with the base keys, the temporary keys sign the call, cached", async () => {
    await ask(gw, "claude-role");
    const first = lastSigner();
    expect(first.signedBy).toStartWith("ASIAROLE");
    expect(first.sessionToken).toStartWith("session-token-ROLE-");
    await ask(gw, "claude-role");
    expect(lastSigner().signedBy).toBe(first.signedBy!);
    expect(aws.calls.assumeRole).toBe(1);
    expect(aws.roles.find((r) => r.action === "AssumeRole")).toEqual({ action: "AssumeRole", role: "arn:aws:iam::123456789012:role/bedrock", session: "sess-1", signedBy: BASE_ID });
  });

  test("aws_web_identity_token + aws_role_name: AssumeRoleWithWebIdentity", async () => {
    await ask(gw, "claude-web");
    expect(lastSigner().signedBy).toStartWith("ASIAWEB");
    await ask(gw, "claude-web");
    expect(aws.calls.webIdentity).toBe(1);
  });

  test("nothing configured: the default chain reaches instance metadata (IMDSv2), once", async () => {
    await Promise.all([ask(gw, "claude-default"), ask(gw, "claude-default"), ask(gw, "claude-default")]);
    expect(lastSigner().signedBy).toStartWith("ASIAIMDS");
    expect(lastSigner().sessionToken).toStartWith("session-token-IMDS-");
    expect(aws.calls.imdsCreds).toBe(1);
  });

  test("container credentials (ECS / EKS Pod Identity) with the authorization token", async () => {
    await ask(ecsGw, "claude-default");
    expect(lastSigner().signedBy).toStartWith("ASIAECS");
    expect(aws.calls.ecs).toBe(1);
  });

  test("no credentials anywhere: 401 in Anthropic's shape, naming what was tried", async () => {
    const err = await ask(bareGw, "claude-default").then(
      () => undefined,
      (e: { status: number; error: { type: string; error: { type: string; message: string } } }) => e,
    );
    expect(err?.status).toBe(401);
    expect(err!.error.type).toBe("error");
    expect(err!.error.error.message).toContain("no AWS credentials found");
    expect(err!.error.error.message).toContain("profile \"default\"");
  });
});

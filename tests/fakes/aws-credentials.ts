/**
 * Fakes of the endpoints AWS credential providers call, on one server: STS (`POST /`, the Query
 * API's AssumeRole — SigV4-verified with the source keys — and AssumeRoleWithWebIdentity, XML
 * answers), the ECS container credentials endpoint (`GET /ecs/creds`, Authorization checked) and
 * EC2 IMDSv2 (`PUT /latest/api/token`, then the role and its credentials with that token).
 * Every issued key pair is added to `issuedKeys` / `sessionTokens`, which the fake Bedrock checks.
 */
import { randomBytes } from "node:crypto";
import { verifySigV4 } from "./aws-sigv4-verify.ts";

export interface FakeAwsCredentials {
  url: string;
  /** access key id → secret of every key issued (pass to startFakeBedrock's `keys`) */
  issuedKeys: Record<string, string>;
  /** access key id → session token of every key issued */
  sessionTokens: Record<string, string>;
  calls: { assumeRole: number; webIdentity: number; ecs: number; imdsToken: number; imdsCreds: number };
  /** what the last AssumeRole / AssumeRoleWithWebIdentity asked for */
  last: Record<string, string>;
  /** seconds until issued credentials expire */
  expiresIn: number;
  stop(): Promise<void>;
}

const xml = (status: number, body: string) => new Response(body, { status, headers: { "content-type": "text/xml" } });
const stsError = (status: number, code: string, msg: string) =>
  xml(status, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${msg}</Message></Error></ErrorResponse>`);

export async function startFakeAwsCredentials(opts: {
  /** keys allowed to call AssumeRole */
  sourceKeys: Record<string, string>;
  webIdentityTokens?: string[];
  ecsAuthToken?: string;
  instanceRole?: string;
}): Promise<FakeAwsCredentials> {
  let n = 0;
  const imdsTokens = new Set<string>();
  const state: Omit<FakeAwsCredentials, "url" | "stop"> = {
    issuedKeys: {},
    sessionTokens: {},
    calls: { assumeRole: 0, webIdentity: 0, ecs: 0, imdsToken: 0, imdsCreds: 0 },
    last: {},
    expiresIn: 3600,
  };
  const issue = (prefix: string) => {
    const id = `ASIA${prefix}${String(++n).padStart(8, "0")}`;
    const secret = randomBytes(20).toString("base64");
    const token = `IQoJb3JpZ2luX2Vj${randomBytes(24).toString("base64")}`;
    state.issuedKeys[id] = secret;
    state.sessionTokens[id] = token;
    return { id, secret, token, expiration: new Date(Date.now() + state.expiresIn * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") };
  };
  const stsAnswer = (action: string, c: ReturnType<typeof issue>) =>
    xml(
      200,
      `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result><Credentials><AccessKeyId>${c.id}</AccessKeyId><SecretAccessKey>${c.secret}</SecretAccessKey><SessionToken>${c.token}</SessionToken><Expiration>${c.expiration}</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/x/y</Arn></AssumedRoleUser></${action}Result></${action}Response>`,
    );
  const metadataJson = (c: ReturnType<typeof issue>) => Response.json({ Code: "Success", Type: "AWS-HMAC", AccessKeyId: c.id, SecretAccessKey: c.secret, Token: c.token, Expiration: c.expiration });

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/" && req.method === "POST") {
        const raw = new Uint8Array(await req.arrayBuffer());
        const form = new URLSearchParams(new TextDecoder().decode(raw));
        const action = form.get("Action") ?? "";
        if (form.get("Version") !== "2011-06-15") return stsError(400, "InvalidAction", "bad Version");
        state.last = Object.fromEntries(form);
        delete state.last.WebIdentityToken;
        if (action === "AssumeRole") {
          const auth = verifySigV4({ method: req.method, rawPath: url.pathname, search: url.search, headers: req.headers, body: raw }, opts.sourceKeys, "sts");
          if (!auth.ok) return stsError(403, "SignatureDoesNotMatch", auth.reason ?? "bad signature");
          if (!form.get("RoleArn")?.startsWith("arn:aws:iam::") || !form.get("RoleSessionName")) return stsError(400, "ValidationError", "RoleArn and RoleSessionName required");
          state.calls.assumeRole++;
          state.last.SourceKey = auth.accessKeyId!;
          return stsAnswer(action, issue("ROLE"));
        }
        if (action === "AssumeRoleWithWebIdentity") {
          if (req.headers.get("authorization")) return stsError(400, "InvalidRequest", "AssumeRoleWithWebIdentity is unsigned");
          if (!opts.webIdentityTokens?.includes(form.get("WebIdentityToken") ?? "")) return stsError(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider");
          state.calls.webIdentity++;
          return stsAnswer(action, issue("WEBI"));
        }
        return stsError(400, "InvalidAction", `unknown action ${action}`);
      }
      if (url.pathname === "/ecs/creds" && req.method === "GET") {
        if (opts.ecsAuthToken && req.headers.get("authorization") !== opts.ecsAuthToken) return Response.json({ message: "unauthorized" }, { status: 401 });
        state.calls.ecs++;
        return metadataJson(issue("ECSC"));
      }
      if (url.pathname === "/latest/api/token") {
        if (req.method !== "PUT" || !req.headers.get("x-aws-ec2-metadata-token-ttl-seconds")) return new Response("", { status: 400 });
        state.calls.imdsToken++;
        const t = randomBytes(16).toString("base64");
        imdsTokens.add(t);
        return new Response(t);
      }
      if (url.pathname.startsWith("/latest/meta-data/iam/security-credentials/")) {
        if (!imdsTokens.has(req.headers.get("x-aws-ec2-metadata-token") ?? "")) return new Response("", { status: 401 });
        const role = opts.instanceRole ?? "gateway-instance-role";
        const rest = url.pathname.slice("/latest/meta-data/iam/security-credentials/".length);
        if (!rest) return new Response(`${role}\n`);
        if (rest !== role) return new Response("", { status: 404 });
        state.calls.imdsCreds++;
        return metadataJson(issue("IMDS"));
      }
      return new Response("not found", { status: 404 });
    },
  });
  return Object.assign(state, { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) });
}

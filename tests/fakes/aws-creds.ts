import { verifySigV4 } from "./aws-sigv4-verify.ts";

/**
 * Where AWS credentials come from, faked at the wire level: STS (AssumeRole, SigV4-verified;
 * AssumeRoleWithWebIdentity, token-checked) answering its XML, the ECS container credentials
 * endpoint and EC2 instance metadata (IMDSv2). Every issued key is added to `issued` so a fake
 * Bedrock given that map accepts signatures made with it.
 */
export interface FakeAwsCreds {
  url: string;
  /** access key id → secret, for every key this fake issued */
  issued: Record<string, string>;
  calls: Record<"assumeRole" | "webIdentity" | "ecs" | "imdsToken" | "imdsCreds", number>;
  /** Session names and role ARNs STS was asked for, in order. */
  roles: Array<{ action: string; role: string; session: string; signedBy?: string }>;
  stop(): Promise<void>;
}

const xml = (action: string, id: string, secret: string, token: string, expiration: string) =>
  `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result><Credentials>` +
  `<AccessKeyId>${id}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey><SessionToken>${token}</SessionToken>` +
  `<Expiration>${expiration}</Expiration></Credentials></${action}Result></${action}Response>`;

export async function startFakeAwsCreds(opts: { baseKeys: Record<string, string>; webIdentityToken: string; ecsToken: string }): Promise<FakeAwsCreds> {
  const issued: Record<string, string> = {};
  const calls = { assumeRole: 0, webIdentity: 0, ecs: 0, imdsToken: 0, imdsCreds: 0 };
  const roles: FakeAwsCreds["roles"] = [];
  let n = 0;
  const issue = (prefix: string) => {
    const id = `ASIA${prefix}${String(++n).padStart(4, "0")}`;
    const secret = `temp-secret-${prefix}-${n}`;
    issued[id] = secret;
    return { id, secret, token: `session-token-${prefix}-${n}`, expiration: new Date(Date.now() + 3600_000).toISOString() };
  };
  const server = Bun.serve({
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const raw = new Uint8Array(await req.arrayBuffer());
      if (req.method === "POST" && url.pathname === "/") {
        const form = new URLSearchParams(new TextDecoder().decode(raw));
        const action = form.get("Action") ?? "";
        const role = form.get("RoleArn") ?? "";
        const session = form.get("RoleSessionName") ?? "";
        if (action === "AssumeRole") {
          const v = verifySigV4({ method: "POST", rawPath: url.pathname, search: url.search, headers: req.headers, body: raw }, opts.baseKeys, "sts");
          if (!v.ok) return new Response(`<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>${v.reason}</Message></Error></ErrorResponse>`, { status: 403 });
          calls.assumeRole++;
          roles.push({ action, role, session, signedBy: v.accessKeyId });
          const c = issue("ROLE");
          return new Response(xml(action, c.id, c.secret, c.token, c.expiration), { headers: { "content-type": "text/xml" } });
        }
        if (action === "AssumeRoleWithWebIdentity") {
          if (form.get("WebIdentityToken") !== opts.webIdentityToken) {
            return new Response("<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad token</Message></Error></ErrorResponse>", { status: 400 });
          }
          calls.webIdentity++;
          roles.push({ action, role, session });
          const c = issue("WEB");
          return new Response(xml(action, c.id, c.secret, c.token, c.expiration), { headers: { "content-type": "text/xml" } });
        }
        return new Response("unknown action", { status: 400 });
      }
      if (url.pathname === "/ecs-credentials") {
        if (req.headers.get("authorization") !== opts.ecsToken) return new Response("forbidden", { status: 403 });
        calls.ecs++;
        const c = issue("ECS");
        return Response.json({ AccessKeyId: c.id, SecretAccessKey: c.secret, Token: c.token, Expiration: c.expiration });
      }
      if (url.pathname === "/latest/api/token" && req.method === "PUT") {
        if (!req.headers.get("x-aws-ec2-metadata-token-ttl-seconds")) return new Response("missing ttl", { status: 400 });
        calls.imdsToken++;
        return new Response("imds-session-token");
      }
      if (url.pathname.startsWith("/latest/meta-data/iam/security-credentials/")) {
        if (req.headers.get("x-aws-ec2-metadata-token") !== "imds-session-token") return new Response("unauthorized", { status: 401 });
        const role = url.pathname.slice("/latest/meta-data/iam/security-credentials/".length);
        if (!role) return new Response("instance-role\n");
        if (role !== "instance-role") return new Response("not found", { status: 404 });
        calls.imdsCreds++;
        const c = issue("IMDS");
        return Response.json({ Code: "Success", Type: "AWS-HMAC", AccessKeyId: c.id, SecretAccessKey: c.secret, Token: c.token, Expiration: c.expiration });
      }
      return new Response("not found", { status: 404 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, issued, calls, roles, stop: async () => void server.stop(true) };
}

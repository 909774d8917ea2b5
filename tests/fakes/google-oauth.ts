import { createPublicKey, createVerify, generateKeyPairSync, type KeyObject } from "node:crypto";

/**
 * Google's OAuth token endpoint as the service-account flow uses it: a JWT-bearer grant whose
 * RS256 signature is verified with the service account's public key (node:crypto, independent of
 * the gateway's Web Crypto signer), and the refresh-token grant of authorized_user credentials.
 */
export interface FakeOAuth {
  serviceAccount: Record<string, string>;
  authorizedUser: Record<string, string>;
  issued: string[];
  exchanges: Array<{ grant: string; claims?: Record<string, unknown> }>;
  expiresIn: number;
  handle(req: Request, tokenUri: string): Promise<Response>;
}

const decodePart = (s: string) => JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as Record<string, unknown>;

export function fakeOAuth(tokenUri: string): FakeOAuth {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const pub: KeyObject = createPublicKey(publicKey.export({ type: "spki", format: "pem" }));
  let n = 0;
  const state: FakeOAuth = {
    serviceAccount: {
      type: "service_account",
      project_id: "fake-project",
      private_key_id: "kid-1",
      private_key: pem,
      client_email: "gateway@fake-project.iam.gserviceaccount.com",
      client_id: "1234",
      token_uri: tokenUri,
    },
    authorizedUser: { type: "authorized_user", client_id: "cid", client_secret: "csecret", refresh_token: "rtoken", quota_project_id: "user-project", token_uri: tokenUri },
    issued: [],
    exchanges: [],
    expiresIn: 3600,
    async handle(req, uri) {
      const form = new URLSearchParams(await req.text());
      const deny = (why: string) => Response.json({ error: "invalid_grant", error_description: why }, { status: 400 });
      const grant = form.get("grant_type") ?? "";
      let claims: Record<string, unknown> | undefined;
      if (grant === "urn:ietf:params:oauth:grant-type:jwt-bearer") {
        const [h, c, sig] = (form.get("assertion") ?? "").split(".");
        if (!h || !c || !sig) return deny("malformed assertion");
        if (decodePart(h).alg !== "RS256") return deny("alg must be RS256");
        const ok = createVerify("RSA-SHA256").update(`${h}.${c}`).verify(pub, Buffer.from(sig, "base64url"));
        if (!ok) return deny("Invalid JWT Signature.");
        claims = decodePart(c);
        const now = Math.floor(Date.now() / 1000);
        if (claims.iss !== state.serviceAccount.client_email) return deny("bad iss");
        if (claims.aud !== uri) return deny("bad aud");
        if (claims.scope !== "https://www.googleapis.com/auth/cloud-platform") return deny("bad scope");
        if (typeof claims.exp !== "number" || claims.exp < now || typeof claims.iat !== "number" || claims.iat > now + 60) return deny("bad times");
      } else if (grant === "refresh_token") {
        if (form.get("refresh_token") !== "rtoken" || form.get("client_secret") !== "csecret") return deny("bad refresh token");
      } else return deny(`unsupported grant ${grant}`);
      const token = `ya29.fake-${++n}`;
      state.issued.push(token);
      state.exchanges.push({ grant, claims });
      return Response.json({ access_token: token, expires_in: state.expiresIn, token_type: "Bearer" });
    },
  };
  return state;
}

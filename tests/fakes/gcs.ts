/**
 * A fake Google Cloud Storage JSON API for uploads (`POST /upload/storage/v1/b/<bucket>/o?uploadType=media&name=…`)
 * plus the OAuth token endpoint (`POST /token`) that service accounts exchange a signed JWT at.
 * Uploads must carry a bearer token this fake issued. Objects are kept in memory by `bucket/name`.
 */
import { fakeOAuth, type FakeOAuth } from "./google-oauth.ts";
import { startRecorder, type Recorder } from "./http-recorder.ts";

export interface FakeGcs {
  url: string;
  oauth: FakeOAuth;
  objects: Map<string, { type: string; body: string }>;
  http: Recorder;
  /** Writes the fake's service account JSON to `path` (its token_uri is this fake). */
  serviceAccountFile(path: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startFakeGcs(): Promise<FakeGcs> {
  const objects = new Map<string, { type: string; body: string }>();
  let oauth: FakeOAuth;
  let tokenUri = "";
  const http = await startRecorder(async (r) => {
    if (r.path === "/token") return oauth.handle(new Request(tokenUri, { method: "POST", body: r.text, headers: r.headers }), tokenUri);
    const m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(r.path);
    if (r.method !== "POST" || !m || r.query.get("uploadType") !== "media" || !r.query.get("name")) return Response.json({ error: { code: 404, message: "Not Found" } }, { status: 404 });
    const token = (r.headers.authorization ?? "").replace(/^Bearer /, "");
    if (!oauth.issued.includes(token)) return Response.json({ error: { code: 401, message: "Invalid Credentials" } }, { status: 401 });
    const name = r.query.get("name")!;
    objects.set(`${decodeURIComponent(m[1]!)}/${name}`, { type: r.headers["content-type"] ?? "", body: r.text });
    return Response.json({ kind: "storage#object", bucket: decodeURIComponent(m[1]!), name, size: String(r.body.length) });
  });
  tokenUri = `${http.url}/token`;
  oauth = fakeOAuth(tokenUri);
  return {
    url: http.url,
    oauth,
    objects,
    http,
    async serviceAccountFile(path) {
      await Bun.write(path, JSON.stringify(oauth.serviceAccount));
      return path;
    },
    stop: () => http.stop(),
  };
}

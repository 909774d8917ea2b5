/**
 * A fake S3-compatible object store (path-style `/<bucket>/<key>`): PUT, GET, HEAD, DELETE and
 * multipart uploads, every request checked with SigV4 against the one key pair it knows.
 * Objects live in memory; `objects` is inspectable by tests.
 */
import { verifySigV4 } from "./aws-sigv4-verify.ts";

export interface FakeS3 {
  url: string;
  objects: Map<string, { data: Uint8Array; type: string }>;
  /** Requests refused for a bad signature. */
  rejected: string[];
  stop(): Promise<void>;
}

const xml = (body: string, status = 200) => new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`, { status, headers: { "content-type": "application/xml" } });
const s3Error = (status: number, code: string, message: string) => xml(`<Error><Code>${code}</Code><Message>${message}</Message></Error>`, status);
const etagOf = (b: Uint8Array) => `"${new Bun.CryptoHasher("md5").update(b).digest("hex")}"`;

export async function startFakeS3(opts: { bucket: string; accessKeyId: string; secretAccessKey: string }): Promise<FakeS3> {
  const objects = new Map<string, { data: Uint8Array; type: string }>();
  const uploads = new Map<string, { key: string; type: string; parts: Map<number, Uint8Array> }>();
  const rejected: string[] = [];
  const server = Bun.serve({
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const path = decodeURIComponent(url.pathname);
      const body = new Uint8Array(await req.arrayBuffer());
      const check = verifySigV4(
        { method: req.method, rawPath: path, search: url.search, headers: req.headers, body, payloadHash: req.headers.get("x-amz-content-sha256") ?? undefined },
        { [opts.accessKeyId]: opts.secretAccessKey },
        "s3",
      );
      if (!check.ok) {
        rejected.push(`${req.method} ${path}: ${check.reason}`);
        return s3Error(403, "SignatureDoesNotMatch", check.reason ?? "bad signature");
      }
      const prefix = `/${opts.bucket}/`;
      if (!path.startsWith(prefix)) return s3Error(404, "NoSuchBucket", "The specified bucket does not exist");
      const key = path.slice(prefix.length);
      const q = url.searchParams;
      if (req.method === "POST" && q.has("uploads")) {
        const id = crypto.randomUUID();
        uploads.set(id, { key, type: req.headers.get("content-type") ?? "application/octet-stream", parts: new Map() });
        return xml(`<InitiateMultipartUploadResult><Bucket>${opts.bucket}</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
      }
      const upload = q.get("uploadId");
      if (upload) {
        const u = uploads.get(upload);
        if (!u) return s3Error(404, "NoSuchUpload", "no such upload");
        if (req.method === "PUT") {
          u.parts.set(Number(q.get("partNumber")), body);
          return new Response(null, { headers: { etag: etagOf(body) } });
        }
        if (req.method === "DELETE") return uploads.delete(upload), new Response(null, { status: 204 });
        const parts = [...u.parts.entries()].sort(([a], [b]) => a - b).map(([, p]) => p);
        objects.set(u.key, { data: new Uint8Array(Buffer.concat(parts)), type: u.type });
        uploads.delete(upload);
        return xml(`<CompleteMultipartUploadResult><Bucket>${opts.bucket}</Bucket><Key>${u.key}</Key><ETag>${etagOf(objects.get(u.key)!.data)}</ETag></CompleteMultipartUploadResult>`);
      }
      if (req.method === "PUT") {
        objects.set(key, { data: body, type: req.headers.get("content-type") ?? "application/octet-stream" });
        return new Response(null, { headers: { etag: etagOf(body) } });
      }
      if (req.method === "DELETE") return objects.delete(key), new Response(null, { status: 204 });
      const obj = objects.get(key);
      if (!obj) return s3Error(404, "NoSuchKey", "The specified key does not exist.");
      const headers = { "content-type": obj.type, "content-length": String(obj.data.length), etag: etagOf(obj.data) };
      return new Response(req.method === "HEAD" ? null : (obj.data as Uint8Array<ArrayBuffer>), { headers });
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, objects, rejected, stop: async () => void (await server.stop(true)) };
}

/**
 * The Daytona toolbox file endpoints the SDK uses: multipart bulk upload, bulk download answered
 * as a multipart body (one `file` part per path, or an `error` part), plus list/info/download.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { HostedSandbox, SandboxHost } from "./sandbox-host.ts";

const notFound = (path: string) => ({ statusCode: 404, message: `file not found: ${path}`, code: "FILE_NOT_FOUND" });
const err = (status: number, message: string) => Response.json({ statusCode: status, message, error: status === 404 ? "Not Found" : "Bad Request" }, { status });

function fileInfo(p: string) {
  const st = statSync(p);
  return {
    name: basename(p),
    isDir: st.isDirectory(),
    size: st.size,
    modTime: st.mtime.toISOString(),
    mode: (st.mode & 0o777).toString(8),
    permissions: (st.mode & 0o777).toString(8),
    owner: "daytona",
    group: "daytona",
  };
}

function multipart(parts: Array<{ name: string; filename: string; type: string; body: Uint8Array }>): Response {
  const boundary = `fake-daytona-${crypto.randomUUID()}`;
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    chunks.push(enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\nContent-Length: ${p.body.length}\r\n\r\n`));
    chunks.push(p.body, enc.encode("\r\n"));
  }
  chunks.push(enc.encode(`--${boundary}--\r\n`));
  return new Response(new Blob(chunks as BlobPart[]), { headers: { "content-type": `multipart/form-data; boundary=${boundary}` } });
}

export async function filesRoute(req: Request, url: URL, sub: string, sb: HostedSandbox, host: SandboxHost): Promise<Response> {
  const q = url.searchParams.get("path") ?? "";
  if (sub === "/files/bulk-upload" && req.method === "POST") {
    const form = await req.formData();
    for (let i = 0; form.has(`files[${i}].path`); i++) {
      const dest = String(form.get(`files[${i}].path`));
      const file = form.get(`files[${i}].file`);
      if (!file || typeof file === "string") return err(400, `files[${i}].file is missing`);
      const p = host.resolve(sb, dest);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, new Uint8Array(await file.arrayBuffer()));
    }
    return new Response(null, { status: 200 });
  }
  if (sub === "/files/bulk-download" && req.method === "POST") {
    const { paths } = (await req.json()) as { paths: string[] };
    return multipart(
      paths.map((path) => {
        try {
          const p = host.resolve(sb, path);
          if (statSync(p).isDirectory()) throw new Error("is a directory");
          return { name: "file", filename: path, type: "application/octet-stream", body: new Uint8Array(readFileSync(p)) };
        } catch {
          return { name: "error", filename: path, type: "application/json", body: new TextEncoder().encode(JSON.stringify(notFound(path))) };
        }
      }),
    );
  }
  const p = host.resolve(sb, q || ".");
  try {
    if (sub === "/files" && req.method === "GET") return Response.json(readdirSync(p).map((n) => fileInfo(join(p, n))));
    if (sub === "/files/info") return Response.json(fileInfo(p));
    if (sub === "/files/download") return new Response(readFileSync(p), { headers: { "content-type": "application/octet-stream" } });
    if (sub === "/files/folder" && req.method === "POST") {
      mkdirSync(p, { recursive: true });
      return new Response(null, { status: 201 });
    }
    if (sub === "/files" && req.method === "DELETE") {
      statSync(p);
      rmSync(p, { recursive: url.searchParams.get("recursive") === "true" });
      return new Response(null, { status: 204 });
    }
  } catch {
    return err(404, `file not found: ${q}`);
  }
  return err(404, `no route ${req.method} ${sub}`);
}

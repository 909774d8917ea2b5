#!/usr/bin/env bun
/**
 * Every logging backend the gateway can ship to, answering at once with each protocol's success
 * (OTLP, Langfuse ingestion 207, S3 PUT, GCS upload, Datadog 202, webhooks, Slack), or never when
 * started with `--stall`. For the sink-overhead part of the benchmark.
 *   bun scripts/bench/sink-server.ts <port> [--stall]
 */
const port = Number(process.argv[2]);
const stall = process.argv.includes("--stall");
let received = 0;

Bun.serve({
  port,
  hostname: "127.0.0.1",
  idleTimeout: 0,
  async fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/__count") return Response.json({ received });
    await req.arrayBuffer();
    received++;
    if (stall) return new Promise<Response>(() => {});
    if (path === "/v1/traces") return new Response(new Uint8Array(0), { headers: { "content-type": "application/x-protobuf" } });
    if (path === "/api/public/ingestion") return Response.json({ successes: [], errors: [] }, { status: 207 });
    if (path === "/api/v2/logs") return new Response("{}", { status: 202 });
    if (req.method === "PUT") return new Response(null, { headers: { etag: '"0"' } });
    return new Response("ok");
  },
});
console.log(`sink server on ${port}${stall ? " (stalling)" : ""}`);

/**
 * The runtime's floor: the least a Bun reverse proxy does. `/<port>/<path>` goes to
 * http://127.0.0.1:<port>/<path>; the request body is read whole (faster than streaming it on,
 * measured), the response streams back. Run: `bun scripts/bench/bare-proxy.ts PORT`.
 */
const server = Bun.serve({
  port: Number(process.argv[2] ?? 0),
  hostname: "127.0.0.1",
  idleTimeout: 0,
  async fetch(req) {
    const url = req.url;
    const rest = url.slice(url.indexOf("/", 8) + 1);
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
    const res = await fetch(`http://127.0.0.1:${rest}`, { method: req.method, headers: req.headers, body, signal: req.signal });
    return new Response(res.body, { status: res.status, headers: res.headers });
  },
});
console.log(`bare proxy listening on ${server.url}`);

/**
 * A fake of Google's model APIs on one port:
 *   AI Studio   POST /v1beta/models/{model}:generateContent | :streamGenerateContent?alt=sse   (x-goog-api-key)
 *   Vertex      POST /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:generateContent | :streamGenerateContent
 *               POST /v1/projects/{p}/locations/{l}/publishers/anthropic/models/{m}:rawPredict | :streamRawPredict
 *   OAuth       POST /token (service-account JWT and refresh-token grants)
 * Vertex calls need a bearer token the /token endpoint issued (or `staticToken`). Claude answers
 * come from the fake LLM's Anthropic endpoint.
 */
import { forwardTo } from "./forward.ts";
import { GeminiRequestError, geminiChunks, geminiJson } from "./gemini-wire.ts";
import { fakeOAuth, type FakeOAuth } from "./google-oauth.ts";
import { startFakeLLM, type FakeLLM } from "./llm.ts";

export interface GoogleRecord {
  api: "gemini" | "vertex-gemini" | "vertex-anthropic";
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  project?: string;
  location?: string;
  model: string;
}

export interface FakeGoogle {
  url: string;
  tokenUri: string;
  oauth: FakeOAuth;
  inner: FakeLLM;
  requests: GoogleRecord[];
  stop(): Promise<void>;
}

const googleError = (status: number, code: string, message: string) => Response.json({ error: { code: status, message, status: code } }, { status });

function geminiAnswer(body: Record<string, unknown>, model: string, stream: boolean): Response {
  try {
    if (!stream) return Response.json(geminiJson(body, model));
    const text = geminiChunks(body, model).map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`).join("");
    return new Response(text, { headers: { "content-type": "text/event-stream" } });
  } catch (e) {
    if (e instanceof GeminiRequestError) return googleError(400, "INVALID_ARGUMENT", e.message);
    throw e;
  }
}

export async function startFakeGoogle(opts: { apiKey: string; staticToken?: string }): Promise<FakeGoogle> {
  const inner = await startFakeLLM();
  const requests: GoogleRecord[] = [];
  let oauth!: FakeOAuth;
  let tokenUri = "";
  const bearerOk = (req: Request) => {
    const token = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    return !!token && (oauth.issued.includes(token) || token === opts.staticToken);
  };

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/token" && req.method === "POST") return oauth.handle(req, tokenUri);
      const studio = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(url.pathname);
      const vertex = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):(\w+)$/.exec(url.pathname);
      if (!studio && !vertex) return googleError(404, "NOT_FOUND", `no route ${url.pathname}`);
      const body = (await req.json()) as Record<string, unknown>;
      const base = { path: url.pathname, query: url.search, headers: Object.fromEntries(req.headers), body };
      if (studio) {
        const model = decodeURIComponent(studio[1]!);
        requests.push({ ...base, api: "gemini", model });
        if (req.headers.get("x-goog-api-key") !== opts.apiKey) return googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.");
        const stream = studio[2] === "streamGenerateContent";
        if (stream && url.searchParams.get("alt") !== "sse") return googleError(400, "INVALID_ARGUMENT", "this fake streams only with alt=sse");
        return geminiAnswer(body, model, stream);
      }
      const [, project, location, publisher, rawModel, method] = vertex!;
      const model = decodeURIComponent(rawModel!);
      requests.push({ ...base, api: publisher === "google" ? "vertex-gemini" : "vertex-anthropic", project, location, model });
      if (!bearerOk(req)) return googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
      if (publisher === "google") {
        if (method !== "generateContent" && method !== "streamGenerateContent") return googleError(400, "INVALID_ARGUMENT", `bad method ${method}`);
        return geminiAnswer(body, model, method === "streamGenerateContent");
      }
      if (method !== "rawPredict" && method !== "streamRawPredict") return googleError(400, "INVALID_ARGUMENT", `bad method ${method}`);
      if (body.anthropic_version !== "vertex-2023-10-16") return Response.json({ type: "error", error: { type: "invalid_request_error", message: "anthropic_version: vertex-2023-10-16 required" } }, { status: 400 });
      if ("model" in body) return Response.json({ type: "error", error: { type: "invalid_request_error", message: "model: Extra inputs are not permitted" } }, { status: 400 });
      const { anthropic_version: _v, ...messages } = body;
      const answer = await forwardTo(inner, "/v1/messages", { ...messages, model }, { "anthropic-version": "2023-06-01" });
      return new Response(answer.body, { status: answer.status, headers: { "content-type": answer.headers.get("content-type") ?? "application/json" } });
    },
  });
  const url = `http://127.0.0.1:${server.port}`;
  tokenUri = `${url}/token`;
  oauth = fakeOAuth(tokenUri);
  return {
    url,
    tokenUri,
    oauth,
    inner,
    requests,
    async stop() {
      await server.stop(true);
      await inner.stop();
    },
  };
}

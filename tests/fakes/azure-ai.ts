/**
 * A fake Azure AI Foundry inference endpoint: `POST /models/chat/completions?api-version=…` and
 * `/models/embeddings` (the Azure AI Model Inference API, OpenAI-shaped), authenticated by the
 * `api-key` header; `/anthropic/v1/messages` for Claude deployments. Answers come from the fake LLM.
 */
import { forwardTo } from "./forward.ts";
import { startFakeLLM, type FakeLLM } from "./llm.ts";

export interface AzureAIRecord {
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export interface FakeAzureAI {
  url: string;
  inner: FakeLLM;
  requests: AzureAIRecord[];
  stop(): Promise<void>;
}

const azureError = (status: number, code: string, message: string) => Response.json({ error: { code, message, status } }, { status });

export async function startFakeAzureAI(opts: { apiKey: string; apiVersion: string }): Promise<FakeAzureAI> {
  const inner = await startFakeLLM();
  const requests: AzureAIRecord[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const body = (await req.json()) as Record<string, unknown>;
      requests.push({ path: url.pathname, query: url.search, headers: Object.fromEntries(req.headers), body });
      if (url.pathname === "/anthropic/v1/messages") {
        if (req.headers.get("x-api-key") !== opts.apiKey) return Response.json({ type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } }, { status: 401 });
        const answer = await forwardTo(inner, "/v1/messages", body, { "anthropic-version": req.headers.get("anthropic-version") ?? "" });
        return new Response(answer.body, { status: answer.status, headers: { "content-type": answer.headers.get("content-type") ?? "application/json" } });
      }
      const m = /^\/models\/(chat\/completions|embeddings)$/.exec(url.pathname);
      if (!m) return azureError(404, "NotFound", `no route ${url.pathname}`);
      if (req.headers.get("api-key") !== opts.apiKey) return azureError(401, "Unauthorized", "Access denied due to invalid subscription key or wrong API endpoint.");
      if (url.searchParams.get("api-version") !== opts.apiVersion) return azureError(404, "NotFound", "Resource not found (api-version)");
      if (typeof body.model !== "string" || !body.model) return azureError(400, "unknown_model", "model is required for the models endpoint");
      const answer = await forwardTo(inner, `/v1/${m[1]}`, body);
      return new Response(answer.body, { status: answer.status, headers: { "content-type": answer.headers.get("content-type") ?? "application/json" } });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    inner,
    requests,
    async stop() {
      await server.stop(true);
      await inner.stop();
    },
  };
}

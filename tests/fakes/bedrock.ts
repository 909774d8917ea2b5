/**
 * A fake Amazon Bedrock runtime: `POST /model/{id}/invoke` and `/invoke-with-response-stream`
 * for Anthropic models, `/converse` and `/converse-stream` for any model; streams are AWS
 * event-stream binary frames. Every request must carry a
 * valid SigV4 signature (service "bedrock") for a known key; Claude's answers come from the fake LLM.
 */
import { eventFrame, exceptionFrame } from "./aws-event-stream.ts";
import { verifySigV4 } from "./aws-sigv4-verify.ts";
import { ConverseValidationError, converseFrames, converseJson } from "./bedrock-converse.ts";
import { forwardTo, sseEvents } from "./forward.ts";
import { startFakeLLM, type FakeLLM } from "./llm.ts";

export const BEDROCK_BETAS = ["interleaved-thinking-2025-05-14", "context-1m-2025-08-07", "token-efficient-tools-2025-02-19", "context-management-2025-06-27", "effort-2025-11-24", "tool-search-tool-2025-10-19", "output-128k-2025-02-19", "computer-use-2025-01-24", "computer-use-2024-10-22", "dev-full-thinking-2025-05-14", "tool-examples-2025-10-29"];

export interface BedrockRecord {
  path: string;
  modelId: string;
  operation: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  signedBy?: string;
  sessionToken?: string;
}

export interface FakeBedrock {
  url: string;
  inner: FakeLLM;
  requests: BedrockRecord[];
  /** Send an exception frame instead of the next stream (throttlingException, ...). */
  failNextStream(exceptionType: string): void;
  stop(): Promise<void>;
}

const json = (status: number, body: unknown) => Response.json(body, { status, headers: { "x-amzn-errortype": status === 403 ? "InvalidSignatureException" : "ValidationException" } });

function converse(body: Record<string, unknown>, stream: boolean): Response {
  try {
    if (!stream) return Response.json(converseJson(body));
    const frames = converseFrames(body);
    return new Response(new Blob(frames), { headers: { "content-type": "application/vnd.amazon.eventstream" } });
  } catch (e) {
    if (e instanceof ConverseValidationError) return json(400, { message: e.message });
    throw e;
  }
}

/**
 * `keys`: access key id → secret, read per request (a fake STS may add the keys it issues).
 * `sessionTokens`: access key id → the session token a request signed with it must carry.
 */
export async function startFakeBedrock(opts: { keys: Record<string, string>; sessionTokens?: Record<string, string> }): Promise<FakeBedrock> {
  const inner = await startFakeLLM();
  const requests: BedrockRecord[] = [];
  let streamFailure: string | undefined;

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const m = /^\/model\/([^/]+)\/(invoke|invoke-with-response-stream|converse|converse-stream)$/.exec(url.pathname);
      if (!m || req.method !== "POST") return json(404, { message: `no route ${url.pathname}` });
      const raw = new Uint8Array(await req.arrayBuffer());
      const auth = verifySigV4({ method: req.method, rawPath: url.pathname, search: url.search, headers: req.headers, body: raw }, opts.keys, "bedrock");
      if (!auth.ok) return json(403, { message: `The request signature we calculated does not match the signature you provided (${auth.reason})` });
      const wantToken = opts.sessionTokens?.[auth.accessKeyId!];
      if (wantToken !== undefined && auth.sessionToken !== wantToken) return json(403, { message: "The security token included in the request is invalid." });
      const body = JSON.parse(new TextDecoder().decode(raw)) as Record<string, unknown>;
      const modelId = decodeURIComponent(m[1]!);
      requests.push({ path: url.pathname, modelId, operation: m[2]!, headers: Object.fromEntries(req.headers), body, signedBy: auth.accessKeyId, sessionToken: auth.sessionToken });
      if (m[2]!.startsWith("converse")) return converse(body, m[2] === "converse-stream");
      if (body.anthropic_version !== "bedrock-2023-05-31") return json(400, { message: "anthropic_version: must be bedrock-2023-05-31" });
      for (const k of ["model", "stream"]) if (k in body) return json(400, { message: `#: extraneous key [${k}] is not permitted` });
      const betas = (body.anthropic_beta ?? []) as string[];
      if (betas.some((b) => !BEDROCK_BETAS.includes(b))) return json(400, { message: "invalid beta flag" });
      const { anthropic_version: _v, anthropic_beta: _b, ...messages } = body;
      const stream = m[2] === "invoke-with-response-stream";
      const answer = await forwardTo(inner, "/v1/messages", { ...messages, model: modelId, stream });
      if (!stream) return new Response(await answer.text(), { status: answer.status, headers: { "content-type": "application/json" } });
      const failure = streamFailure;
      streamFailure = undefined;
      const frames = new ReadableStream<Uint8Array>({
        async start(controller) {
          if (failure) {
            controller.enqueue(exceptionFrame(failure, "Too many requests, please wait before trying again."));
            controller.close();
            return;
          }
          for await (const e of sseEvents(answer)) {
            const ev = JSON.parse(e.data) as Record<string, unknown>;
            if (ev.type === "message_stop") ev["amazon-bedrock-invocationMetrics"] = { inputTokenCount: 10, outputTokenCount: 12, invocationLatency: 5, firstByteLatency: 1 };
            const frame = eventFrame("chunk", { bytes: Buffer.from(JSON.stringify(ev)).toString("base64"), p: "abcdefgh" });
            // Split frames across chunks so the decoder has to join them.
            const cut = Math.floor(frame.length / 2);
            controller.enqueue(frame.subarray(0, cut));
            controller.enqueue(frame.subarray(cut));
          }
          controller.close();
        },
      });
      return new Response(frames, { headers: { "content-type": "application/vnd.amazon.eventstream", "x-amzn-bedrock-content-type": "application/json" } });
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    inner,
    requests,
    failNextStream: (t) => (streamFailure = t),
    async stop() {
      await server.stop(true);
      await inner.stop();
    },
  };
}

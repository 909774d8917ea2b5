/**
 * An HTTP endpoint that records what it receives, for the logging-backend fakes (generic webhook,
 * Slack, Datadog, Langfuse, GCS, OTLP). `mode` makes it fail or stall, to show the gateway does not
 * wait for its logging backends. Bodies sent with `Content-Encoding: gzip` are stored decompressed.
 */
import { gunzipSync } from "node:zlib";

export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  /** The body as sent on the wire (before gunzip). */
  raw: Uint8Array;
  body: Uint8Array;
  text: string;
  at: number;
}

export interface RecorderMode {
  /** Answer this status instead of the protocol's success. */
  status?: number;
  /** Wait this long before answering. */
  delayMs?: number;
}

export interface Recorder {
  url: string;
  received: Received[];
  /** Requests that reached the endpoint, including ones still held by `mode.delayMs`. */
  arrivals: number;
  mode: RecorderMode;
  /** Resolves with the requests seen once `pick` returns a non-empty list, or rejects after `timeoutMs`. */
  waitFor<T>(pick: (received: Received[]) => T[], timeoutMs?: number, what?: string): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startRecorder(answer: (r: Received) => Response | Promise<Response>): Promise<Recorder> {
  const received: Received[] = [];
  const mode: RecorderMode = {};
  let arrivals = 0;
  const server = Bun.serve({
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      arrivals++;
      const url = new URL(req.url);
      const raw = new Uint8Array(await req.arrayBuffer());
      const body = req.headers.get("content-encoding") === "gzip" ? new Uint8Array(gunzipSync(raw)) : raw;
      const r: Received = {
        method: req.method,
        path: url.pathname,
        query: url.searchParams,
        headers: Object.fromEntries(req.headers),
        raw,
        body,
        text: new TextDecoder().decode(body),
        at: Date.now(),
      };
      if (mode.delayMs) await Bun.sleep(mode.delayMs);
      if (mode.status) return new Response(JSON.stringify({ error: "configured failure" }), { status: mode.status });
      received.push(r);
      return answer(r);
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    received,
    get arrivals() {
      return arrivals;
    },
    mode,
    async waitFor<T>(pick: (received: Received[]) => T[], timeoutMs = 10_000, what = "requests"): Promise<T[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = pick(received);
        if (got.length) return got;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; ${received.length} requests received`);
        await Bun.sleep(25);
      }
    },
    stop: async () => void (await server.stop(true)),
  };
}

/** A generic JSON webhook (LiteLLM's generic_api callback target): answers 200 to every POST. */
export function startWebhook(): Promise<Recorder> {
  return startRecorder(() => new Response(JSON.stringify({ ok: true }), { headers: { "content-type": "application/json" } }));
}

/** A Slack incoming webhook: takes `{"text": ...}` and answers `ok` as Slack does. */
export function startSlackWebhook(): Promise<Recorder> {
  return startRecorder((r) => {
    try {
      if (typeof (JSON.parse(r.text) as { text?: unknown }).text !== "string") return new Response("invalid_payload", { status: 400 });
    } catch {
      return new Response("invalid_payload", { status: 400 });
    }
    return new Response("ok");
  });
}

import type { GatewayProcess } from "./gateway.ts";

export interface SseEvent {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** Reads `/api/runs/{id}/events` until the stream ends (the run finished) or `timeoutMs`. */
export async function readRunEvents(g: GatewayProcess, key: string, runId: string, opts: { lastEventId?: number; timeoutMs?: number; stopAfter?: number } = {}): Promise<SseEvent[]> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), opts.timeoutMs ?? 60_000);
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (opts.lastEventId !== undefined) headers["last-event-id"] = String(opts.lastEventId);
  const res = await fetch(`${g.url}/api/runs/${runId}/events`, { headers, signal: ctrl.signal });
  if (res.status !== 200) throw new Error(`events: ${res.status} ${await res.text()}`);
  const out: SseEvent[] = [];
  let buf = "";
  const dec = new TextDecoder();
  try {
    for await (const chunk of res.body!) {
      buf += dec.decode(chunk as Uint8Array);
      let sep = buf.indexOf("\n\n");
      while (sep >= 0) {
        const frame = buf.slice(0, sep);
        buf = buf.slice(sep + 2);
        sep = buf.indexOf("\n\n");
        const id = /^id: (\d+)$/m.exec(frame)?.[1];
        const event = /^event: (.+)$/m.exec(frame)?.[1];
        const data = /^data: (.+)$/m.exec(frame)?.[1];
        if (id && event && data) out.push({ id: Number(id), event, data: JSON.parse(data) as Record<string, unknown> });
        if (opts.stopAfter && out.length >= opts.stopAfter) return out;
      }
    }
  } catch (e) {
    if (!ctrl.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  return out;
}

export async function api(g: GatewayProcess, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${g.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function waitForRun(g: GatewayProcess, key: string, runId: string, states: string[], timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await api(g, key, "GET", `/api/runs/${runId}`);
    if (states.includes(String(r.body.status))) return r.body;
    if (Date.now() > end) throw new Error(`run ${runId} still ${r.body.status}`);
    await Bun.sleep(100);
  }
}

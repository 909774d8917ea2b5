/**
 * A fake Datadog logs intake (`POST /api/v2/logs`): checks `DD-API-KEY`, takes a JSON array of
 * log entries (gzip'd when `Content-Encoding: gzip`) and answers 202 as Datadog does.
 */
import { startRecorder, type Recorder } from "./http-recorder.ts";

export interface DatadogLog {
  ddsource: string;
  ddtags: string;
  hostname: string;
  message: string;
  service: string;
  status: string;
}

export interface FakeDatadog {
  url: string;
  logs: DatadogLog[];
  http: Recorder;
  waitFor(pick: (logs: DatadogLog[]) => DatadogLog[], timeoutMs?: number): Promise<DatadogLog[]>;
  stop(): Promise<void>;
}

export async function startFakeDatadog(apiKey: string): Promise<FakeDatadog> {
  const logs: DatadogLog[] = [];
  const http = await startRecorder((r) => {
    if (r.method !== "POST" || r.path !== "/api/v2/logs") return new Response("not found", { status: 404 });
    if (r.headers["dd-api-key"] !== apiKey) return Response.json({ errors: ["Forbidden"] }, { status: 403 });
    const entries = JSON.parse(r.text) as DatadogLog[];
    if (!Array.isArray(entries) || entries.length > 1000) return Response.json({ errors: ["Bad Request"] }, { status: 400 });
    logs.push(...entries);
    return new Response("{}", { status: 202 });
  });
  return { url: http.url, logs, http, waitFor: (pick, t = 10_000) => http.waitFor(() => pick(logs), t, "datadog logs"), stop: () => http.stop() };
}

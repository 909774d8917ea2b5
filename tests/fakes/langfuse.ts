/**
 * A fake Langfuse server: the ingestion batch API (`POST /api/public/ingestion`) with Basic auth
 * per project (public key : secret key). Like Langfuse, it answers 207 with per-event successes and
 * errors, validating the event envelope (id, type, timestamp, body) and the body ids.
 */
import { startRecorder, type Recorder } from "./http-recorder.ts";

export interface IngestedEvent {
  project: string;
  id: string;
  type: string;
  timestamp: string;
  body: Record<string, unknown>;
}

export interface FakeLangfuse {
  url: string;
  events: IngestedEvent[];
  http: Recorder;
  /** Events of one type (`trace-create`, `generation-create`), optionally of one project (public key). */
  of(type: string, project?: string): IngestedEvent[];
  waitFor(pick: (events: IngestedEvent[]) => IngestedEvent[], timeoutMs?: number): Promise<IngestedEvent[]>;
  stop(): Promise<void>;
}

export async function startFakeLangfuse(projects: Record<string, string>): Promise<FakeLangfuse> {
  const events: IngestedEvent[] = [];
  const http = await startRecorder((r) => {
    if (r.method !== "POST" || r.path !== "/api/public/ingestion") return new Response("not found", { status: 404 });
    const auth = r.headers.authorization ?? "";
    const [pk, sk] = Buffer.from(auth.replace(/^Basic /, ""), "base64").toString().split(":");
    if (!pk || projects[pk] !== sk) return Response.json({ message: "Invalid credentials" }, { status: 401 });
    const body = JSON.parse(r.text) as { batch?: unknown[] };
    if (!Array.isArray(body.batch)) return Response.json({ message: "Invalid request data" }, { status: 400 });
    const successes: unknown[] = [];
    const errors: unknown[] = [];
    for (const e of body.batch as Array<Record<string, unknown>>) {
      const b = e.body as Record<string, unknown> | undefined;
      if (typeof e.id !== "string" || typeof e.type !== "string" || typeof e.timestamp !== "string" || !b || (e.type.endsWith("-create") && typeof b.id !== "string")) {
        errors.push({ id: e.id ?? "", status: 400, message: "Invalid event" });
        continue;
      }
      events.push({ project: pk, id: e.id, type: e.type, timestamp: e.timestamp, body: b });
      successes.push({ id: e.id, status: 201 });
    }
    return Response.json({ successes, errors }, { status: 207 });
  });
  return {
    url: http.url,
    events,
    http,
    of: (type, project) => events.filter((e) => e.type === type && (!project || e.project === project)),
    waitFor: (pick, timeoutMs = 10_000) => http.waitFor(() => pick(events), timeoutMs, "langfuse events"),
    stop: () => http.stop(),
  };
}

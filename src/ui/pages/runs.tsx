/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import { ApiError, withQuery, type GatewayApi } from "../api.ts";
import { Action, Badge, Empty, Failure, Select, When } from "../components.tsx";
import type { UiContext, UiModule } from "../context.ts";
import { count, durationText, isoOf, money, num, obj, str, type Row } from "../format.ts";
import { html, mutate } from "../guard.tsx";
import { Page } from "../layout.tsx";
import { AdminOnly } from "./agents.tsx";

const TERMINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);
const STATES = ["queued", "provisioning", "running", "succeeded", "failed", "cancelled", "timed_out"];

const statusKind = (s: string) => (s === "succeeded" ? "ok" : TERMINAL.has(s) ? "bad" : "warn");

function runDuration(r: Row): string {
  const start = isoOf(r.started_at);
  if (!start) return "–";
  const end = isoOf(r.ended_at);
  return durationText((end ? Date.parse(end) : Date.now()) - Date.parse(start));
}

const RunTable: FC<{ runs: Row[] }> = ({ runs }) => (
  <div class="table-wrap">
    <table class="stack" data-testid="runs-table">
      <thead>
        <tr>
          <th>Run</th>
          <th>Agent</th>
          <th>Status</th>
          <th>Trigger</th>
          <th>Created</th>
          <th class="num">Duration</th>
          <th class="num">Cost</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => {
          const s = String(r.status);
          return (
            <tr>
              <td data-label="Run">
                <a class="mono" href={`/ui/runs/${encodeURIComponent(String(r.run_id))}`}>
                  {String(r.run_id).slice(0, 8)}
                </a>
              </td>
              <td data-label="Agent">{String(r.agent_id)}</td>
              <td data-label="Status">
                <Badge kind={statusKind(s)}>{s}</Badge>
              </td>
              <td data-label="Trigger">{String(r.trigger)}</td>
              <td data-label="Created">
                <When at={r.created_at} />
              </td>
              <td data-label="Duration" class="num">
                {runDuration(r)}
              </td>
              <td data-label="Cost" class="num">
                {num(r.total_cost_usd) === undefined ? "–" : money(r.total_cost_usd)}
                <div class="muted small">gateway {money(r.gateway_spend ?? 0)}</div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </div>
);

interface Artifact {
  path: string;
  size?: number;
  type?: string;
}

/** The run's artifacts, or `undefined` when the artifacts API is not there (404): then the section is hidden. */
async function artifactsOf(api: GatewayApi, runId: string): Promise<Artifact[] | Error | undefined> {
  const res = await api.fetch(`/api/runs/${encodeURIComponent(runId)}/artifacts`);
  if (res.status === 404) return undefined;
  if (!res.ok) return new Error(`artifacts: HTTP ${res.status}`);
  const body = (await res.json().catch(() => ({}))) as unknown;
  const list = Array.isArray(body) ? body : (obj(body).data ?? obj(body).artifacts);
  return (Array.isArray(list) ? list : []).map((a) => {
    const o = obj(a);
    return { path: String(o.path ?? o.name ?? ""), size: num(o.size ?? o.size_bytes), type: str(o.content_type ?? o.type) };
  });
}

const encodePath = (p: string) => p.split("/").map(encodeURIComponent).join("/");

const RunDetail: FC<{ r: Row; csrf: string; artifacts: Artifact[] | Error | undefined }> = ({ r, csrf, artifacts }) => {
  const id = String(r.run_id);
  const s = String(r.status);
  const live = !TERMINAL.has(s);
  return (
    <div>
      <div class="grid">
        <section class="panel">
          <h2>
            Run <span class="mono small">{id}</span>
          </h2>
          <dl class="kv">
            <dt>Status</dt>
            <dd>
              <Badge kind={statusKind(s)} id="run-status">
                {s}
              </Badge>
            </dd>
            <dt>Agent</dt>
            <dd>
              <a href={`/ui/runs?agent=${encodeURIComponent(String(r.agent_id))}`}>{String(r.agent_id)}</a> · {String(r.trigger)}
            </dd>
            <dt>Created</dt>
            <dd>
              <When at={r.created_at} />
            </dd>
            <dt>Duration</dt>
            <dd>{runDuration(r)}</dd>
            <dt>Cost</dt>
            <dd data-testid="run-cost">
              {num(r.total_cost_usd) === undefined ? "–" : money(r.total_cost_usd)} reported by Claude Code · {money(r.gateway_spend ?? 0)} metered by the gateway
            </dd>
            <dt>Turns</dt>
            <dd>{r.num_turns == null ? "–" : count(r.num_turns)}</dd>
            <dt>Sandbox</dt>
            <dd>{str(r.sandbox_provider) ? `${String(r.sandbox_provider)} ${str(r.sandbox_id) ?? ""}` : "–"}</dd>
            <dt>Exit code</dt>
            <dd>{r.exit_code == null ? "–" : String(r.exit_code)}</dd>
            {str(r.error) && (
              <>
                <dt>Error</dt>
                <dd class="mono">{String(r.error)}</dd>
              </>
            )}
          </dl>
          {live && (
            <div class="form-row">
              <Action action={`/ui/runs/${encodeURIComponent(id)}/cancel`} csrf={csrf} label="Cancel run" danger confirm="Cancel this run and kill its sandbox?" />
            </div>
          )}
        </section>
        <section class="panel">
          <h2>Prompt</h2>
          <pre class="block">{String(r.prompt ?? "")}</pre>
          {str(r.result) && (
            <>
              <h3>Result</h3>
              <pre class="block" data-testid="run-result">
                {String(r.result)}
              </pre>
            </>
          )}
        </section>
      </div>
      <section class="panel" aria-labelledby="h-output">
        <h2 id="h-output">Output {live && <span class="muted small">live</span>}</h2>
        <div id="run-log" class="log" role="log" aria-live="polite" tabindex={0} data-events={`/ui/runs/${encodeURIComponent(id)}/events`} data-live={live ? "1" : "0"} data-testid="run-log">
          <div class="ev t-dim placeholder">Waiting for output… (needs JavaScript)</div>
        </div>
      </section>
      {artifacts !== undefined && (
        <section class="panel" data-testid="artifacts">
          <h2>Artifacts</h2>
          {artifacts instanceof Error ? (
            <div class="notice error">{artifacts.message}</div>
          ) : artifacts.length ? (
            <ul>
              {artifacts.map((a) => (
                <li>
                  <a href={`/ui/runs/${encodeURIComponent(id)}/artifacts/${encodePath(a.path)}`} download>
                    {a.path}
                  </a>
                  {a.size !== undefined && <span class="muted small"> {count(a.size)} bytes</span>}
                </li>
              ))}
            </ul>
          ) : (
            <Empty title={live ? "Artifacts are saved when the run ends" : "This run left no artifacts"} />
          )}
        </section>
      )}
    </div>
  );
};

const END_FRAME = new TextEncoder().encode("event: stream.end\ndata: {}\n\n");

/** `/ui/runs`, a run's page, its live events (the agent API's SSE, with an end marker), artifacts and cancel. */
export function registerRuns({ ui }: UiModule): void {
  ui.get("/runs", async (c: UiContext) => {
    const v = c.get("viewer");
    const agent = c.req.query("agent") || undefined;
    const status = c.req.query("status") || undefined;
    let body;
    let active = false;
    if (!v.admin) body = <AdminOnly what="Agent runs" />;
    else {
      try {
        const { data } = await v.api.get<{ data: Row[] }>(withQuery("/api/runs", { limit: 100, agent_id: agent, status }));
        active = data.some((r) => !TERMINAL.has(String(r.status)));
        body = (
          <section class="panel" data-refresh={active ? "5" : undefined}>
            <form method="get" action="/ui/runs" class="toolbar">
              <input type="hidden" name="agent" value={agent ?? ""} />
              <Select label="Status" name="status" value={status} options={[["", "Any"], ...STATES.map((s): [string, string] => [s, s])]} />
              <div>
                <button type="submit">Filter</button>
              </div>
            </form>
            {agent && (
              <p class="small">
                Runs of <strong>{agent}</strong> · <a href="/ui/runs">all agents</a>
              </p>
            )}
            {data.length ? <RunTable runs={data} /> : <Empty title="No runs yet">Trigger one from the Agents page, by cron, or through a webhook.</Empty>}
          </section>
        );
      } catch (e) {
        body = e instanceof ApiError && e.status === 404 ? <Empty title="No agents configured">Runs appear once config.yaml has agents.</Empty> : <Failure error={e} what="Runs" />;
      }
    }
    return html(
      c,
      <Page title="Runs" viewer={v} active="runs" flash={c.get("flash")}>
        {body}
      </Page>,
    );
  });

  ui.get("/runs/:id", async (c: UiContext) => {
    const v = c.get("viewer");
    const id = c.req.param("id") ?? "";
    let body;
    if (!v.admin) body = <AdminOnly what="Agent runs" />;
    else {
      try {
        const run = await v.api.get<Row>(`/api/runs/${encodeURIComponent(id)}`);
        body = <RunDetail r={run} csrf={v.csrf} artifacts={await artifactsOf(v.api, id)} />;
      } catch (e) {
        body = <Failure error={e} what="Run" />;
      }
    }
    return html(
      c,
      <Page title="Run" viewer={v} active="runs" flash={c.get("flash")}>
        <p>
          <a href="/ui/runs">← All runs</a>
        </p>
        {body}
      </Page>,
    );
  });

  ui.get("/runs/:id/events", async (c: UiContext) => {
    const v = c.get("viewer");
    const headers: Record<string, string> = {};
    const last = c.req.header("last-event-id");
    if (last) headers["last-event-id"] = last;
    const res = await v.api.fetch(`/api/runs/${encodeURIComponent(c.req.param("id") ?? "")}/events`, { headers, signal: c.req.raw.signal });
    if (!res.ok || !res.body) return new Response(await res.text(), { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/json" } });
    const withEnd = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        flush(ctrl) {
          ctrl.enqueue(END_FRAME);
        },
      }),
    );
    return new Response(withEnd, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" } });
  });

  ui.get("/runs/:id/artifacts/*", async (c: UiContext) => {
    const v = c.get("viewer");
    const id = c.req.param("id") ?? "";
    const prefix = `/ui/runs/${encodeURIComponent(id)}/artifacts/`;
    const rest = c.req.path.startsWith(prefix) ? c.req.path.slice(prefix.length) : "";
    const res = await v.api.fetch(`/api/runs/${encodeURIComponent(id)}/artifacts/${rest}`, { signal: c.req.raw.signal });
    const name = decodeURIComponent(rest.split("/").pop() ?? "artifact").replace(/["\r\n]/g, "");
    const headers = new Headers({ "content-type": res.ok ? (res.headers.get("content-type") ?? "application/octet-stream") : "text/plain; charset=utf-8" });
    const len = res.headers.get("content-length");
    if (len) headers.set("content-length", len);
    // Served from the UI's origin: always a download, never rendered, so an artifact cannot script the UI.
    if (res.ok) headers.set("content-disposition", `attachment; filename="${name}"`);
    headers.set("content-security-policy", "default-src 'none'; sandbox");
    return new Response(res.body, { status: res.status, headers });
  });

  ui.post("/runs/:id/cancel", (c: UiContext) => {
    const id = c.req.param("id") ?? "";
    return mutate(c, `/ui/runs/${encodeURIComponent(id)}`, async () => {
      await c.get("viewer").api.post(`/api/runs/${encodeURIComponent(id)}/cancel`);
      return "Run cancelled";
    });
  });
}

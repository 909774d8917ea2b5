/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import { ApiError } from "../api.ts";
import { Empty, Failure, When } from "../components.tsx";
import { field, type UiContext, type UiModule, type Viewer } from "../context.ts";
import { durationText, money, num, obj, str, type Row } from "../format.ts";
import { html, mutate } from "../guard.tsx";
import { Csrf, Page } from "../layout.tsx";

export const AdminOnly: FC<{ what: string }> = ({ what }) => (
  <div class="notice warn" role="status">
    {what} are for proxy admins: log in with the master key or a key of a <code>proxy_admin</code> user.
  </div>
);

const NoAgents = () => (
  <Empty title="No agents configured">
    <p>
      Add an <code>agents:</code> list to config.yaml, for example:
    </p>
    <pre class="block">{`agents:\n  - name: Nightly triage\n    model: claude-sonnet\n    prompt: Triage the open issues\n    schedule: "0 3 * * *"`}</pre>
  </Empty>
);

const AgentRow: FC<{ a: Row; v: Viewer }> = ({ a, v }) => {
  const id = String(a.id);
  const schedule = obj(a.schedule);
  return (
    <tr>
      <td data-label="Agent">
        <strong>{str(a.name) ?? id}</strong>
        <div class="muted small mono">{id}</div>
        {str(a.description) && <div class="small">{String(a.description)}</div>}
      </td>
      <td data-label="Model">{str(a.model) ?? "–"}</td>
      <td data-label="Sandbox">{str(a.sandbox) ?? "–"}</td>
      <td data-label="Schedule">
        {str(schedule.cron) ? (
          <>
            <span class="mono">{String(schedule.cron)}</span>
            {str(schedule.timezone) && <span class="muted small"> {String(schedule.timezone)}</span>}
            <div class="small">
              next <When at={a.next_run_at} />
            </div>
          </>
        ) : (
          <span class="muted">manual{a.webhook === true ? " + webhook" : ""}</span>
        )}
      </td>
      <td data-label="Limits" class="small">
        {durationText((num(a.timeout) ?? 0) * 1000)} timeout
        {num(a.max_budget) !== undefined && <div>budget {money(a.max_budget)}</div>}
        {num(a.max_turns) !== undefined && <div>{String(a.max_turns)} turns</div>}
        <div>{String(a.max_concurrency ?? 1)} at a time</div>
      </td>
      <td data-label="Run">
        <form method="post" action={`/ui/agents/${encodeURIComponent(id)}/run`} data-testid={`run-${id}`}>
          <Csrf token={v.csrf} />
          <label for={`prompt-${id}`}>Prompt (empty: the configured one)</label>
          <textarea id={`prompt-${id}`} name="prompt" rows={2}></textarea>
          <div class="actions">
            <button type="submit" class="primary small">
              Run now
            </button>
            <a class="button small" href={`/ui/runs?agent=${encodeURIComponent(id)}`}>
              Runs
            </a>
          </div>
        </form>
      </td>
    </tr>
  );
};

/** `/ui/agents`: the configured agents, their next cron fire, and a form to trigger a run. */
export function registerAgents({ ui }: UiModule): void {
  ui.get("/agents", async (c: UiContext) => {
    const v = c.get("viewer");
    let body;
    if (!v.admin) body = <AdminOnly what="Agents" />;
    else {
      try {
        const { data } = await v.api.get<{ data: Row[] }>("/api/agents");
        body = data.length ? (
          <section class="panel">
            <div class="table-wrap">
              <table class="stack" data-testid="agents-table">
                <thead>
                  <tr>
                    <th>Agent</th>
                    <th>Model</th>
                    <th>Sandbox</th>
                    <th>Schedule</th>
                    <th>Limits</th>
                    <th>Run</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((a) => (
                    <AgentRow a={a} v={v} />
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        ) : (
          <NoAgents />
        );
      } catch (e) {
        body = e instanceof ApiError && e.status === 404 ? <NoAgents /> : <Failure error={e} what="Agents" />;
      }
    }
    return html(
      c,
      <Page title="Agents" viewer={v} active="agents" flash={c.get("flash")}>
        {body}
      </Page>,
    );
  });

  ui.post("/agents/:id/run", async (c: UiContext) => {
    const id = c.req.param("id") ?? "";
    let runId: string | undefined;
    const res = await mutate(c, "/ui/agents", async () => {
      const prompt = field(c.get("form"), "prompt");
      const r = await c.get("viewer").api.post<{ run_id: string }>(`/api/agents/${encodeURIComponent(id)}/run`, prompt ? { prompt } : {});
      runId = r.run_id;
      return `Run of ${id} started`;
    });
    return runId ? c.redirect(`/ui/runs/${encodeURIComponent(runId)}`, 303) : res;
  });
}

/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import { withQuery } from "../api.ts";
import { Badge, Empty, Failure, Field, Pager, Select, When } from "../components.tsx";
import { field, numberField, type Form, type UiContext, type UiModule } from "../context.ts";
import { count, durationText, money, num, obj, str, strs, type Row } from "../format.ts";
import { percent } from "../../spend/figures.ts";
import { html } from "../guard.tsx";
import { Page } from "../layout.tsx";
import { keyLabel } from "./overview.tsx";

const PAGE_SIZE = 50;

/** Per-session limits of a key or team (its `metadata.max_session_budget` / `max_session_duration`). */
export const SessionLimitFields: FC<{ row?: Row }> = ({ row }) => {
  const meta = obj(row?.metadata);
  return (
    <>
      <Field label="Max spend per session (USD)" name="max_session_budget" type="number" step="any" min="0" value={num(meta.max_session_budget)} hint="Per Claude Code or Codex session" />
      <Field label="Max session length" name="max_session_duration" value={str(meta.max_session_duration)} placeholder="8h" hint="e.g. 30m, 8h, 1d" />
    </>
  );
};

/** The form's session limits as metadata; on an update an emptied field clears its limit. */
export function sessionLimitsBody(form: Form, update: boolean): Row {
  const budget = numberField(form, "max_session_budget");
  const duration = field(form, "max_session_duration");
  if (!update && budget === undefined && duration === undefined) return {};
  return { metadata: { max_session_budget: budget ?? null, max_session_duration: duration ?? null } };
}
const CLIENTS: Array<[string, string]> = [
  ["", "Any"],
  ["claude-code", "Claude Code"],
  ["codex", "Codex"],
  ["sdk", "SDK"],
  ["other", "Other"],
];
const clientLabel = (r: Row) => {
  const name = CLIENTS.find(([k]) => k === r.client)?.[1] ?? String(r.client ?? "other");
  return str(r.client_version) ? `${name} ${String(r.client_version)}` : name;
};
const hitRate = (v: unknown) => (num(v) === undefined ? "–" : percent(num(v)!));
const FILTERS = ["client", "key", "user", "team", "model", "active"] as const;
type Filter = Partial<Record<(typeof FILTERS)[number], string>>;

function filterOf(c: UiContext): Filter {
  const f: Filter = {};
  for (const k of FILTERS) f[k] = c.req.query(k) || undefined;
  return f;
}

const Tokens: FC<{ r: Row }> = ({ r }) => (
  <>
    {count(r.input_tokens)} / {count(r.output_tokens)}
    <div class="muted small">
      cache {count(r.cache_read_tokens)} read · {count(r.cache_creation_tokens)} written
    </div>
  </>
);

const SessionTable: FC<{ rows: Row[] }> = ({ rows }) => (
  <div class="table-wrap">
    <table class="stack" data-testid="sessions-table">
      <thead>
        <tr>
          <th>Session</th>
          <th>Client</th>
          <th>Key / user</th>
          <th class="num">Calls</th>
          <th class="num">Tokens in / out</th>
          <th class="num">Cache hits</th>
          <th class="num">Spend</th>
          <th>Models</th>
          <th>Last call</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr data-session-id={String(r.session_id)}>
            <td data-label="Session">
              <a class="mono" href={`/ui/sessions/${encodeURIComponent(String(r.session_id))}`} title={String(r.session_id)}>
                {String(r.session_id).slice(0, 8)}
              </a>{" "}
              {r.active ? <Badge kind="ok">active</Badge> : <Badge>ended</Badge>}
            </td>
            <td data-label="Client">{clientLabel(r)}</td>
            <td data-label="Key / user">
              <a href={withQuery("/ui/sessions", { key: String(r.api_key) })}>{keyLabel(r)}</a>
              {str(r.user_id) && (
                <div class="muted small">
                  <a href={withQuery("/ui/sessions", { user: String(r.user_id) })}>{String(r.user_id)}</a>
                </div>
              )}
            </td>
            <td data-label="Calls" class="num">
              {count(r.calls)}
              {num(r.failed_calls) ? <div class="muted small">{count(r.failed_calls)} failed</div> : null}
            </td>
            <td data-label="Tokens in / out" class="num">
              <Tokens r={r} />
            </td>
            <td data-label="Cache hits" class="num">
              {hitRate(r.cache_hit_rate)}
            </td>
            <td data-label="Spend" class="num">
              {money(r.spend)}
            </td>
            <td data-label="Models" class="small mono">
              {strs(r.models).join(", ")}
            </td>
            <td data-label="Last call">
              <When at={r.last_call} />
              <div class="muted small">{durationText(num(r.duration_ms) ?? 0)} long</div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const Totals: FC<{ s: Row }> = ({ s }) => (
  <section class="panel" data-testid="session-totals">
    <h2>
      Session <span class="mono small">{String(s.session_id)}</span> {s.active ? <Badge kind="ok">active</Badge> : <Badge>ended</Badge>}
    </h2>
    <dl class="kv">
      <dt>Client</dt>
      <dd>{clientLabel(s)}</dd>
      <dt>Key</dt>
      <dd>
        {keyLabel(s)}
        {str(s.user_id) && ` · user ${String(s.user_id)}`}
        {str(s.team_id) && ` · team ${String(s.team_id)}`}
      </dd>
      <dt>Spend</dt>
      <dd data-testid="session-spend">{money(s.spend)}</dd>
      <dt>Calls</dt>
      <dd>
        {count(s.calls)}
        {num(s.failed_calls) ? ` (${count(s.failed_calls)} failed)` : ""}
      </dd>
      <dt>Tokens</dt>
      <dd>
        {count(s.input_tokens)} in · {count(s.output_tokens)} out · cache {count(s.cache_read_tokens)} read, {count(s.cache_creation_tokens)} written · hit rate{" "}
        {hitRate(s.cache_hit_rate)}
      </dd>
      <dt>Models</dt>
      <dd class="mono">{strs(s.models).join(", ")}</dd>
      <dt>Time</dt>
      <dd>
        <When at={s.first_call} /> to <When at={s.last_call} /> ({durationText(num(s.duration_ms) ?? 0)})
      </dd>
    </dl>
  </section>
);

const Timeline: FC<{ calls: Row[]; truncated: boolean }> = ({ calls, truncated }) => (
  <section class="panel">
    <h2>Calls</h2>
    {truncated && <p class="muted small">The latest {calls.length} calls.</p>}
    {calls.length ? (
      <div class="table-wrap">
        <table class="stack" data-testid="session-calls">
          <thead>
            <tr>
              <th>Time</th>
              <th>Model</th>
              <th class="num">Tokens in / out</th>
              <th class="num">Cost</th>
              <th class="num">Duration</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {calls.map((r) => (
              <tr>
                <td data-label="Time">
                  <When at={r.time} />
                </td>
                <td data-label="Model">
                  {String(r.model_group ?? r.model)}
                  {r.model !== r.model_group && <div class="muted small mono">{String(r.model)}</div>}
                </td>
                <td data-label="Tokens in / out" class="num">
                  <Tokens r={r} />
                </td>
                <td data-label="Cost" class="num">
                  {money(r.cost)}
                </td>
                <td data-label="Duration" class="num">
                  {durationText(num(r.duration_ms) ?? 0)}
                </td>
                <td data-label="Status">
                  {r.status === "failure" ? <Badge kind="bad">failure</Badge> : <Badge kind="ok">success</Badge>}
                  {num(r.retries) ? <div class="muted small">{count(r.retries)} retries</div> : null}
                  {num(r.fallbacks) ? <div class="muted small">{count(r.fallbacks)} fallbacks</div> : null}
                  {str(r.error) && <div class="muted small">{String(r.error)}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    ) : (
      <Empty title="No calls in the spend log">The totals above come from the sessions table; spend logs may be turned off.</Empty>
    )}
  </section>
);

/** `/ui/sessions`: coding-agent sessions (Claude Code, Codex, …) with their totals, live; `/ui/sessions/:id`: one session's calls. */
export function registerSessions({ ui }: UiModule): void {
  ui.get("/sessions", async (c: UiContext) => {
    const v = c.get("viewer");
    const f = filterOf(c);
    const page = Math.max(1, Number(c.req.query("page")) || 1);
    const here = (p?: number) => withQuery("/ui/sessions", { ...f, page: p && p > 1 ? p : undefined });
    let body;
    try {
      const { data, total } = await v.api.get<{ data: Row[]; total: number }>(withQuery("/api/coding-sessions", { ...f, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }));
      const filtered = Object.values(f).some(Boolean);
      body = (
        <section class="panel" data-refresh={data.some((r) => r.active) ? "10" : undefined}>
          <form method="get" action="/ui/sessions" class="toolbar" aria-label="Filter sessions">
            <Select label="Client" name="client" value={f.client} options={CLIENTS} />
            <Select label="State" name="active" value={f.active} options={[["", "Any"], ["true", "Active"], ["false", "Ended"]]} />
            <Field label="User" name="user" value={f.user} />
            <Field label="Team" name="team" value={f.team} />
            <Field label="Model" name="model" value={f.model} />
            <input type="hidden" name="key" value={f.key ?? ""} />
            <div class="actions">
              <button type="submit" class="primary">
                Filter
              </button>
              {filtered && (
                <a class="button" href="/ui/sessions">
                  Clear
                </a>
              )}
            </div>
          </form>
          {f.key && (
            <p class="small">
              Sessions of key <span class="mono">{f.key.slice(0, 10)}…</span> · <a href={withQuery("/ui/sessions", { ...f, key: undefined })}>all keys</a>
            </p>
          )}
          {data.length ? (
            <SessionTable rows={data} />
          ) : (
            <Empty title={filtered ? "No sessions match these filters" : "No coding sessions yet"}>
              Claude Code and Codex calls are grouped by the session id they send; totals appear once the spend writer has run.
            </Empty>
          )}
          <Pager page={page} pages={Math.ceil(total / PAGE_SIZE)} total={total} href={here} />
        </section>
      );
    } catch (e) {
      body = <Failure error={e} what="Sessions" />;
    }
    return html(
      c,
      <Page title="Sessions" viewer={v} active="sessions" flash={c.get("flash")}>
        {body}
      </Page>,
    );
  });

  ui.get("/sessions/:id", async (c: UiContext) => {
    const v = c.get("viewer");
    const id = c.req.param("id") ?? "";
    let body;
    try {
      const s = await v.api.get<Row>(`/api/coding-sessions/${encodeURIComponent(id)}`);
      body = (
        <div data-refresh={s.active ? "10" : undefined}>
          <Totals s={s} />
          <Timeline calls={(s.timeline as Row[]) ?? []} truncated={s.timeline_truncated === true} />
        </div>
      );
    } catch (e) {
      body = <Failure error={e} what="Session" />;
    }
    return html(
      c,
      <Page title="Session" viewer={v} active="sessions" flash={c.get("flash")}>
        <p>
          <a href="/ui/sessions">← All sessions</a>
        </p>
        {body}
      </Page>,
    );
  });
}

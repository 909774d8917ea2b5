/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import { withQuery } from "../api.ts";
import { Action, Badge, BUDGET_PERIODS, Checks, DURATIONS, Empty, Failure, Field, Pager, Select, Spend, When } from "../components.tsx";
import { field, fields, numberField, type Form, type UiContext, type UiModule, type Viewer } from "../context.ts";
import { count, num, str, strs, type Row } from "../format.ts";
import { html, mutate } from "../guard.tsx";
import { Csrf, Page } from "../layout.tsx";
import { SessionLimitFields, sessionLimitsBody } from "./sessions.tsx";

const PAGE_SIZE = 25;

export async function modelNames(v: Viewer): Promise<string[]> {
  const r = await v.api.get<{ data: Array<{ model_name: string }> }>("/model/info");
  return [...new Set(r.data.map((m) => m.model_name))].sort();
}

export async function teamChoices(v: Viewer): Promise<Array<[string, string]>> {
  try {
    const teams = await v.api.get<Row[]>("/team/list");
    return teams.map((t) => [String(t.team_id), str(t.team_alias) ?? String(t.team_id)]);
  } catch {
    return [];
  }
}

export function keyState(k: Row): { label: string; kind: "ok" | "bad" | "warn" } {
  if (k.blocked === true) return { label: "blocked", kind: "bad" };
  const exp = str(k.expires);
  if (exp && new Date(exp.endsWith("Z") || exp.includes("+") ? exp : `${exp}Z`).getTime() < Date.now()) return { label: "expired", kind: "bad" };
  const max = num(k.max_budget);
  if (max !== undefined && (num(k.spend) ?? 0) >= max) return { label: "over budget", kind: "warn" };
  return { label: "active", kind: "ok" };
}

export const KeyTable: FC<{ keys: Row[]; viewer: Viewer; back: string; teams?: Map<string, string> }> = ({ keys, viewer, back, teams }) => (
  <div class="table-wrap">
    <table class="stack" data-testid="keys-table">
      <thead>
        <tr>
          <th>Key</th>
          <th>Owner</th>
          <th>Spend / budget</th>
          <th>Models</th>
          <th class="num">RPM / TPM</th>
          <th>Expires</th>
          <th>Status</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {keys.map((k) => {
          const token = String(k.token ?? "");
          const state = keyState(k);
          const name = str(k.key_alias) ?? str(k.key_name) ?? `${token.slice(0, 10)}…`;
          const team = str(k.team_id);
          return (
            <tr data-key-alias={str(k.key_alias)}>
              <td data-label="Key">
                <strong class="nowrap">{name}</strong>
                {str(k.key_alias) && <div class="muted small mono nowrap">{str(k.key_name)}</div>}
              </td>
              <td data-label="Owner">
                {str(k.user_id) ? <a href={`/ui/users/${encodeURIComponent(String(k.user_id))}`}>{String(k.user_id)}</a> : <span class="muted">–</span>}
                {team && (
                  <div class="small">
                    team <a href={`/ui/teams/${encodeURIComponent(team)}`}>{teams?.get(team) ?? team}</a>
                  </div>
                )}
              </td>
              <td data-label="Spend / budget">
                <Spend spend={k.spend} max={k.max_budget} />
                {str(k.budget_duration) && <div class="muted small">resets every {String(k.budget_duration)}</div>}
              </td>
              <td data-label="Models">{strs(k.models).length ? strs(k.models).join(", ") : <span class="muted">all</span>}</td>
              <td data-label="RPM / TPM" class="num">
                {k.rpm_limit == null ? "–" : count(k.rpm_limit)} / {k.tpm_limit == null ? "–" : count(k.tpm_limit)}
              </td>
              <td data-label="Expires">{k.expires ? <When at={k.expires} /> : <span class="muted">never</span>}</td>
              <td data-label="Status">
                <Badge kind={state.kind}>{state.label}</Badge>
              </td>
              <td data-label="Actions">
                <div class="actions">
                  <a class="button small" href={`/ui/spend?key=${encodeURIComponent(token)}`}>
                    Logs
                  </a>
                  <a class="button small" href={`/ui/sessions?key=${encodeURIComponent(token)}`}>
                    Sessions
                  </a>
                  <Action action="/ui/keys/regenerate" csrf={viewer.csrf} label="Regenerate" fields={{ token, back }} confirm={`Regenerate ${name}? The current key stops working at once.`} />
                  {viewer.admin && (
                    <Action action="/ui/keys/block" csrf={viewer.csrf} label={k.blocked === true ? "Unblock" : "Block"} fields={{ token, back, blocked: k.blocked === true ? "0" : "1" }} />
                  )}
                  <Action action="/ui/keys/delete" csrf={viewer.csrf} label="Delete" danger fields={{ token, back }} confirm={`Delete ${name}? Requests with it will be refused.`} testid={`delete-${name}`} />
                </div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </div>
);

const CreateKey: FC<{ viewer: Viewer; models: string[]; teams: Array<[string, string]>; open: boolean }> = ({ viewer, models, teams, open }) => (
  <details class="create panel" open={open}>
    <summary class="button primary">+ Create key</summary>
    <form method="post" action="/ui/keys" data-testid="create-key-form">
      <Csrf token={viewer.csrf} />
      <div class="form-grid">
        <Field label="Alias" name="key_alias" placeholder="ci-bot" hint="Unique name shown instead of the key" />
        <Field label="Max budget (USD)" name="max_budget" type="number" step="any" min="0" />
        <Select label="Budget resets" name="budget_duration" options={BUDGET_PERIODS} />
        <Select label="Expires after" name="duration" options={DURATIONS} />
        <Field label="RPM limit" name="rpm_limit" type="number" min="0" />
        <Field label="TPM limit" name="tpm_limit" type="number" min="0" />
        <SessionLimitFields />
        {teams.length > 0 && <Select label="Team" name="team_id" options={[["", "No team"], ...teams]} />}
        {viewer.admin && <Field label="Owner user id" name="user_id" hint="Empty: no owner" />}
      </div>
      <div class="form-row">
        <Checks name="models" legend="Models (none checked = all the owner may use)" options={models} />
      </div>
      <div class="form-row">
        <button class="primary" type="submit">
          Create key
        </button>
      </div>
    </form>
  </details>
);

export function keyBody(form: Form): Row {
  const body: Row = {};
  const set = (k: string, v: unknown) => v !== undefined && (body[k] = v);
  set("key_alias", field(form, "key_alias"));
  set("max_budget", numberField(form, "max_budget"));
  set("budget_duration", field(form, "budget_duration"));
  set("duration", field(form, "duration"));
  set("rpm_limit", numberField(form, "rpm_limit"));
  set("tpm_limit", numberField(form, "tpm_limit"));
  set("team_id", field(form, "team_id"));
  set("user_id", field(form, "user_id"));
  const models = fields(form, "models");
  if (models.length) body.models = models;
  return body;
}

export function registerKeys({ ui }: UiModule): void {
  ui.get("/keys", async (c: UiContext) => {
    const v = c.get("viewer");
    const page = Math.max(1, Number(c.req.query("page")) || 1);
    const team = c.req.query("team") || undefined;
    const user = v.admin ? c.req.query("user") || undefined : undefined;
    const here = (p: number) => withQuery("/ui/keys", { team, user, page: p > 1 ? p : undefined });
    let body;
    try {
      const [list, models, teams] = await Promise.all([
        v.api.get<{ keys: Row[]; total_count: number; total_pages: number }>(withQuery("/key/list", { return_full_object: "true", size: PAGE_SIZE, page, team_id: team, user_id: user })),
        modelNames(v).catch(() => []),
        teamChoices(v),
      ]);
      const flash = c.get("flash");
      body = (
        <div>
          <CreateKey viewer={v} models={models} teams={teams} open={list.total_count === 0 && !flash} />
          <section class="panel" aria-labelledby="h-keys">
            <h2 id="h-keys">{v.admin ? "All keys" : "Your keys"}</h2>
            <form method="get" action="/ui/keys" class="toolbar">
              {teams.length > 0 && <Select label="Team" name="team" options={[["", "All teams"], ...teams]} value={team} id="filter-team" />}
              {v.admin && <Field label="Owner user id" name="user" value={user} id="filter-user" />}
              {(teams.length > 0 || v.admin) && (
                <div>
                  <button type="submit">Filter</button>
                </div>
              )}
            </form>
            {list.keys.length ? (
              <KeyTable keys={list.keys} viewer={v} back={here(page)} teams={new Map(teams)} />
            ) : (
              <Empty title={team || user ? "No keys match" : "No keys yet"}>Create one above; its secret is shown once.</Empty>
            )}
            <Pager page={page} pages={list.total_pages} href={here} total={list.total_count} />
          </section>
        </div>
      );
    } catch (e) {
      body = <Failure error={e} what="Keys" />;
    }
    return html(
      c,
      <Page title="Keys" viewer={v} active="keys" flash={c.get("flash")}>
        {body}
      </Page>,
    );
  });

  ui.post("/keys", (c: UiContext) =>
    mutate(c, "/ui/keys", async () => {
      const r = await c.get("viewer").api.post<Row>("/key/generate", { ...keyBody(c.get("form")), ...sessionLimitsBody(c.get("form"), false) });
      return { kind: "ok", message: `Key ${str(r.key_alias) ?? str(r.key_name) ?? ""} created`, secret: String(r.key) };
    }),
  );

  const token = (c: UiContext) => field(c.get("form"), "token") ?? "";
  const back = (c: UiContext) => field(c.get("form"), "back") ?? "/ui/keys";
  ui.post("/keys/regenerate", (c: UiContext) =>
    mutate(c, back(c), async () => {
      const r = await c.get("viewer").api.post<Row>("/key/regenerate", { key: token(c) });
      return { kind: "ok", message: `Key ${str(r.key_alias) ?? ""} regenerated: the old one no longer works`, secret: String(r.key) };
    }),
  );
  ui.post("/keys/block", (c: UiContext) =>
    mutate(c, back(c), async () => {
      const block = field(c.get("form"), "blocked") === "1";
      await c.get("viewer").api.post(block ? "/key/block" : "/key/unblock", { key: token(c) });
      return block ? "Key blocked" : "Key unblocked";
    }),
  );
  ui.post("/keys/delete", (c: UiContext) =>
    mutate(c, back(c), async () => {
      await c.get("viewer").api.post("/key/delete", { keys: [token(c)] });
      return "Key deleted";
    }),
  );
}

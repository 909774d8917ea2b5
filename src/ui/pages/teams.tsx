/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import { Action, Badge, BUDGET_PERIODS, Checks, Empty, Failure, Field, Select, Spend, When } from "../components.tsx";
import { field, fields, numberField, type Form, type UiContext, type UiModule, type Viewer } from "../context.ts";
import { count, num, obj, str, strs, type Row } from "../format.ts";
import { html, mutate } from "../guard.tsx";
import { Csrf, Page } from "../layout.tsx";
import { modelNames } from "./keys.tsx";
import { SessionLimitFields, sessionLimitsBody } from "./sessions.tsx";

interface Member {
  role: string;
  user_id?: string;
  user_email?: string;
}

const membersOf = (t: Row): Member[] =>
  (Array.isArray(t.members_with_roles) ? t.members_with_roles : []).map((m) => {
    const o = obj(m);
    return { role: str(o.role) ?? "user", user_id: str(o.user_id), user_email: str(o.user_email) };
  });

/** Budget and limit fields shared by the team and user forms. */
export function limitsBody(form: Form, withModels = true): Row {
  const body: Row = {};
  const set = (k: string, v: unknown) => v !== undefined && (body[k] = v);
  set("max_budget", numberField(form, "max_budget"));
  set("budget_duration", field(form, "budget_duration"));
  set("rpm_limit", numberField(form, "rpm_limit"));
  set("tpm_limit", numberField(form, "tpm_limit"));
  if (withModels && fields(form, "models").length) body.models = fields(form, "models");
  return body;
}

export const LimitFields: FC<{ row?: Row }> = ({ row }) => (
  <>
    <Field label="Max budget (USD)" name="max_budget" type="number" step="any" min="0" value={num(row?.max_budget)} />
    <Select label="Budget resets" name="budget_duration" options={BUDGET_PERIODS} value={str(row?.budget_duration)} />
    <Field label="RPM limit" name="rpm_limit" type="number" min="0" value={num(row?.rpm_limit)} />
    <Field label="TPM limit" name="tpm_limit" type="number" min="0" value={num(row?.tpm_limit)} />
  </>
);

const TeamList: FC<{ teams: Row[] }> = ({ teams }) => (
  <div class="table-wrap">
    <table class="stack" data-testid="teams-table">
      <thead>
        <tr>
          <th>Team</th>
          <th class="num">Members</th>
          <th>Spend / budget</th>
          <th>Models</th>
          <th class="num">RPM / TPM</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {teams.map((t) => (
          <tr>
            <td data-label="Team">
              <a href={`/ui/teams/${encodeURIComponent(String(t.team_id))}`}>
                <strong>{str(t.team_alias) ?? String(t.team_id)}</strong>
              </a>
              <div class="muted small mono">{String(t.team_id)}</div>
            </td>
            <td data-label="Members" class="num">
              {membersOf(t).length}
            </td>
            <td data-label="Spend / budget">
              <Spend spend={t.spend} max={t.max_budget} />
            </td>
            <td data-label="Models">{strs(t.models).length ? strs(t.models).join(", ") : <span class="muted">all</span>}</td>
            <td data-label="RPM / TPM" class="num">
              {t.rpm_limit == null ? "–" : count(t.rpm_limit)} / {t.tpm_limit == null ? "–" : count(t.tpm_limit)}
            </td>
            <td data-label="Status">{t.blocked === true ? <Badge kind="bad">blocked</Badge> : <Badge kind="ok">active</Badge>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const TeamDetail: FC<{ v: Viewer; info: Row; budgets: Map<string, Row>; models: string[] }> = ({ v, info, budgets, models }) => {
  const t = obj(info.team_info);
  const id = String(info.team_id);
  const back = `/ui/teams/${encodeURIComponent(id)}`;
  const memberships = new Map((Array.isArray(info.team_memberships) ? info.team_memberships : []).map((m) => [String(obj(m).user_id), obj(m)]));
  const keys = Array.isArray(info.keys) ? (info.keys as Row[]) : [];
  const members = membersOf(t);
  return (
    <div>
      <div class="grid">
        <section class="panel">
          <h2>Budget and limits</h2>
          <dl class="kv">
            <dt>Team id</dt>
            <dd class="mono">{id}</dd>
            <dt>Spend</dt>
            <dd>
              <Spend spend={t.spend} max={t.max_budget} />
            </dd>
            <dt>Budget resets</dt>
            <dd>{str(t.budget_duration) ? <>every {String(t.budget_duration)}, next <When at={t.budget_reset_at} /></> : "never"}</dd>
            <dt>Models</dt>
            <dd>{strs(t.models).join(", ") || "all"}</dd>
            <dt>RPM / TPM</dt>
            <dd>
              {t.rpm_limit == null ? "–" : count(t.rpm_limit)} / {t.tpm_limit == null ? "–" : count(t.tpm_limit)}
            </dd>
            <dt>Created</dt>
            <dd>
              <When at={t.created_at} />
            </dd>
          </dl>
        </section>
        {v.admin && (
          <section class="panel">
            <h2>Change budget and limits</h2>
            <form method="post" action={`${back}/update`}>
              <Csrf token={v.csrf} />
              <div class="form-grid">
                <LimitFields row={t} />
                <SessionLimitFields row={t} />
              </div>
              <div class="form-row">
                <Checks name="models" legend="Models (none checked = keep)" options={models} checked={strs(t.models)} />
              </div>
              <div class="form-row">
                <button type="submit">Save</button>
              </div>
            </form>
          </section>
        )}
      </div>
      <section class="panel" aria-labelledby="h-members">
        <h2 id="h-members">Members</h2>
        {members.length ? (
          <table class="stack" data-testid="members-table">
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th>Spend in team</th>
                {v.admin && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {members.map((m) => {
                const ms = memberships.get(m.user_id ?? "");
                const budget = budgets.get(String(ms?.budget_id ?? ""));
                return (
                  <tr>
                    <td data-label="User">
                      {m.user_id ? <a href={`/ui/users/${encodeURIComponent(m.user_id)}`}>{m.user_id}</a> : "–"}
                      {m.user_email && <div class="muted small">{m.user_email}</div>}
                    </td>
                    <td data-label="Role">{m.role}</td>
                    <td data-label="Spend in team">
                      <Spend spend={ms?.spend} max={budget?.max_budget} />
                    </td>
                    {v.admin && (
                      <td data-label="Actions">
                        <Action action={`${back}/member_delete`} csrf={v.csrf} label="Remove" danger fields={{ user_id: m.user_id ?? "" }} confirm={`Remove ${m.user_id} from the team?`} />
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : (
          <Empty title="No members yet" />
        )}
        {v.admin && (
          <form method="post" action={`${back}/member_add`} class="form-row" data-testid="add-member-form">
            <Csrf token={v.csrf} />
            <Field label="User id" name="user_id" id="m-user" />
            <Field label="or email" name="user_email" type="email" id="m-email" />
            <Select label="Role" name="role" options={[["user", "user"], ["admin", "admin"]]} id="m-role" />
            <Field label="Budget in team (USD)" name="max_budget_in_team" type="number" step="any" min="0" id="m-budget" />
            <div>
              <button type="submit">Add member</button>
            </div>
          </form>
        )}
      </section>
      <section class="panel">
        <h2>
          Keys of this team <a class="small" href={`/ui/keys?team=${encodeURIComponent(id)}`}>manage</a>
        </h2>
        {keys.length ? (
          <table class="stack">
            <thead>
              <tr>
                <th>Key</th>
                <th>Owner</th>
                <th>Spend / budget</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr>
                  <td data-label="Key">{str(k.key_alias) ?? str(k.key_name) ?? "–"}</td>
                  <td data-label="Owner">{str(k.user_id) ?? "–"}</td>
                  <td data-label="Spend / budget">
                    <Spend spend={k.spend} max={k.max_budget} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <Empty title="No keys belong to this team" />
        )}
      </section>
      {v.admin && (
        <section class="panel">
          <h2>Danger zone</h2>
          <Action action={`${back}/delete`} csrf={v.csrf} label="Delete team and its keys" danger confirm="Delete this team, its memberships and every key of the team?" />
        </section>
      )}
    </div>
  );
};

export function registerTeams({ ui }: UiModule): void {
  ui.get("/teams", async (c: UiContext) => {
    const v = c.get("viewer");
    let body;
    try {
      const [teams, models] = await Promise.all([v.api.get<Row[]>("/team/list"), v.admin ? modelNames(v).catch(() => []) : Promise.resolve([])]);
      body = (
        <div>
          {v.admin && (
            <details class="create panel" open={teams.length === 0}>
              <summary class="button primary">+ Create team</summary>
              <form method="post" action="/ui/teams">
                <Csrf token={v.csrf} />
                <div class="form-grid">
                  <Field label="Team name" name="team_alias" required />
                  <LimitFields />
                  <SessionLimitFields />
                </div>
                <div class="form-row">
                  <Checks name="models" legend="Models (none checked = all)" options={models} />
                </div>
                <div class="form-row">
                  <button class="primary" type="submit">
                    Create team
                  </button>
                </div>
              </form>
            </details>
          )}
          <section class="panel">
            <h2>{v.admin ? "All teams" : "Your teams"}</h2>
            {teams.length ? <TeamList teams={teams} /> : <Empty title="No teams yet">{v.admin ? "Create one above." : "You are not a member of any team."}</Empty>}
          </section>
        </div>
      );
    } catch (e) {
      body = <Failure error={e} what="Teams" />;
    }
    return html(
      c,
      <Page title="Teams" viewer={v} active="teams" flash={c.get("flash")}>
        {body}
      </Page>,
    );
  });

  ui.get("/teams/:id", async (c: UiContext) => {
    const v = c.get("viewer");
    const id = c.req.param("id") ?? "";
    let body;
    let title = "Team";
    try {
      const info = await v.api.get<Row>(`/team/info?team_id=${encodeURIComponent(id)}`);
      title = `Team ${str(obj(info.team_info).team_alias) ?? id}`;
      const budgetIds = (Array.isArray(info.team_memberships) ? info.team_memberships : []).map((m) => str(obj(m).budget_id)).filter((b): b is string => !!b);
      const budgets = v.admin && budgetIds.length ? await v.api.post<Row[]>("/budget/info", { budgets: budgetIds }).catch(() => []) : [];
      const models = v.admin ? await modelNames(v).catch(() => []) : [];
      body = <TeamDetail v={v} info={info} budgets={new Map(budgets.map((b) => [String(b.budget_id), b]))} models={models} />;
    } catch (e) {
      body = <Failure error={e} what="Team" />;
    }
    return html(
      c,
      <Page title={title} viewer={v} active="teams" flash={c.get("flash")}>
        <p>
          <a href="/ui/teams">← All teams</a>
        </p>
        {body}
      </Page>,
    );
  });

  ui.post("/teams", (c: UiContext) =>
    mutate(c, "/ui/teams", async () => {
      const r = await c.get("viewer").api.post<Row>("/team/new", { team_alias: field(c.get("form"), "team_alias"), ...limitsBody(c.get("form")), ...sessionLimitsBody(c.get("form"), false) });
      return `Team ${str(r.team_alias) ?? String(r.team_id)} created`;
    }),
  );
  const teamPath = (c: UiContext) => `/ui/teams/${encodeURIComponent(c.req.param("id") ?? "")}`;
  ui.post("/teams/:id/update", (c: UiContext) =>
    mutate(c, teamPath(c), async () => {
      await c.get("viewer").api.post("/team/update", { team_id: c.req.param("id"), ...limitsBody(c.get("form")), ...sessionLimitsBody(c.get("form"), true) });
      return "Team updated";
    }),
  );
  ui.post("/teams/:id/member_add", (c: UiContext) =>
    mutate(c, teamPath(c), async () => {
      const f = c.get("form");
      const member = { user_id: field(f, "user_id"), user_email: field(f, "user_email"), role: field(f, "role") ?? "user" };
      await c.get("viewer").api.post("/team/member_add", { team_id: c.req.param("id"), member, max_budget_in_team: numberField(f, "max_budget_in_team") });
      return `Member ${member.user_id ?? member.user_email ?? ""} added`;
    }),
  );
  ui.post("/teams/:id/member_delete", (c: UiContext) =>
    mutate(c, teamPath(c), async () => {
      await c.get("viewer").api.post("/team/member_delete", { team_id: c.req.param("id"), user_id: field(c.get("form"), "user_id") });
      return "Member removed";
    }),
  );
  ui.post("/teams/:id/delete", (c: UiContext) =>
    mutate(c, "/ui/teams", async () => {
      await c.get("viewer").api.post("/team/delete", { team_ids: [c.req.param("id")] });
      return "Team deleted";
    }),
  );
}

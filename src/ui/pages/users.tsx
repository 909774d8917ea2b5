/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import { withQuery } from "../api.ts";
import { Action, Badge, Checks, Empty, Failure, Field, NoDb, Pager, Select, Spend, When } from "../components.tsx";
import { field, type UiContext, type UiModule, type Viewer } from "../context.ts";
import { count, obj, str, strs, type Row } from "../format.ts";
import { html, mutate } from "../guard.tsx";
import { Csrf, Page } from "../layout.tsx";
import { userPage } from "../queries.ts";
import { keyState, modelNames } from "./keys.tsx";
import { LimitFields, limitsBody } from "./teams.tsx";

const PAGE_SIZE = 50;
const ROLES: Array<[string, string]> = [
  ["internal_user", "internal_user (own keys and spend)"],
  ["internal_user_viewer", "internal_user_viewer"],
  ["proxy_admin", "proxy_admin (everything)"],
  ["proxy_admin_viewer", "proxy_admin_viewer"],
];

const UserList: FC<{ users: Array<Row & { key_count: number }> }> = ({ users }) => (
  <div class="table-wrap">
    <table class="stack" data-testid="users-table">
      <thead>
        <tr>
          <th>User</th>
          <th>Role</th>
          <th>Spend / budget</th>
          <th class="num">Keys</th>
          <th>Teams</th>
        </tr>
      </thead>
      <tbody>
        {users.map((u) => (
          <tr>
            <td data-label="User">
              <a href={`/ui/users/${encodeURIComponent(String(u.user_id))}`}>
                <strong>{String(u.user_id)}</strong>
              </a>
              {str(u.user_email) && <div class="muted small">{String(u.user_email)}</div>}
            </td>
            <td data-label="Role">{str(u.user_role) ?? "–"}</td>
            <td data-label="Spend / budget">
              <Spend spend={u.spend} max={u.max_budget} />
            </td>
            <td data-label="Keys" class="num">
              {count(u.key_count)}
            </td>
            <td data-label="Teams">{strs(u.teams).length ? strs(u.teams).join(", ") : <span class="muted">none</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

const UserDetail: FC<{ v: Viewer; info: Row; models: string[] }> = ({ v, info, models }) => {
  const u = obj(info.user_info);
  const id = String(info.user_id);
  const back = `/ui/users/${encodeURIComponent(id)}`;
  const keys = Array.isArray(info.keys) ? (info.keys as Row[]) : [];
  const teams = Array.isArray(info.teams) ? (info.teams as Row[]) : [];
  return (
    <div>
      <div class="grid">
        <section class="panel">
          <h2>Budget and limits</h2>
          <dl class="kv">
            <dt>User id</dt>
            <dd class="mono">{id}</dd>
            <dt>Email</dt>
            <dd>{str(u.user_email) ?? "–"}</dd>
            <dt>Role</dt>
            <dd>{str(u.user_role) ?? "–"}</dd>
            <dt>Spend</dt>
            <dd>
              <Spend spend={u.spend} max={u.max_budget} />
            </dd>
            <dt>Budget resets</dt>
            <dd>{str(u.budget_duration) ? <>every {String(u.budget_duration)}, next <When at={u.budget_reset_at} /></> : "never"}</dd>
            <dt>Models</dt>
            <dd>{strs(u.models).join(", ") || "all"}</dd>
          </dl>
        </section>
        {v.admin && (
          <section class="panel">
            <h2>Change budget and limits</h2>
            <form method="post" action={`${back}/update`}>
              <Csrf token={v.csrf} />
              <input type="hidden" name="user_id" value={id} />
              <div class="form-grid">
                <LimitFields row={u} />
                <Select label="Role" name="user_role" options={ROLES} value={str(u.user_role)} />
              </div>
              <div class="form-row">
                <Checks name="models" legend="Models (none checked = keep)" options={models} checked={strs(u.models)} />
              </div>
              <div class="form-row">
                <button type="submit">Save</button>
              </div>
            </form>
          </section>
        )}
      </div>
      <section class="panel">
        <h2>
          Keys <a class="small" href={withQuery("/ui/keys", { user: v.admin ? id : undefined })}>manage</a> ·{" "}
          <a class="small" href={withQuery("/ui/sessions", { user: id })}>
            sessions
          </a>
        </h2>
        {keys.length ? (
          <table class="stack">
            <thead>
              <tr>
                <th>Key</th>
                <th>Team</th>
                <th>Spend / budget</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => {
                const s = keyState(k);
                return (
                  <tr>
                    <td data-label="Key">{str(k.key_alias) ?? str(k.key_name) ?? "–"}</td>
                    <td data-label="Team">{str(k.team_id) ?? "–"}</td>
                    <td data-label="Spend / budget">
                      <Spend spend={k.spend} max={k.max_budget} />
                    </td>
                    <td data-label="Status">
                      <Badge kind={s.kind}>{s.label}</Badge>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : (
          <Empty title="No keys" />
        )}
      </section>
      <section class="panel">
        <h2>Teams</h2>
        {teams.length ? (
          <ul>
            {teams.map((t) => (
              <li>
                <a href={`/ui/teams/${encodeURIComponent(String(t.team_id))}`}>{str(t.team_alias) ?? String(t.team_id)}</a>
              </li>
            ))}
          </ul>
        ) : (
          <Empty title="Not a member of any team" />
        )}
      </section>
      {v.admin && (
        <section class="panel">
          <h2>Danger zone</h2>
          <Action action={`${back}/delete`} csrf={v.csrf} label="Delete user and their keys" danger confirm="Delete this user, their memberships and every key they own?" />
        </section>
      )}
    </div>
  );
};

export function registerUsers({ ui, deps }: UiModule): void {
  ui.get("/users", async (c: UiContext) => {
    const v = c.get("viewer");
    if (!v.admin) {
      if (v.auth.userId) return c.redirect(`/ui/users/${encodeURIComponent(v.auth.userId)}`, 303);
      return html(
        c,
        <Page title="Users" viewer={v} active="users" flash={c.get("flash")}>
          <Empty title="This key belongs to no user">Only proxy admins can list users.</Empty>
        </Page>,
      );
    }
    const page = Math.max(1, Number(c.req.query("page")) || 1);
    const q = c.req.query("q") || undefined;
    let body;
    if (!deps.db) body = <NoDb what="Users" />;
    else {
      try {
        const [{ rows, total }, models] = await Promise.all([userPage(deps.db, page, PAGE_SIZE, q), modelNames(v).catch(() => [])]);
        body = (
          <div>
            <details class="create panel" open={total === 0 && !q}>
              <summary class="button primary">+ Create user</summary>
              <form method="post" action="/ui/users">
                <Csrf token={v.csrf} />
                <div class="form-grid">
                  <Field label="User id" name="user_id" hint="Empty: a random id" />
                  <Field label="Email" name="user_email" type="email" />
                  <Select label="Role" name="user_role" options={ROLES} />
                  <LimitFields />
                </div>
                <div class="form-row">
                  <Checks name="models" legend="Models (none checked = all)" options={models} />
                </div>
                <div class="form-row">
                  <label>
                    <input type="checkbox" name="auto_create_key" value="1" checked />
                    Create a key for this user (shown once)
                  </label>
                </div>
                <div class="form-row">
                  <button class="primary" type="submit">
                    Create user
                  </button>
                </div>
              </form>
            </details>
            <section class="panel">
              <h2>All users</h2>
              <form method="get" action="/ui/users" class="toolbar" role="search">
                <Field label="Search id or email" name="q" value={q} id="users-q" />
                <div>
                  <button type="submit">Search</button>
                </div>
              </form>
              {rows.length ? <UserList users={rows} /> : <Empty title={q ? "No user matches" : "No users yet"} />}
              <Pager page={page} pages={Math.ceil(total / PAGE_SIZE)} total={total} href={(p) => withQuery("/ui/users", { q, page: p })} />
            </section>
          </div>
        );
      } catch (e) {
        body = <Failure error={e} what="Users" />;
      }
    }
    return html(
      c,
      <Page title="Users" viewer={v} active="users" flash={c.get("flash")}>
        {body}
      </Page>,
    );
  });

  ui.get("/users/:id", async (c: UiContext) => {
    const v = c.get("viewer");
    const id = c.req.param("id") ?? "";
    let body;
    try {
      const [info, models] = await Promise.all([v.api.get<Row>(`/user/info?user_id=${encodeURIComponent(id)}`), v.admin ? modelNames(v).catch(() => []) : Promise.resolve([])]);
      body = <UserDetail v={v} info={info} models={models} />;
    } catch (e) {
      body = <Failure error={e} what="User" />;
    }
    return html(
      c,
      <Page title={`User ${id}`} viewer={v} active="users" flash={c.get("flash")}>
        {v.admin && (
          <p>
            <a href="/ui/users">← All users</a>
          </p>
        )}
        {body}
      </Page>,
    );
  });

  ui.post("/users", (c: UiContext) =>
    mutate(c, "/ui/users", async () => {
      const f = c.get("form");
      const body = { user_id: field(f, "user_id"), user_email: field(f, "user_email"), user_role: field(f, "user_role"), auto_create_key: field(f, "auto_create_key") === "1", ...limitsBody(f) };
      const r = await c.get("viewer").api.post<Row>("/user/new", body);
      const message = `User ${String(r.user_id)} created`;
      return typeof r.key === "string" && r.key ? { kind: "ok", message: `${message} with a key`, secret: r.key } : message;
    }),
  );
  const userPath = (c: UiContext) => `/ui/users/${encodeURIComponent(c.req.param("id") ?? "")}`;
  ui.post("/users/:id/update", (c: UiContext) =>
    mutate(c, userPath(c), async () => {
      await c.get("viewer").api.post("/user/update", { user_id: c.req.param("id"), user_role: field(c.get("form"), "user_role"), ...limitsBody(c.get("form")) });
      return "User updated";
    }),
  );
  ui.post("/users/:id/delete", (c: UiContext) =>
    mutate(c, "/ui/users", async () => {
      await c.get("viewer").api.post("/user/delete", { user_ids: [c.req.param("id")] });
      return "User deleted";
    }),
  );
}

/** @jsxImportSource hono/jsx */
import { withQuery } from "../api.ts";
import { Badge, Empty, Failure, Field, NoDb, Pager, Select, When } from "../components.tsx";
import type { UiContext, UiModule, Viewer } from "../context.ts";
import { count, durationText, isoOf, money, num, str, type Row } from "../format.ts";
import { html } from "../guard.tsx";
import { Page } from "../layout.tsx";
import { spendLogPage, spendLogRows, type LogFilter, type LogRow } from "../queries.ts";
import { modelNames, teamChoices } from "./keys.tsx";
import { keyLabel, scopeOf } from "./overview.tsx";

const PAGE_SIZE = 50;

const CSV_COLUMNS = [
  "request_id",
  "startTime",
  "endTime",
  "api_key",
  "key_alias",
  "key_name",
  "user",
  "team_id",
  "end_user",
  "model",
  "model_group",
  "custom_llm_provider",
  "call_type",
  "status",
  "prompt_tokens",
  "completion_tokens",
  "total_tokens",
  "spend",
  "request_duration_ms",
] as const;

/** A CSV cell; text that a spreadsheet would run as a formula is prefixed with a quote. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  let s = typeof v === "object" ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function filterOf(c: UiContext): LogFilter {
  const q = (n: string) => c.req.query(n) || undefined;
  return { key: q("key"), team: q("team"), model: q("model"), status: q("status"), from: q("from"), to: q("to") };
}

async function keyChoices(v: Viewer, selected: string | undefined, masterHash?: string): Promise<Array<[string, string]>> {
  const r = await v.api.get<{ keys: Row[] }>("/key/list?return_full_object=true&size=100").catch(() => ({ keys: [] as Row[] }));
  const out: Array<[string, string]> = r.keys.map((k) => [String(k.token), keyLabel({ api_key: k.token, key_alias: k.key_alias, key_name: k.key_name })]);
  if (v.admin && masterHash) out.push([masterHash, "master key"]);
  if (selected && !out.some(([t]) => t === selected)) out.push([selected, `${selected.slice(0, 10)}…`]);
  return out;
}

const LogTable = ({ rows, masterHash }: { rows: LogRow[]; masterHash?: string }) => (
  <div class="table-wrap">
    <table class="stack" data-testid="spend-table">
      <thead>
        <tr>
          <th>Time</th>
          <th>Key</th>
          <th>User / team</th>
          <th>Model</th>
          <th class="num">Tokens in / out</th>
          <th class="num">Spend</th>
          <th class="num">Duration</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr data-request-id={String(r.request_id)}>
            <td data-label="Time">
              <When at={r.startTime} />
            </td>
            <td data-label="Key">{keyLabel(r, masterHash)}</td>
            <td data-label="User / team">
              {str(r.user) ?? "–"}
              {str(r.team_id) && <div class="muted small">team {String(r.team_id)}</div>}
            </td>
            <td data-label="Model">
              {str(r.model_group) ?? str(r.model) ?? "–"}
              {str(r.model_group) && str(r.model) && r.model !== r.model_group && <div class="muted small mono">{String(r.model)}</div>}
            </td>
            <td data-label="Tokens in / out" class="num">
              {count(r.prompt_tokens)} / {count(r.completion_tokens)}
            </td>
            <td data-label="Spend" class="num" data-testid="row-spend">
              {money(r.spend)}
            </td>
            <td data-label="Duration" class="num">
              {num(r.request_duration_ms) === undefined ? "–" : durationText(num(r.request_duration_ms)!)}
            </td>
            <td data-label="Status">{r.status === "failure" ? <Badge kind="bad">failure</Badge> : <Badge kind="ok">{str(r.status) ?? "success"}</Badge>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

/** `/ui/spend` (filtered, paged SpendLogs) and `/ui/spend.csv` (the same filter, every row, streamed). */
export function registerSpend({ ui, deps, rt }: UiModule): void {
  ui.get("/spend", async (c: UiContext) => {
    const v = c.get("viewer");
    const f = filterOf(c);
    const page = Math.max(1, Number(c.req.query("page")) || 1);
    const masterHash = rt().auth.masterKeyHash;
    const here = (p?: number) => withQuery("/ui/spend", { ...f, page: p && p > 1 ? p : undefined });
    let body;
    if (!deps.db) body = <NoDb what="Spend logs" />;
    else {
      try {
        const [{ rows, total }, keys, teams, models] = await Promise.all([
          spendLogPage(deps.db, scopeOf(v), f, page, PAGE_SIZE),
          keyChoices(v, f.key, masterHash),
          teamChoices(v),
          modelNames(v).catch(() => []),
        ]);
        const filtered = Object.values(f).some(Boolean);
        body = (
          <section class="panel">
            <form method="get" action="/ui/spend" class="toolbar" aria-label="Filter spend logs">
              <Select label="Key" name="key" value={f.key} options={[["", "All keys"], ...keys]} />
              <Select label="Team" name="team" value={f.team} options={[["", "All teams"], ...teams]} />
              <Select label="Model" name="model" value={f.model} options={[["", "All models"], ...models.map((m): [string, string] => [m, m])]} />
              <Select label="Status" name="status" value={f.status} options={[["", "Any"], ["success", "success"], ["failure", "failure"]]} />
              <Field label="From" name="from" type="date" value={f.from} />
              <Field label="To" name="to" type="date" value={f.to} />
              <div class="actions">
                <button type="submit" class="primary">
                  Filter
                </button>
                {filtered && (
                  <a class="button" href="/ui/spend">
                    Clear
                  </a>
                )}
                <a class="button" href={withQuery("/ui/spend.csv", { ...f })} download data-testid="export-csv">
                  Export CSV
                </a>
              </div>
            </form>
            {rows.length ? (
              <LogTable rows={rows} masterHash={masterHash} />
            ) : (
              <Empty title={filtered ? "No requests match these filters" : "No requests logged yet"}>
                Requests are written to the spend log every {rt().config.general.proxy_batch_write_at ?? 10} s.
              </Empty>
            )}
            <Pager page={page} pages={Math.ceil(total / PAGE_SIZE)} total={total} href={here} />
          </section>
        );
      } catch (e) {
        body = <Failure error={e} what="Spend logs" />;
      }
    }
    return html(
      c,
      <Page title="Spend logs" viewer={v} active="spend" flash={c.get("flash")}>
        {body}
      </Page>,
    );
  });

  ui.get("/spend.csv", (c: UiContext) => {
    const v = c.get("viewer");
    if (!deps.db) return c.text("No connected db.", 400);
    const db = deps.db;
    const rows = spendLogRows(db, scopeOf(v), filterOf(c));
    const enc = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        ctrl.enqueue(enc.encode(`${CSV_COLUMNS.join(",")}\r\n`));
      },
      async pull(ctrl) {
        const next = await rows.next();
        if (next.done) return ctrl.close();
        const r = next.value;
        const cells = CSV_COLUMNS.map((col) => csvCell(col === "startTime" || col === "endTime" ? (isoOf(r[col]) ?? r[col]) : r[col]));
        ctrl.enqueue(enc.encode(`${cells.join(",")}\r\n`));
      },
      async cancel() {
        await rows.return(undefined);
      },
    });
    const day = new Date().toISOString().slice(0, 10);
    return new Response(stream, {
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="spend-logs-${day}.csv"`, "cache-control": "no-store" },
    });
  });
}

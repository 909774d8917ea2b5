/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";
import { BarChart } from "../charts.tsx";
import { Empty, Failure } from "../components.tsx";
import type { UiContext, UiModule, Viewer } from "../context.ts";
import { count, money } from "../format.ts";
import { html } from "../guard.tsx";
import { Page } from "../layout.tsx";
import { activity, RANGES, type Activity, type Range, type Scope } from "../queries.ts";

export const scopeOf = (v: Viewer): Scope => ({ admin: v.admin, userId: v.auth.userId, keyHash: v.auth.apiKeyHash });

export function keyLabel(k: { api_key?: unknown; key_alias?: unknown; key_name?: unknown }, masterHash?: string): string {
  if (typeof k.key_alias === "string" && k.key_alias) return k.key_alias;
  if (typeof k.key_name === "string" && k.key_name) return k.key_name;
  if (masterHash && k.api_key === masterHash) return "master key";
  return typeof k.api_key === "string" && k.api_key ? `${k.api_key.slice(0, 10)}…` : "–";
}

function bucketLabel(at: Date, range: Range): string {
  const iso = at.toISOString();
  return RANGES[range].unit === "hour" ? iso.slice(11, 16) : iso.slice(5, 10);
}

const Cards: FC<{ items: Array<[string, string]> }> = ({ items }) => (
  <div class="cards">
    {items.map(([k, v]) => (
      <div class="card">
        <div class="k">{k}</div>
        <div class="v">{v}</div>
      </div>
    ))}
  </div>
);

const ActivityView: FC<{ a: Activity; range: Range; masterHash?: string }> = ({ a, range, masterHash }) => {
  const sum = (f: (b: Activity["buckets"][number]) => number) => a.buckets.reduce((s, b) => s + f(b), 0);
  const requests = sum((b) => b.requests);
  const errors = sum((b) => b.errors);
  const labels = a.buckets.map((b) => bucketLabel(b.at, range));
  return (
    <div>
      <Cards
        items={[
          ["Requests", count(requests)],
          ["Spend", money(sum((b) => b.spend))],
          ["Errors", `${count(errors)}${requests ? ` (${((errors / requests) * 100).toFixed(1)}%)` : ""}`],
          ["Tokens", count(sum((b) => b.tokens))],
        ]}
      />
      <div class="grid">
        <section class="panel" aria-labelledby="h-req">
          <h2 id="h-req">Requests and errors</h2>
          <BarChart
            id="chart-requests"
            title="Requests per bucket"
            labels={labels}
            series={[
              { name: "Succeeded", values: a.buckets.map((b) => b.requests - b.errors) },
              { name: "Failed", values: a.buckets.map((b) => b.errors) },
            ]}
            format={(n) => count(Math.round(n))}
          />
        </section>
        <section class="panel" aria-labelledby="h-spend">
          <h2 id="h-spend">Spend</h2>
          <BarChart id="chart-spend" title="Spend per bucket" labels={labels} series={[{ name: "Spend", values: a.buckets.map((b) => b.spend) }]} format={money} />
        </section>
      </div>
      <div class="grid">
        <section class="panel" aria-labelledby="h-models">
          <h2 id="h-models">Top models</h2>
          {a.models.length ? (
            <table class="stack" data-testid="top-models">
              <thead>
                <tr>
                  <th>Model</th>
                  <th class="num">Requests</th>
                  <th class="num">Errors</th>
                  <th class="num">Spend</th>
                </tr>
              </thead>
              <tbody>
                {a.models.map((m) => (
                  <tr>
                    <td data-label="Model">{m.model}</td>
                    <td data-label="Requests" class="num">
                      {count(m.requests)}
                    </td>
                    <td data-label="Errors" class="num">
                      {count(m.errors)}
                    </td>
                    <td data-label="Spend" class="num">
                      {money(m.spend)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty title="No requests in this period">Requests appear here once the spend writer has stored them.</Empty>
          )}
        </section>
        <section class="panel" aria-labelledby="h-keys">
          <h2 id="h-keys">Top keys</h2>
          {a.keys.length ? (
            <table class="stack" data-testid="top-keys">
              <thead>
                <tr>
                  <th>Key</th>
                  <th class="num">Requests</th>
                  <th class="num">Spend</th>
                </tr>
              </thead>
              <tbody>
                {a.keys.map((k) => (
                  <tr>
                    <td data-label="Key">
                      <a href={`/ui/spend?key=${encodeURIComponent(k.api_key)}`}>{keyLabel(k, masterHash)}</a>
                    </td>
                    <td data-label="Requests" class="num">
                      {count(k.requests)}
                    </td>
                    <td data-label="Spend" class="num">
                      {money(k.spend)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <Empty title="No key has spent anything in this period" />
          )}
        </section>
      </div>
    </div>
  );
};

interface Totals {
  model: string;
  requests: number;
  errors: number;
  spend: number;
}

/** Totals since start from the gateway's own Prometheus series (what there is without a database). */
export function metricTotals(text: string): Totals[] {
  const by = new Map<string, Totals>();
  const line = /^(litellm_proxy_total_requests_metric|litellm_spend_metric)\{([^}]*)\} (\S+)$/gm;
  for (const m of text.matchAll(line)) {
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]));
    const model = labels.model_group || labels.model || "unknown";
    const t = by.get(model) ?? { model, requests: 0, errors: 0, spend: 0 };
    const v = Number(m[3]);
    if (m[1] === "litellm_spend_metric") t.spend += v;
    else {
      t.requests += v;
      if (labels.status_code !== "200") t.errors += v;
    }
    by.set(model, t);
  }
  return [...by.values()].sort((a, b) => b.requests - a.requests);
}

const SinceStart: FC<{ totals: Totals[] }> = ({ totals }) => (
  <div>
    <div class="notice warn" role="status" data-testid="no-db">
      <h2>No database connected</h2>
      <p>
        Request history, spend over time and keys live in the LiteLLM database (<code>general_settings.database_url</code>). Without one the gateway only counts since it
        started:
      </p>
    </div>
    <Cards
      items={[
        ["Requests since start", count(totals.reduce((s, t) => s + t.requests, 0))],
        ["Errors since start", count(totals.reduce((s, t) => s + t.errors, 0))],
        ["Spend since start", money(totals.reduce((s, t) => s + t.spend, 0))],
      ]}
    />
    <section class="panel">
      <h2>Models since start</h2>
      {totals.length ? (
        <table class="stack">
          <thead>
            <tr>
              <th>Model</th>
              <th class="num">Requests</th>
              <th class="num">Errors</th>
              <th class="num">Spend</th>
            </tr>
          </thead>
          <tbody>
            {totals.map((t) => (
              <tr>
                <td data-label="Model">{t.model}</td>
                <td data-label="Requests" class="num">
                  {count(t.requests)}
                </td>
                <td data-label="Errors" class="num">
                  {count(t.errors)}
                </td>
                <td data-label="Spend" class="num">
                  {money(t.spend)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty title="No requests yet" />
      )}
    </section>
  </div>
);

export function registerOverview({ ui, deps, rt }: UiModule): void {
  const handler = async (c: UiContext) => {
    const v = c.get("viewer");
    const q = c.req.query("range");
    const range: Range = q === "7d" || q === "30d" ? q : "24h";
    const runtime = rt();
    const deployments = runtime.router.groups.allDeployments().length;
    const cooling = deps.state.cooldowns().length;
    let body;
    if (!deps.db) body = <SinceStart totals={metricTotals(deps.metrics())} />;
    else {
      try {
        body = <ActivityView a={await activity(deps.db, scopeOf(v), range)} range={range} masterHash={runtime.auth.masterKeyHash} />;
      } catch (e) {
        body = <Failure error={e} what="Activity" />;
      }
    }
    const batch = runtime.config.general.proxy_batch_write_at ?? 10;
    return html(
      c,
      <Page title="Overview" viewer={v} active="overview" flash={c.get("flash")}>
        <div class="toolbar">
          <p class="muted small">
            {v.admin ? "All keys" : "Your keys"} · {deployments} deployments{cooling ? `, ${cooling} cooling down` : ""} · database{" "}
            {deps.db ? (deps.db.connected ? "connected" : "unreachable") : "not configured"}
            {deps.db && ` · spend is written every ${batch} s`}
          </p>
          {deps.db && (
            <nav aria-label="Period" class="actions">
              {(Object.keys(RANGES) as Range[]).map((r) => (
                <a class={`button${r === range ? " primary" : ""}`} href={`/ui?range=${r}`} aria-current={r === range ? "page" : undefined}>
                  {RANGES[r].label}
                </a>
              ))}
            </nav>
          )}
        </div>
        {body}
      </Page>,
    );
  };
  ui.get("/", handler);
}

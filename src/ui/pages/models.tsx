/** @jsxImportSource hono/jsx */
import { Badge, Empty, Failure } from "../components.tsx";
import type { UiContext, UiModule } from "../context.ts";
import { count, durationText, money, num, obj, str, type Row } from "../format.ts";
import { html } from "../guard.tsx";
import { Page } from "../layout.tsx";

const perMillion = (v: unknown) => (num(v) === undefined ? "–" : money((num(v) ?? 0) * 1e6));

/** `/ui/models`: `/model/info` (config and database models the key may use) with live router state. */
export function registerModels({ ui, deps }: UiModule): void {
  ui.get("/models", async (c: UiContext) => {
    const v = c.get("viewer");
    let body;
    try {
      const { data } = await v.api.get<{ data: Row[] }>("/model/info");
      body = data.length ? (
        <section class="panel">
          <h2>
            Deployments <span class="muted small">router state of this instance, refreshed on every load</span>
          </h2>
          <div class="table-wrap">
            <table class="stack" data-testid="models-table">
              <thead>
                <tr>
                  <th>Model</th>
                  <th>Upstream</th>
                  <th>Source</th>
                  <th class="num">$ per 1M in / out</th>
                  <th class="num">This minute</th>
                  <th class="num">In flight</th>
                  <th class="num">Latency</th>
                  <th>Health</th>
                </tr>
              </thead>
              <tbody>
                {data.map((m) => {
                  const info = obj(m.model_info);
                  const params = obj(m.litellm_params);
                  const id = String(info.id ?? "");
                  const cooling = deps.state.cooldownRemainingMs(id);
                  const usage = deps.state.usage(id);
                  const latency = deps.state.latencyOf(id);
                  const limits = [num(params.rpm) !== undefined && `${count(params.rpm)} rpm`, num(params.tpm) !== undefined && `${count(params.tpm)} tpm`].filter(Boolean).join(", ");
                  return (
                    <tr>
                      <td data-label="Model">
                        <strong>{String(m.model_name)}</strong>
                        <div class="muted small mono" title={id}>
                          {id.slice(0, 12)}
                        </div>
                      </td>
                      <td data-label="Upstream">
                        <span class="mono">{str(params.model) ?? "–"}</span>
                        <div class="muted small">
                          {str(info.litellm_provider)}
                          {str(params.api_base) && ` · ${String(params.api_base)}`}
                        </div>
                      </td>
                      <td data-label="Source">{info.db_model === true ? "database" : "config"}</td>
                      <td data-label="$ per 1M in / out" class="num nowrap">
                        {perMillion(info.input_cost_per_token)} / {perMillion(info.output_cost_per_token)}
                      </td>
                      <td data-label="This minute" class="num">
                        {count(usage.rpm)} req, {count(usage.tpm)} tok
                        {limits && <div class="muted small">limit {limits}</div>}
                      </td>
                      <td data-label="In flight" class="num">
                        {count(deps.state.inflightOf(id))}
                      </td>
                      <td data-label="Latency" class="num">
                        {latency === undefined ? "–" : durationText(latency)}
                      </td>
                      <td data-label="Health" class="nowrap">
                        {cooling > 0 ? <Badge kind="warn">cooling down {Math.ceil(cooling / 1000)} s</Badge> : <Badge kind="ok">available</Badge>}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <p class="muted small">
            A deployment cools down after failures (router_settings <code>allowed_fails</code>, <code>cooldown_time</code>); while it does, the router sends its traffic to the
            others. Latency is a moving average of recent successful calls.
          </p>
        </section>
      ) : (
        <Empty title="No models">Add deployments to model_list in config.yaml{v.admin ? "" : ", or ask an admin to give this key access to some"}.</Empty>
      );
    } catch (e) {
      body = <Failure error={e} what="Models" />;
    }
    return html(
      c,
      <Page title="Models" viewer={v} active="models" flash={c.get("flash")}>
        {body}
      </Page>,
    );
  });
}

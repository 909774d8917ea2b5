import type { EntityKey } from "./book.ts";
import type { SpendEvent } from "./spend-log.ts";

export interface Increments {
  key: Map<string, number>;
  user: Map<string, number>;
  team: Map<string, number>;
  member: Map<string, number>;
  endUser: Map<string, number>;
  org: Map<string, number>;
  tag: Map<string, number>;
}

const add = (m: Map<string, number>, id: string | null | undefined, v: number) => {
  if (id) m.set(id, (m.get(id) ?? 0) + v);
};

const NOT_A_KEY = new Set(["", "failed-to-connect-to-db"]);

/** The entities one event charges, as SpendBook keys. */
export function entityKeys(ev: SpendEvent): EntityKey[] {
  const r = ev.row;
  const out: EntityKey[] = [];
  if (!NOT_A_KEY.has(r.api_key)) out.push(`key:${r.api_key}`);
  if (r.user) out.push(`user:${r.user}`);
  if (r.team_id) out.push(`team:${r.team_id}`);
  if (r.team_id && r.user) out.push(`member:${r.team_id}:${r.user}`);
  if (r.end_user) out.push(`end_user:${r.end_user}`);
  if (r.organization_id) out.push(`org:${r.organization_id}`);
  for (const t of r.request_tags) out.push(`tag:${t}`);
  return out;
}

/** Spend summed per entity over a batch: one `UPDATE … spend = spend + x` per table. */
export function sumIncrements(events: SpendEvent[]): Increments {
  const inc: Increments = { key: new Map(), user: new Map(), team: new Map(), member: new Map(), endUser: new Map(), org: new Map(), tag: new Map() };
  for (const ev of events) {
    const r = ev.row;
    const v = r.spend;
    if (!v) continue;
    if (!NOT_A_KEY.has(r.api_key)) add(inc.key, r.api_key, v);
    add(inc.user, r.user, v);
    add(inc.team, r.team_id, v);
    if (r.team_id && r.user) add(inc.member, `${r.team_id}\u0000${r.user}`, v);
    add(inc.endUser, r.end_user, v);
    add(inc.org, r.organization_id, v);
    for (const t of r.request_tags) add(inc.tag, t, v);
  }
  return inc;
}

/** One aggregated row of a `LiteLLM_Daily*Spend` table. */
export interface DailyRow {
  entity: string;
  date: string;
  api_key: string;
  model: string;
  model_group: string;
  custom_llm_provider: string;
  endpoint: string;
  prompt_tokens: number;
  completion_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  spend: number;
  api_requests: number;
  successful_requests: number;
  failed_requests: number;
}

export type DailyKind = "user" | "team" | "org" | "end_user" | "tag";

function entitiesOf(ev: SpendEvent, kind: DailyKind): string[] {
  const r = ev.row;
  switch (kind) {
    case "user":
      return r.user ? [r.user] : [];
    case "team":
      return r.team_id ? [r.team_id] : [];
    case "org":
      return r.organization_id ? [r.organization_id] : [];
    case "end_user":
      return r.end_user ? [r.end_user] : [];
    case "tag":
      return r.request_tags;
  }
}

/** Daily aggregates of a batch for one table, merged on LiteLLM's unique key. */
export function dailyRows(events: SpendEvent[], kind: DailyKind): DailyRow[] {
  const acc = new Map<string, DailyRow>();
  for (const ev of events) {
    const r = ev.row;
    for (const entity of entitiesOf(ev, kind)) {
      const date = r.startTime.slice(0, 10);
      const k = [entity, date, r.api_key, r.model, r.custom_llm_provider, ev.endpoint].join("\u0000");
      let d = acc.get(k);
      if (!d) {
        d = {
          entity,
          date,
          api_key: r.api_key,
          model: r.model,
          model_group: r.model_group,
          custom_llm_provider: r.custom_llm_provider,
          endpoint: ev.endpoint,
          prompt_tokens: 0,
          completion_tokens: 0,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
          spend: 0,
          api_requests: 0,
          successful_requests: 0,
          failed_requests: 0,
        };
        acc.set(k, d);
      }
      d.prompt_tokens += r.prompt_tokens;
      d.completion_tokens += r.completion_tokens;
      d.cache_read_input_tokens += ev.cacheReadTokens;
      d.cache_creation_input_tokens += ev.cacheCreationTokens;
      d.spend += r.spend;
      d.api_requests += 1;
      if (r.status === "success") d.successful_requests += 1;
      else d.failed_requests += 1;
    }
  }
  return [...acc.values()];
}

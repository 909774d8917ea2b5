/** @jsxImportSource hono/jsx */
import type { Child, FC } from "hono/jsx";
import { ApiError } from "./api.ts";
import { isoOf, money, num, utcText } from "./format.ts";
import { Csrf } from "./layout.tsx";

export const Empty: FC<{ title: string; children?: Child }> = ({ title, children }) => (
  <div class="empty" role="status">
    <strong>{title}</strong>
    {children}
  </div>
);

export const NoDb: FC<{ what: string }> = ({ what }) => (
  <div class="notice warn" role="status" data-testid="no-db">
    <h2>No database connected</h2>
    <p>
      {what} live in the LiteLLM database. Set <code>general_settings.database_url</code> (or <code>DATABASE_URL</code>) and restart the gateway; the management API answers
      “No connected db.” until then.
    </p>
  </div>
);

/** An API failure as the page shows it; a missing database gets its own explanation. */
export const Failure: FC<{ error: unknown; what: string }> = ({ error, what }) => {
  if (error instanceof ApiError && error.noDb) return <NoDb what={what} />;
  const status = error instanceof ApiError ? ` (HTTP ${error.status})` : "";
  return (
    <div class="notice error" role="alert">
      <strong>Could not load {what.toLowerCase()}{status}.</strong> {(error as Error).message}
    </div>
  );
};

export const Badge: FC<{ kind?: "ok" | "bad" | "warn"; id?: string; children?: Child }> = ({ kind, id, children }) => (
  <span class={`badge${kind ? ` ${kind}` : ""}`} id={id}>
    {children}
  </span>
);

export const When: FC<{ at: unknown }> = ({ at }) => {
  const iso = isoOf(at);
  return iso ? (
    <time datetime={iso} data-local>
      {utcText(at)}
    </time>
  ) : (
    <span class="muted">–</span>
  );
};

/** Spend against a budget: a native meter plus the numbers (the meter alone is not announced). */
export const Spend: FC<{ spend: unknown; max: unknown }> = ({ spend, max }) => {
  const s = num(spend) ?? 0;
  const m = num(max);
  if (m === undefined) return <span>{money(s)}</span>;
  return (
    <span>
      <meter min={0} max={m} low={m * 0.8} high={m * 0.95} optimum={0} value={Math.min(s, m)} aria-hidden="true"></meter> {money(s)} / {money(m)}
    </span>
  );
};

/** One POST action as a small form with the CSRF token (works without JavaScript). */
export const Action: FC<{ action: string; csrf: string; label: string; fields?: Record<string, string>; confirm?: string; danger?: boolean; testid?: string }> = (p) => (
  <form method="post" action={p.action} class="inline" data-confirm={p.confirm}>
    <Csrf token={p.csrf} />
    {Object.entries(p.fields ?? {}).map(([k, v]) => (
      <input type="hidden" name={k} value={v} />
    ))}
    <button type="submit" class={`small${p.danger ? " danger" : ""}`} data-testid={p.testid}>
      {p.label}
    </button>
  </form>
);

export const Pager: FC<{ page: number; pages: number; href: (page: number) => string; total?: number }> = ({ page, pages, href, total }) =>
  pages > 1 || total !== undefined ? (
    <nav class="pager" aria-label="Pages">
      {total !== undefined && <span class="muted">{total.toLocaleString("en-US")} total</span>}
      {page > 1 && <a href={href(page - 1)}>← Previous</a>}
      {pages > 1 && (
        <span>
          Page {page} of {pages}
        </span>
      )}
      {page < pages && <a href={href(page + 1)}>Next →</a>}
    </nav>
  ) : null;

export const Checks: FC<{ name: string; legend: string; options: string[]; checked?: string[]; hint?: string }> = (p) => (
  <fieldset>
    <legend>{p.legend}</legend>
    {p.options.length ? (
      <div class="checks">
        {p.options.map((o) => (
          <label>
            <input type="checkbox" name={p.name} value={o} checked={p.checked?.includes(o)} />
            {o}
          </label>
        ))}
      </div>
    ) : (
      <span class="muted small">No models configured.</span>
    )}
    {p.hint && <div class="hint">{p.hint}</div>}
  </fieldset>
);

export const Field: FC<{ label: string; name: string; type?: string; value?: string | number; placeholder?: string; hint?: string; required?: boolean; step?: string; min?: string; id?: string }> = (p) => {
  const id = p.id ?? `f-${p.name}`;
  return (
    <div>
      <label for={id}>{p.label}</label>
      <input id={id} name={p.name} type={p.type ?? "text"} value={p.value} placeholder={p.placeholder} required={p.required} step={p.step} min={p.min} />
      {p.hint && <div class="hint">{p.hint}</div>}
    </div>
  );
};

export const Select: FC<{ label: string; name: string; options: Array<[string, string]>; value?: string; id?: string }> = (p) => {
  const id = p.id ?? `f-${p.name}`;
  return (
    <div>
      <label for={id}>{p.label}</label>
      <select id={id} name={p.name}>
        {p.options.map(([v, text]) => (
          <option value={v} selected={v === (p.value ?? "")}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
};

export const DURATIONS: Array<[string, string]> = [
  ["", "Never"],
  ["1h", "1 hour"],
  ["1d", "1 day"],
  ["7d", "7 days"],
  ["30d", "30 days"],
  ["90d", "90 days"],
];

export const BUDGET_PERIODS: Array<[string, string]> = [
  ["", "No reset"],
  ["1d", "Daily"],
  ["7d", "Weekly"],
  ["30d", "Monthly"],
];

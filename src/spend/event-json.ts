import type { SpendEvent, SpendLogRow } from "./spend-log.ts";

const rowTexts = new WeakMap<SpendLogRow, string>();

/** A row's JSON, made once per row: its journal line and its Postgres insert share it (rows are not changed once queued). */
export function rowJson(row: SpendLogRow): string {
  let text = rowTexts.get(row);
  if (text === undefined) {
    text = JSON.stringify(row);
    rowTexts.set(row, text);
  }
  return text;
}

/** Every field of an event besides `row`, in `eventJson`; a new field of `SpendEvent` fails to compile until it is added there. */
const OTHER_FIELDS: { [K in Exclude<keyof SpendEvent, "row">]: true } = {
  error: true,
  cacheReadTokens: true,
  cacheCreationTokens: true,
  endpoint: true,
  session: true,
};

const num = (n: number) => (Number.isFinite(n) ? String(n) : "null");

/** `JSON.stringify(ev)` as far as `JSON.parse` can tell, with the row's JSON reused. */
export function eventJson(ev: SpendEvent): string {
  const text = `{"row":${rowJson(ev.row)},"cacheReadTokens":${num(ev.cacheReadTokens)},"cacheCreationTokens":${num(ev.cacheCreationTokens)},"endpoint":${JSON.stringify(ev.endpoint)}`;
  if (ev.error === undefined && ev.session === undefined) return `${text}}`;
  return `${text}${ev.error === undefined ? "" : `,"error":${JSON.stringify(ev.error)}`}${ev.session === undefined ? "" : `,"session":${JSON.stringify(ev.session)}`}}`;
}

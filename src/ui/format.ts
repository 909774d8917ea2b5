import { utcDate } from "../db/client.ts";

/** Dollars with enough digits that a single cheap request is not shown as $0.00. */
export function money(v: unknown): string {
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n)) return "–";
  if (n === 0) return "$0";
  const abs = Math.abs(n);
  if (abs >= 1) return `$${n.toFixed(2)}`;
  return `$${n.toPrecision(3).replace(/0+$/, "").replace(/\.$/, "")}`;
}

export function count(v: unknown): string {
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n.toLocaleString("en-US") : "–";
}

export const isoOf = (v: unknown): string | undefined => utcDate(v)?.toISOString();

/** `2025-01-02 13:04 UTC`, the text shown before the client script localizes it. */
export function utcText(v: unknown): string {
  const iso = isoOf(v);
  return iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "–";
}

export function durationText(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export { num, obj, str, strs, type Row } from "../auth/key-record.ts";

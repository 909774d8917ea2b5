import { utcDate } from "../db/client.ts";
import { usd } from "../spend/figures.ts";

export const money = (v: unknown): string => usd(typeof v === "number" ? v : Number(v));

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

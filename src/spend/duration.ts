/** LiteLLM's duration grammar: `<int>(s|m|h|d|w|mo)`, e.g. `30s`, `1h`, `30d`, `1mo`. */
export function parseDuration(s: string): { n: number; unit: "s" | "m" | "h" | "d" | "w" | "mo" } | undefined {
  const m = /^\s*(\d+)\s*(mo|s|m|h|d|w)\s*$/.exec(s);
  if (!m) return undefined;
  return { n: Number(m[1]), unit: m[2] as "s" | "m" | "h" | "d" | "w" | "mo" };
}

/** The latest time a JavaScript Date (and so an ISO timestamp) can hold. */
const MAX_TIME_MS = 8.64e15;

/**
 * Milliseconds of a duration (a month counted as 30 days), for key `duration` → `expires`;
 * undefined when it would end past the last representable date.
 */
export function durationMs(s: string, now = Date.now()): number | undefined {
  const d = parseDuration(s);
  if (!d) return undefined;
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3, mo: 30 * 86400e3 }[d.unit];
  const ms = d.n * unit;
  return now + ms <= MAX_TIME_MS ? ms : undefined;
}

const DAY = 86400e3;
const utcMidnight = (t: Date) => Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate());
const nextMonday = (t: Date) => {
  const mid = utcMidnight(t);
  const dow = new Date(mid).getUTCDay();
  return mid + ((8 - dow) % 7 || 7) * DAY;
};
const firstOfMonth = (t: Date, plus: number) => Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + plus, 1);

/**
 * LiteLLM's `get_next_standardized_reset_time` (UTC): `1d` next midnight, `7d`/`1w` next Monday,
 * `30d`/`1mo` the 1st of next month, `Nh`/`Nm`/`Ns` the next N-aligned boundary of the day,
 * other `Nd` today's midnight + N days.
 */
export function nextResetAt(duration: string, now = new Date()): Date | undefined {
  const at = resetTime(duration, now);
  return at && Number.isFinite(at.getTime()) ? at : undefined;
}

function resetTime(duration: string, now: Date): Date | undefined {
  const d = parseDuration(duration);
  if (!d || d.n <= 0) return undefined;
  const t = now.getTime();
  const mid = utcMidnight(now);
  switch (d.unit) {
    case "s":
    case "m":
    case "h": {
      const step = d.n * { s: 1e3, m: 60e3, h: 3600e3 }[d.unit];
      return new Date(mid + (Math.floor((t - mid) / step) + 1) * step);
    }
    case "d":
      if (d.n === 1) return new Date(mid + DAY);
      if (d.n === 7) return new Date(nextMonday(now));
      if (d.n === 30) return new Date(firstOfMonth(now, 1));
      return new Date(mid + d.n * DAY);
    case "w":
      return new Date(nextMonday(now) + (d.n - 1) * 7 * DAY);
    case "mo":
      return new Date(firstOfMonth(now, d.n));
  }
}

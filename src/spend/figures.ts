/** Dollars with enough digits that a single cheap call is not shown as $0.00. */
export function usd(n: number): string {
  if (!Number.isFinite(n)) return "–";
  if (n === 0) return "$0";
  if (Math.abs(n) >= 1) return `$${n.toFixed(2)}`;
  return `$${n.toPrecision(3).replace(/0+$/, "").replace(/\.$/, "")}`;
}

/** A 0–1 rate as `85%`, or `0.4%` below ten percent. */
export function percent(rate: number): string {
  const p = rate * 100;
  return `${p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1)}%`;
}

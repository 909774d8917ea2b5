/** Dollars with enough digits that a single cheap call is not shown as $0.00. */
export function usd(n: number): string {
  if (!Number.isFinite(n)) return "–";
  if (n === 0) return "$0";
  if (Math.abs(n) >= 1) return `$${n.toFixed(2)}`;
  return `$${n.toPrecision(3).replace(/0+$/, "").replace(/\.$/, "")}`;
}

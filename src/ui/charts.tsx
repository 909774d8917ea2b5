/** @jsxImportSource hono/jsx */
import type { FC } from "hono/jsx";

export interface Series {
  name: string;
  values: number[];
}

const W = 640;
const H = 180;
const PAD = { left: 62, right: 8, top: 10, bottom: 22 };

/** A round axis maximum (1, 2, 5 × 10^n) at or above `v`. */
function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Gridline fractions; the middle one only when its label differs from both ends (small integer axes). */
function ticks(max: number, format: (n: number) => string): number[] {
  const mid = format(max / 2);
  return mid === format(0) || mid === format(max) ? [0, 1] : [0, 0.5, 1];
}

/**
 * Stacked bars as inline SVG (no script, no library): one bar per bucket, one colour per series,
 * a tooltip per bar, and the same numbers as a table for screen readers and keyboard users.
 */
export const BarChart: FC<{ id: string; title: string; labels: string[]; series: Series[]; format: (n: number) => string }> = (p) => {
  const n = p.labels.length;
  const totals = p.labels.map((_, i) => p.series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(1, n);
  const barW = Math.max(1, slot * 0.72);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const every = Math.ceil(n / 8);
  const summary = `${p.title}: total ${p.format(totals.reduce((a, b) => a + b, 0))}, highest ${p.format(Math.max(0, ...totals))}`;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${p.id}-t`}>
        <title id={`${p.id}-t`}>{summary}</title>
        {ticks(max, p.format).map((f) => (
          <g>
            <line class="axis" x1={PAD.left} x2={W - PAD.right} y1={y(max * f)} y2={y(max * f)} />
            <text x={PAD.left - 6} y={y(max * f) + 3} text-anchor="end">
              {p.format(max * f)}
            </text>
          </g>
        ))}
        {p.labels.map((label, i) => {
          let base = 0;
          const x = PAD.left + i * slot + (slot - barW) / 2;
          return (
            <g>
              {p.series.map((s, si) => {
                const v = s.values[i] ?? 0;
                const top = y(base + v);
                const h = y(base) - top;
                base += v;
                return v > 0 ? (
                  <rect class={`s${si}`} x={x.toFixed(1)} y={top.toFixed(1)} width={barW.toFixed(1)} height={Math.max(0.5, h).toFixed(1)} rx="1.5">
                    <title>{`${label} · ${s.name}: ${p.format(v)}`}</title>
                  </rect>
                ) : null;
              })}
              {i % every === 0 && (
                <text x={(x + barW / 2).toFixed(1)} y={H - 6} text-anchor="middle">
                  {label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      {p.series.length > 1 && (
        <figcaption class="legend">
          {p.series.map((s, si) => (
            <span>
              <i class={`s${si}`}></i>
              {s.name}
            </span>
          ))}
        </figcaption>
      )}
      <details class="small">
        <summary>Data table</summary>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Time (UTC)</th>
                {p.series.map((s) => (
                  <th class="num">{s.name}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {p.labels.map((label, i) => (
                <tr>
                  <td>{label}</td>
                  {p.series.map((s) => (
                    <td class="num">{p.format(s.values[i] ?? 0)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
};

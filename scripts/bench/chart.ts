import { Canvas, type RGB } from "./png.ts";

export interface Series {
  name: string;
  color: RGB;
  points: Array<[number, number]>;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  /** x values are drawn on a log10 axis at these ticks */
  xTicks: number[];
  series: Series[];
}

const INK: RGB = [40, 40, 40];
const GRID: RGB = [225, 225, 225];
export const COLORS: RGB[] = [
  [31, 119, 180],
  [214, 39, 40],
  [44, 160, 44],
  [148, 103, 189],
];

function niceStep(max: number): number {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

const label = (v: number) => (v >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1));

function drawPanel(c: Canvas, x0: number, y0: number, w: number, h: number, p: Panel): void {
  const left = x0 + 86;
  const right = x0 + w - 40;
  const top = y0 + 50;
  const bottom = y0 + h - 60;
  c.text(x0 + (w - Canvas.textWidth(p.title)) / 2, y0 + 12, p.title, INK);
  const ys = p.series.flatMap((s) => s.points.map((q) => q[1])).filter(Number.isFinite);
  const step = niceStep(Math.max(1e-9, ...ys) * 1.1);
  const yMax = Math.ceil((Math.max(1e-9, ...ys) * 1.1) / step) * step;
  const lx = (v: number) => Math.log10(v);
  const xMin = lx(Math.min(...p.xTicks));
  const xMax = lx(Math.max(...p.xTicks));
  const px = (v: number) => left + ((lx(v) - xMin) / (xMax - xMin || 1)) * (right - left);
  const py = (v: number) => bottom - (v / yMax) * (bottom - top);
  for (let v = 0; v <= yMax + step / 2; v += step) {
    c.line(left, py(v), right, py(v), GRID);
    const t = label(v);
    c.text(left - 8 - Canvas.textWidth(t), py(v) - 7, t, INK);
  }
  for (const t of p.xTicks) {
    c.line(px(t), top, px(t), bottom, GRID);
    const s = t.toLocaleString("en-US");
    c.text(px(t) - Canvas.textWidth(s) / 2, bottom + 8, s, INK);
  }
  c.line(left, top, left, bottom, INK, 2);
  c.line(left, bottom, right, bottom, INK, 2);
  c.text(left + (right - left - Canvas.textWidth(p.xLabel)) / 2, bottom + 32, p.xLabel, INK);
  c.textUp(x0 + 8, bottom - (bottom - top - Canvas.textWidth(p.yLabel)) / 2, p.yLabel, INK);
  p.series.forEach((s, i) => {
    const pts = s.points.filter((q) => Number.isFinite(q[1]));
    for (let k = 1; k < pts.length; k++) c.line(px(pts[k - 1]![0]), py(pts[k - 1]![1]), px(pts[k]![0]), py(pts[k]![1]), s.color, 3);
    for (const q of pts) c.rect(px(q[0]) - 4, py(q[1]) - 4, 9, 9, s.color);
    const ly = top + 4 + i * 20;
    c.rect(left + 14, ly + 3, 14, 8, s.color);
    c.text(left + 34, ly, s.name, INK);
  });
}

/** Side-by-side panels as one PNG. */
export function chartPng(panels: Panel[], panelW = 560, panelH = 400): Uint8Array {
  const c = new Canvas(panelW * panels.length, panelH);
  panels.forEach((p, i) => drawPanel(c, i * panelW, 0, panelW, panelH, p));
  return c.png();
}

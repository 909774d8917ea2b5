/**
 * Summarises a `bun --cpu-prof` profile: self and inclusive share per function, top N, by sample
 * count (a sample's timeDelta includes the idle gap before it, which would inflate whatever ran
 * after a wait); `(idle)` samples are left out.
 * Usage: bun scripts/bench/profile-top.ts FILE.cpuprofile [N]
 */
export {};

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, nArg] = process.argv.slice(2);
const prof = (await Bun.file(file!).json()) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
for (const id of prof.samples) if (byId.get(id)?.callFrame.functionName !== "(idle)") self.set(id, (self.get(id) ?? 0) + 1);
const total = [...self.values()].reduce((a, b) => a + b, 0);
const key = (n: Node) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;
const selfBy = new Map<string, number>();
const inclBy = new Map<string, number>();
for (const [id, t] of self) {
  selfBy.set(key(byId.get(id)!), (selfBy.get(key(byId.get(id)!)) ?? 0) + t);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur)!);
    if (seen.has(k)) continue;
    seen.add(k);
    inclBy.set(k, (inclBy.get(k) ?? 0) + t);
  }
}
const n = Number(nArg ?? 30);
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (${total} samples)`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
};
show("self time", selfBy);
show("inclusive time", inclBy);

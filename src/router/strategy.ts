import type { Deployment } from "./deployment.ts";
import type { RouterState } from "./state.ts";

export type RoutingStrategy =
  | "simple-shuffle"
  | "least-busy"
  | "usage-based-routing"
  | "usage-based-routing-v2"
  | "latency-based-routing"
  | "cost-based-routing";

/**
 * Deployments that may take a request now: not cooling down, under their per-minute rpm/tpm,
 * not at `max_parallel_requests`, and of the lowest `order` present among those.
 */
export function healthyDeployments(list: Deployment[], state: RouterState, now = Date.now()): Deployment[] {
  if (list.length === 1) {
    const d = list[0]!;
    return available(d, state, now) ? list : [];
  }
  let minOrder = Infinity;
  const ok: Deployment[] = [];
  for (const d of list) {
    if (!available(d, state, now)) continue;
    ok.push(d);
    const o = d.order ?? Infinity;
    if (o < minOrder) minOrder = o;
  }
  if (minOrder === Infinity) return ok;
  return ok.filter((d) => (d.order ?? Infinity) === minOrder);
}

function available(d: Deployment, state: RouterState, now: number): boolean {
  if (state.isCoolingDown(d.id, now)) return false;
  if (d.rpm !== undefined || d.tpm !== undefined) {
    const u = state.usage(d.id);
    if (d.rpm !== undefined && u.rpm >= d.rpm) return false;
    if (d.tpm !== undefined && u.tpm >= d.tpm) return false;
  }
  if (d.maxParallel !== undefined && state.inflightOf(d.id) >= d.maxParallel) return false;
  return true;
}

function weightedPick(list: Deployment[], weightOf: (d: Deployment) => number, rand: () => number): Deployment {
  let total = 0;
  for (const d of list) total += Math.max(0, weightOf(d));
  if (total <= 0) return list[Math.floor(rand() * list.length)]!;
  let r = rand() * total;
  for (const d of list) {
    r -= Math.max(0, weightOf(d));
    if (r < 0) return d;
  }
  return list[list.length - 1]!;
}

function minBy(list: Deployment[], score: (d: Deployment) => number, rand: () => number): Deployment {
  let best: Deployment[] = [];
  let bestScore = Infinity;
  for (const d of list) {
    const s = score(d);
    if (s < bestScore) {
      bestScore = s;
      best = [d];
    } else if (s === bestScore) best.push(d);
  }
  return best[Math.floor(rand() * best.length)]!;
}

export interface PickOptions {
  costPerToken?: (d: Deployment) => number;
  rand?: () => number;
}

/** Chooses one of the healthy deployments with the configured strategy. */
export function chooseDeployment(
  strategy: RoutingStrategy,
  healthy: Deployment[],
  state: RouterState,
  opts: PickOptions = {},
): Deployment | undefined {
  if (healthy.length <= 1) return healthy[0];
  const rand = opts.rand ?? Math.random;
  switch (strategy) {
    case "least-busy":
      return minBy(healthy, (d) => state.inflightOf(d.id), rand);
    case "latency-based-routing": {
      const untested = healthy.filter((d) => state.latencyOf(d.id) === undefined);
      if (untested.length) return untested[Math.floor(rand() * untested.length)];
      return minBy(healthy, (d) => Math.round(state.latencyOf(d.id)!), rand);
    }
    case "usage-based-routing":
    case "usage-based-routing-v2":
      return minBy(healthy, (d) => state.usage(d.id).tpm, rand);
    case "cost-based-routing":
      return minBy(healthy, (d) => opts.costPerToken?.(d) ?? 0, rand);
    default: {
      const first = healthy[0]!;
      if (first.weight !== undefined) return weightedPick(healthy, (d) => d.weight ?? 0, rand);
      if (first.rpm !== undefined) return weightedPick(healthy, (d) => d.rpm ?? 0, rand);
      if (first.tpm !== undefined) return weightedPick(healthy, (d) => d.tpm ?? 0, rand);
      return healthy[Math.floor(rand() * healthy.length)];
    }
  }
}

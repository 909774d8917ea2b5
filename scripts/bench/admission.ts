/**
 * The admission's own cost, in process, against a real Redis: per kind of key, calls one at a time
 * (admit, then settle at once, as a fast upstream does), this build's `src/limits` against another
 * tree's (a checkout of main, `--baseline DIR` naming its `src`), in interleaved rounds.
 * Reports per call: the time `admit` takes (the request path), this process's CPU (admission,
 * settlement and the batched scripts) and Redis's CPU for the scripts (`INFO commandstats`).
 *
 * `--concurrency N` admits N calls at once per step (a server under load) instead of one.
 *
 * Usage: bun scripts/bench/admission.ts [--calls N] [--rounds N] [--concurrency N] [--baseline DIR] [--redis URL]
 */
import { RedisClient } from "bun";
import { resolve } from "node:path";
import type { Admission, BudgetLine, Hold, LimitDescriptor } from "../../src/limits/types.ts";
import { median, pct, sortedFloat } from "./stats.ts";

const argv = process.argv.slice(2);
const opt = (name: string, d: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1]! : d);
const CALLS = Number(opt("--calls", "5000"));
const ROUNDS = Number(opt("--rounds", "5"));
const REDIS = opt("--redis", "redis://127.0.0.1:6379");
const CONCURRENCY = Math.max(1, Number(opt("--concurrency", "1")));
const BASELINE = argv.includes("--baseline") ? resolve(opt("--baseline", "")) : undefined;

type Make = (client: RedisClient) => Admission;

async function implementation(src: string): Promise<Make> {
  const m = (await import(`${src}/limits/redis.ts`)) as { RedisAdmission: new (c: RedisClient, h: { failed(): void }) => Admission };
  return (c) => new m.RedisAdmission(c, { failed() {} });
}

const run = crypto.randomUUID().slice(0, 8);
const budget = (kind: string): BudgetLine => ({ id: `key:bench-${run}-${kind}`, entity: "Key=bench", max: 1e9, spend: { value: 0 }, atMax: true, shared: true });
const limit = (kind: string, l: Partial<LimitDescriptor>): LimitDescriptor => ({ name: "api_key", value: `bench-${run}-${kind}`, ...l });

const KINDS: Record<string, (impl: string) => { budgets: BudgetLine[]; limits: LimitDescriptor[] }> = {
  // Nothing to reserve: what the loop itself costs, to subtract.
  "(none)": () => ({ budgets: [], limits: [] }),
  budget: (i) => ({ budgets: [budget(`b-${i}`)], limits: [] }),
  tpm: (i) => ({ budgets: [], limits: [limit(`t-${i}`, { tpm: 1e12 })] }),
  "budget+tpm": (i) => ({ budgets: [budget(`bt-${i}`)], limits: [limit(`bt-${i}`, { tpm: 1e12 })] }),
  "rpm+tpm": (i) => ({ budgets: [], limits: [limit(`rt-${i}`, { rpm: 1e9, tpm: 1e12 })] }),
};

async function redisUsec(c: RedisClient): Promise<number> {
  const info = String(await c.send("INFO", ["commandstats"]));
  let usec = 0;
  for (const m of info.matchAll(/cmdstat_(?:evalsha|eval):calls=\d+,usec=(\d+)/g)) usec += Number(m[1]);
  return usec;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

async function measure(make: Make, client: RedisClient, kind: string, impl: string) {
  const adm = make(client);
  const plan = KINDS[kind]!(impl);
  let seq = 0;
  const hold = (): Hold => ({ id: `${run}:${impl}:${seq++}`, plan, est: { cost: 0.01, tokens: 100 }, window: 0, redis: false, renewedAt: Date.now(), settled: false });
  for (let i = 0; i < 200; i++) {
    const h = hold();
    await adm.admit(h);
    adm.settle(h, 0.01, 100);
    await tick();
  }
  await Bun.sleep(20);
  const lat: number[] = [];
  const redis0 = await redisUsec(client);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < CALLS; i += CONCURRENCY) {
    const holds = Array.from({ length: CONCURRENCY }, hold);
    await Promise.all(
      holds.map(async (h) => {
        const t0 = performance.now();
        await adm.admit(h);
        lat.push((performance.now() - t0) * 1000);
      }),
    );
    for (const h of holds) adm.settle(h, 0.01, 100);
    await tick();
  }
  adm.flush?.();
  await Bun.sleep(20);
  const cpu = process.cpuUsage(cpu0);
  const redis = (await redisUsec(client)) - redis0;
  const s = sortedFloat(lat);
  return { p50: pct(s, 50), p99: pct(s, 99), cpu: (cpu.user + cpu.system) / lat.length, redis: redis / lat.length };
}

const client = new RedisClient(REDIS);
await client.connect();
const impls: Array<[string, Make]> = [["this build", await implementation(resolve(import.meta.dir, "../../src"))]];
if (BASELINE) impls.push(["baseline", await implementation(BASELINE)]);
const results = new Map<string, Array<{ p50: number; p99: number; cpu: number; redis: number }>>();
for (let round = 1; round <= ROUNDS; round++) {
  for (const kind of Object.keys(KINDS)) {
    for (const [name, make] of round % 2 ? impls : [...impls].reverse()) {
      const r = await measure(make, client, kind, `${name}-${round}`);
      const k = `${kind} | ${name}`;
      results.set(k, [...(results.get(k) ?? []), r]);
    }
  }
  console.error(`round ${round}/${ROUNDS} done`);
}
client.close();
const f = (x: number) => x.toFixed(1);
console.log(`| key limits | admission | admit p50 µs | admit p99 µs | process CPU µs/call | Redis CPU µs/call |`);
console.log(`| --- | --- | --- | --- | --- | --- |`);
for (const [k, rs] of results) {
  const med = (sel: (r: (typeof rs)[number]) => number) => f(median(rs.map(sel)));
  console.log(`| ${k} | ${med((r) => r.p50)} | ${med((r) => r.p99)} | ${med((r) => r.cpu)} | ${med((r) => r.redis)} |`);
}

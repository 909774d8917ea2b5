import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { countSpendRows, createBenchDb, generateKey, seed, type BenchDb } from "./database.ts";
import { ms, num, table } from "./report.ts";
import { Results } from "./results.ts";
import { sessionApiLatency } from "./sessions-scale.ts";
import { c50, serial, type ShapeCtx } from "./shapes.ts";
import { litellmConfig, litellmSubjects, startLitellm, type ScenarioOpts, type Subject } from "./subjects.ts";

export const SEED_KEYS = 100_000;
export const SEED_SPEND_ROWS = 1_000_000;

/**
 * The gateway on a fresh database next to one holding 100,000 virtual keys and 1,000,000 spend rows:
 * added latency with a virtual key (the hot path must not feel the table sizes), and whether the
 * batch writer keeps up: every answered request must come back as exactly one spend row.
 */
export async function dbScale(opts: ScenarioOpts): Promise<string> {
  const dbs: BenchDb[] = [];
  const gws: Array<{ label: string; db: BenchDb; subject: Subject; port: number; served: number; seeded: number; stop: () => Promise<void> }> = [];
  const r = new Results();
  try {
    for (const [tag, keys, rows] of [["empty", 0, 0], ["large", SEED_KEYS, SEED_SPEND_ROWS]] as const) {
      const db = await createBenchDb(tag);
      if ("note" in db) return `Not measured: ${db.note}.`;
      dbs.push(db);
      const cfg = join(opts.ctx.dir, `db-${tag}.yaml`);
      writeFileSync(cfg, litellmConfig(opts.fakes, db.url));
      const { proc, port } = await startLitellm(`db-${tag}`, opts.gw, cfg, opts.logDir);
      if (rows) {
        opts.log(`seeding ${num(keys)} keys and ${num(rows)} spend rows`);
        await seed(db.url, keys, rows);
      }
      const key = await generateKey(port, `bench-${tag}`);
      const subject = { ...litellmSubjects(proc, port, key)[0]!, id: `db-${tag}` as Subject["id"], label: rows ? `${num(keys)} keys, ${num(rows)} spend rows` : "empty database" };
      gws.push({ label: subject.label, db, subject, port, served: 0, seeded: rows, stop: () => proc.stop(20_000) });
    }
    for (const g of gws) g.served += (await c50.run(g.subject, { ...opts.ctx, d: { ...opts.ctx.d, c50S: 2 } })).requests ?? 0;
    for (let round = 1; round <= opts.rounds; round++) {
      r.add(round, "serial", "direct", await serial.run(opts.direct, opts.ctx));
      for (const g of gws) {
        const s = await serial.run(g.subject, opts.ctx);
        const c = await c50.run(g.subject, opts.ctx);
        g.served += (s.requests ?? 0) + (c.requests ?? 0);
        r.add(round, "serial", g.subject.id, s);
        r.add(round, "c50", g.subject.id, c);
        opts.log(`db round ${round}/${opts.rounds} ${g.label.padEnd(34)} p50 ${ms(s.p50!)}, ${num(c.rps ?? 0)} req/s`);
      }
    }
    const large = gws[gws.length - 1]!;
    const sessions = await sessionApiLatency(large.port, large.db.url, large.seeded, opts.log);
    const rows: string[][] = [];
    for (const g of gws) {
      await g.stop();
      const written = (await countSpendRows(g.db.url)) - g.seeded;
      rows.push([
        g.label,
        ms(r.added("serial", g.subject.id, "p50")),
        ms(r.added("serial", g.subject.id, "p99")),
        num(r.med("c50", g.subject.id, "rps")),
        num(r.med("c50", g.subject.id, "cpuUsPerReq"), 1),
        `${num(written)} / ${num(g.served)}`,
      ]);
    }
    return `${table(["database", "added p50 (virtual key)", "added p99", "req/s at 50 concurrent", "CPU µs / req", "spend rows written / requests answered"], rows)}

Rows are counted after the gateway's shutdown flush. "Answered" counts what wrk saw complete; when a
wrk run stops, up to 50 requests are still in flight, are served, and are logged too.

### Coding sessions at ${num(large.seeded)} spend rows

${sessions}`;
  } finally {
    for (const g of gws) await g.stop();
    for (const db of dbs) await db.drop();
  }
}

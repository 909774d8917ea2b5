#!/usr/bin/env bun
/**
 * The benchmark: litellm-rust next to a direct call, a bare Bun proxy, nginx and Portkey, in one
 * run of interleaved rounds. `bun scripts/bench.ts --help` (or `npm run bench -- --help`).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { setPriority } from "node:os";
import { join } from "node:path";
import { agentChart, agentTable, agentTargets, c50Table, loadWorkloads, runAgentShapes } from "./bench/agent.ts";
import { configScale } from "./bench/config-scale.ts";
import { createBenchDb, dropAll, generateKey } from "./bench/database.ts";
import { dbScale } from "./bench/db-scale.ts";
import { AGENT_CHART, CHART, writeDocs } from "./bench/docs.ts";
import { HELP, parseOptions } from "./bench/options.ts";
import { LOAD_CPU, rssMiB, stopAll, which, type Proc } from "./bench/proc.ts";
import { matrixTables, targets, targetsTable } from "./bench/report.ts";
import { Results } from "./bench/results.ts";
import { c50, rate400, serial, streams, type Shape, type ShapeCtx } from "./bench/shapes.ts";
import {
  directSubject,
  litellmConfig,
  litellmSubjects,
  probe,
  ROOT,
  startFakes,
  startFloor,
  startLitellm,
  startNginx,
  startPortkey,
  type GatewayCommand,
  type Subject,
} from "./bench/subjects.ts";
import { sinkOverhead } from "./bench/sinks.ts";
import { workerScaling } from "./bench/workers.ts";

const log = (s: string) => process.stderr.write(`${s}\n`);

function gatewayCommand(source: boolean, build: boolean): GatewayCommand {
  if (source) return { cmd: [process.execPath, join(ROOT, "src/main.ts")], label: "bun src/main.ts" };
  const bin = join(ROOT, "dist/litellm-rust");
  if (build) {
    const cmd = existsSync(join(ROOT, "scripts/build.ts"))
      ? [process.execPath, "run", "build"]
      : [process.execPath, "build", "--compile", "--production", "src/main.ts", "--outfile", "dist/litellm-rust"];
    log(`building: ${cmd.slice(1).join(" ")}`);
    const r = Bun.spawnSync(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`build failed:\n${r.stderr.toString()}`);
  }
  if (!existsSync(bin)) throw new Error(`${bin} is missing (run without --no-build)`);
  return { cmd: [bin], label: "dist/litellm-rust (compiled)" };
}

/** Which subjects take part in each shape (translation rides along where it is cheap to add). */
function applies(shape: Shape, s: Subject): boolean {
  if (s.id === "translate") return shape.id === "serial" || shape.id === "c50" || shape.id === "stream200";
  return true;
}

function summary(shape: Shape, m: Record<string, number>): string {
  const f = (us?: number) => (us === undefined ? "n/a" : `${(us / 1000).toFixed(3)}ms`);
  if (shape.id === "serial") return `p50 ${f(m.p50)} p99 ${f(m.p99)}`;
  if (shape.id === "c50") return `${Math.round(m.rps ?? 0)} req/s${m.cpuUsPerReq ? `, ${m.cpuUsPerReq.toFixed(1)} CPU µs/req` : ""}`;
  if (shape.id === "rate") return `p50 ${f(m.p50)} p99 ${f(m.p99)} errors ${m.errors}`;
  return `first chunk p50 ${f(m.ttfbP50)} p99 ${f(m.ttfbP99)} gap p99 ${f(m.gapP99)} lost ${m.lostChunks} failed ${m.failed}${m.rssPeak ? ` rss ${m.rssPeak.toFixed(0)}MB` : ""}`;
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  if (!opts) {
    console.log(HELP);
    return 0;
  }
  for (const tool of ["taskset", "wrk"]) {
    if (!which(tool)) {
      log(`${tool} is required: apt-get install -y ${tool === "wrk" ? "wrk" : "util-linux"}`);
      return 2;
    }
  }
  Bun.spawnSync(["taskset", "-acp", LOAD_CPU, String(process.pid)], { stdout: "ignore" });
  if (opts.nice) setPriority(0, opts.nice);
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
  const outDir = opts.out ?? join(ROOT, "bench-out", stamp);
  const logDir = join(outDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const ctx: ShapeCtx = { dir: outDir, d: opts.d };
  const gw = gatewayCommand(opts.source, opts.build);
  const started = Date.now();
  const results = new Results();
  const env = `${Bun.spawnSync(["uname", "-srm"]).stdout.toString().trim()}, ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}, load average at start ${(await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ")}${opts.nice ? `, nice ${opts.nice}` : ""}`;
  const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT }).stdout.toString().trim();
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no", "src"], { cwd: ROOT }).stdout.toString().trim() ? " with uncommitted changes in src/" : "";
  const mode = `${opts.only ? `--only ${opts.only}, ` : ""}${opts.quick ? "quick" : "full"}`;
  const rounds = opts.only ? opts.agentRounds : opts.rounds;
  log(`bench: ${mode} run, commit ${commit}${dirty}, ${rounds} rounds, gateway ${gw.label}, output in ${outDir}\n${env}`);

  const fakes = await startFakes(logDir);
  const direct = directSubject(fakes);
  const floor = await startFloor(fakes, logDir);
  const nginx = opts.skip.has("nginx") ? undefined : await startNginx(fakes, logDir);
  const portkey = opts.skip.has("portkey") ? undefined : await startPortkey(fakes, logDir, join(ROOT, ".bench/portkey"));
  const db = opts.skip.has("db") ? { note: "database skipped (--skip db)" } : await createBenchDb("main");
  if ("note" in db) results.notes.push(`litellm-rust runs on the master key without a database: ${db.note}`);
  else results.notes.push("litellm-rust authenticates a virtual key from a fresh Postgres database (made with /key/generate) and writes spend logs (batched)");
  if (opts.keyLimits.length) results.notes.push(`the virtual keys have ${opts.keyLimits.join(" and ")} limits: every call reserves its estimate and settles it`);
  if (opts.redisUrl) results.notes.push("the gateways share Redis (budgets, rate limits and reservations counted there)");
  const configPath = join(outDir, "litellm-bench.yaml");
  writeFileSync(configPath, litellmConfig(fakes, "note" in db ? undefined : db.url, opts.redisUrl));
  const lr = await startLitellm("litellm-rust", gw, configPath, logDir);
  const base = opts.baseline ? await startLitellm("baseline", { cmd: [opts.baseline], label: opts.baseline }, configPath, logDir) : undefined;
  // Idle = started and listening, before any LLM request (the bare proxy's readiness probe is one).
  await Bun.sleep(1000);
  const idleRss = new Map<Proc, number>();
  for (const p of [floor.proc, nginx?.proc, portkey?.proc, lr.proc, base?.proc]) if (p) idleRss.set(p, rssMiB(p.pids()));
  const [litellm, translate] = litellmSubjects(lr.proc, lr.port, "note" in db ? undefined : await generateKey(lr.port, "bench", opts.keyLimits));
  const candidates: Subject[] = [direct, floor, ...(nginx ? [nginx] : []), ...(portkey ? [portkey] : []), litellm!];
  if (base) {
    const baseKey = "note" in db ? undefined : await generateKey(base.port, "bench-baseline", opts.keyLimits);
    candidates.push({ ...litellmSubjects(base.proc, base.port, baseKey)[0]!, id: "baseline", label: `baseline (${opts.baseline})` });
  }
  if (!opts.skip.has("translate")) {
    const why = await probe(translate!.target("zero", false));
    if (why) translate!.note = `translation route n/a (Anthropic client on an OpenAI deployment answered ${why})`;
    candidates.push(translate!);
  }
  const subjects = candidates.filter((s) => {
    if (s.note) {
      log(`note: ${s.note}`);
      results.notes.push(s.note);
    }
    return !s.note;
  });
  for (const s of subjects) {
    const why = await probe(s.target("zero", false));
    if (why) throw new Error(`${s.label} does not answer: ${why}`);
  }

  await Bun.sleep(1000);
  for (const s of subjects) {
    if (!s.proc) continue;
    const warm = rssMiB(s.proc.pids());
    results.memory.set(s.id, { idle: idleRss.get(s.proc) ?? warm, warm, peak: 0, after: 0 });
  }

  const shapes: Shape[] = opts.only ? [] : [serial, c50];
  if (!opts.skip.has("rate")) shapes.push(rate400);
  if (!opts.skip.has("streams")) for (const n of opts.streams) shapes.push(streams(n, n >= 1000 ? 1000 : 500));

  log(`warm-up, ${opts.warmS} s of 50 concurrent per subject (not counted: JIT tiers settle over seconds)`);
  for (const s of subjects) {
    await c50.run(s, { ...ctx, d: { ...ctx.d, c50S: opts.warmS } });
    if (!opts.skip.has("streams") && applies(shapes.at(-1)!, s)) await streams(200, 500).run(s, ctx);
  }

  for (let round = 1; round <= opts.rounds; round++) {
    for (const shape of shapes) {
      for (const s of subjects) {
        if (!applies(shape, s)) continue;
        const m = await shape.run(s, ctx);
        results.add(round, shape.id, s.id, m);
        log(`round ${round}/${opts.rounds} ${shape.id.padEnd(10)} ${s.label.slice(0, 28).padEnd(28)} ${summary(shape, m)}`);
        await Bun.sleep(200);
      }
    }
  }
  await Bun.sleep(2000);
  for (const s of subjects) {
    const mem = results.memory.get(s.id);
    if (!mem || !s.proc) continue;
    mem.after = rssMiB(s.proc.pids());
    mem.peak = Math.max(mem.idle, mem.after, ...results.samples.filter((x) => x.subject === s.id).map((x) => x.m.rssPeak ?? 0));
  }
  const agentSections: Record<string, string> = {};
  const charts: Record<string, Uint8Array> = {};
  if (!opts.skip.has("agent")) {
    const agentStarted = Date.now();
    const workloads = loadWorkloads();
    log(`coding-agent shapes: ${workloads.map((w) => `${w.title} ${w.bodies.map((b) => b.bytes).join("/")} bytes`).join("; ")}`);
    const c50Ctx = { ...ctx, d: { ...ctx.d, c50S: Math.min(ctx.d.c50S, 2) } };
    await runAgentShapes({ rounds: opts.agentRounds, seconds: opts.agentS, warmS: opts.quick ? 1 : 2, subjects, workloads, results, c50: opts.only ? c50Ctx : undefined, log });
    const agentSubjects = subjects.filter((s) => s.agent);
    const day = new Date().toISOString().slice(0, 16).replace("T", " ");
    agentSections["agent-run"] = `${day} UTC, commit ${commit}${dirty}; ${mode} run, ${opts.agentRounds} rounds of ${opts.agentS} s per cell, ${((Date.now() - agentStarted) / 60000).toFixed(1)} min for this part; gateway: ${gw.label}; ${env}`;
    agentSections["agent-targets"] = targetsTable(agentTargets(results, workloads));
    for (const w of workloads) agentSections[`agent-${w.api}`] = agentTable(results, agentSubjects, w);
    agentSections["agent-c50"] = c50Table(results, subjects);
    charts[AGENT_CHART] = agentChart(results, agentSubjects, workloads);
    writeFileSync(join(outDir, AGENT_CHART), charts[AGENT_CHART]);
  }
  for (const s of [floor, nginx, portkey]) await s?.proc?.stop();
  await lr.proc.stop(20_000);
  await base?.proc.stop();

  const sections: Record<string, string> = {};
  if (!opts.only) {
    sections.targets = targetsTable(targets(results, Math.max(...opts.streams)));
    sections.matrix = matrixTables(results, subjects, opts.streams);
  }
  if (!opts.skip.has("workers")) {
    log("--num_workers scaling");
    sections.workers = await workerScaling({ rounds: opts.workerRounds, gw, configPath, ctx, logDir, log });
  }
  if (!opts.skip.has("sinks")) {
    log("logging callbacks on the request path");
    sections.sinks = await sinkOverhead({ rounds: opts.quick ? 2 : 3, fakes, direct, gw, ctx, logDir, log });
  }
  if (!opts.skip.has("scale")) {
    log("config scale");
    const sc = await configScale({ sizes: opts.scaleSizes, rounds: opts.scaleRounds, fakes, direct, gw, ctx, logDir, log });
    sections.scale = sc.markdown;
    charts[CHART] = sc.png;
    writeFileSync(join(outDir, "config-scale.png"), sc.png);
  }
  if (!opts.skip.has("db") && !opts.skip.has("dbscale")) {
    log("database scale");
    sections.db = await dbScale({ rounds: opts.quick ? 1 : 2, fakes, direct, gw, ctx, logDir, log });
  } else if (!opts.only) sections.db = "Skipped (--skip db or dbscale).";
  if (!("note" in db)) await db.drop();
  const minutes = ((Date.now() - started) / 60000).toFixed(1);
  const run = `${mode} run, ${rounds} rounds, ${minutes} min, commit ${commit}${dirty}; gateway: ${gw.label}; ${env}`;
  const notes = results.notes.map((n) => `- ${n}`).join("\n");
  if (!opts.only) Object.assign(sections, { run, notes });
  Object.assign(sections, agentSections);

  writeFileSync(join(outDir, "results.json"), JSON.stringify({ options: { ...opts, skip: [...opts.skip] }, sections, ...results.toJSON() }, null, 1));
  const report = [
    `Run: ${run}`,
    notes,
    sections.targets ? `## Targets\n\n${sections.targets}` : "",
    sections.matrix ? `## Matrix\n\n${sections.matrix}` : "",
    agentSections["agent-targets"] ? `## Coding-agent targets (issue 15)\n\n${agentSections["agent-targets"]}` : "",
    agentSections["agent-claude"] ? `## Claude Code, one request at a time\n\n${agentSections["agent-claude"]}` : "",
    agentSections["agent-codex"] ? `## Codex, one request at a time\n\n${agentSections["agent-codex"]}` : "",
    agentSections["agent-c50"] ? `## 50 concurrent, small body\n\n${agentSections["agent-c50"]}` : "",
    sections.workers ? `## --num_workers\n${sections.workers}` : "",
    sections.sinks ? `## Logging callbacks\n${sections.sinks}` : "",
    sections.scale ? `## Config scale\n${sections.scale}` : "",
    sections.db ? `## Database scale\n${sections.db}` : "",
  ]
    .filter(Boolean)
    .join("\n\n");
  writeFileSync(join(outDir, "report.md"), report);
  console.log(report);
  if (opts.updateDocs) writeDocs(sections, charts);
  log(`\nresults: ${join(outDir, "results.json")}, report: ${join(outDir, "report.md")}${opts.updateDocs ? ", docs/benchmarks.md updated" : ""}`);
  return 0;
}

process.on("SIGINT", () => {
  void stopAll()
    .then(dropAll)
    .then(() => process.exit(130));
});
let code = 1;
try {
  code = await main();
} catch (e) {
  log(`bench failed: ${(e as Error).stack ?? e}`);
} finally {
  await stopAll();
  await dropAll();
}
process.exit(code);

import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthCache, InvalidationBus, type Invalidation } from "../auth/key-cache.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import { visibleModels, type ModelCatalog } from "../auth/model-access.ts";
import { VirtualKeyAuth } from "../auth/virtual-keys.ts";
import type { GatewayConfig } from "../config/index.ts";
import type { CallSink } from "../gateway/types.ts";
import { MemoryAdmission } from "../limits/memory.ts";
import { RedisAdmission } from "../limits/redis.ts";
import type { Admission } from "../limits/types.ts";
import type { Logger } from "../log.ts";
import type { Deployment } from "../router/deployment.ts";
import type { RedisLink } from "../redis.ts";
import type { Runtime } from "../runtime.ts";
import { SpendBook } from "../spend/book.ts";
import { startBudgetResetJob } from "../spend/budget-reset.ts";
import { isZeroCost } from "../spend/cost.ts";
import { CostEstimator } from "../spend/estimate.ts";
import { Reservations } from "../spend/reservations.ts";
import { TagBudgets } from "../spend/tag-budgets.ts";
import { spendSink } from "../spend/sink.ts";
import { JOURNAL_COMMIT_MS, SpendJournal } from "../spend/journal.ts";
import { SpillStore } from "../spend/spill.ts";
import { SpendTracker, type RepairCounters } from "../spend/tracker.ts";
import { SpendWriter } from "../spend/writer.ts";
import { GlobalSpend } from "../spend/global-spend.ts";
import { ModelBudgetBook } from "../spend/model-budgets.ts";
import { Database } from "./client.ts";
import { dbModelsStamp } from "./db-model-store.ts";
import { loadDbModels, storeModelInDb } from "./db-models.ts";
import { KeyQueries } from "./key-queries.ts";
import { SessionBudgets } from "../sessions/budget.ts";
import { LiveSessions } from "../sessions/live.ts";
import { CodingSessionStore } from "../sessions/store.ts";

const DEFAULT_CACHE_TTL_S = 60;
const MAX_BUFFERED_EVENTS = 50_000;
/** How often tag budgets (`LiteLLM_TagTable` with a budget) and their spend are re-read. */
const TAG_BUDGETS_REFRESH_MS = 10_000;
/** How often an instance looks for models added, changed or deleted by another one (LiteLLM polls every 10 s). */
const DEFAULT_MODEL_POLL_S = 10;

/** Everything the LiteLLM database brings: virtual keys, spend tracking, management data. */
export interface DbServices {
  db: Database;
  cache: AuthCache;
  book: SpendBook;
  keys: VirtualKeyAuth;
  sink: CallSink;
  tracker: SpendTracker;
  /** The coding-sessions rollup table. */
  sessions: CodingSessionStore;
  /** Models stored in the database (`store_model_in_db`), as last read. */
  models: Deployment[];
  /** Re-reads the database models and hands them to `onModels` (after a model write, or when the poll sees a change). */
  reloadModels(): Promise<void>;
  onModels?: (models: Deployment[]) => void;
  config: GatewayConfig;
  invalidate(i: Invalidation): void;
  /** Told of every invalidation this instance makes (after the caches): e.g. ending UI sessions of a blocked key. */
  onInvalidate: Array<(i: Invalidation) => void | Promise<void>>;
  /** Resolves once the work the invalidations made so far started (`onInvalidate` hooks) is done. */
  settled(): Promise<void>;
  /** Writes every queued spend event now. */
  flush(): Promise<void>;
  /** Flushes spend (what cannot be written stays on disk), stops the jobs, closes the pool. */
  close(): Promise<void>;
  /** Fields merged into `/health/readiness`. */
  health(): Record<string, unknown>;
  /** Connects a runtime to virtual-key auth and `/v1/models` filtering. */
  attach(runtime: Runtime): void;
}

function spillDir(config: GatewayConfig): string {
  if (config.general.spend_spill_dir) return config.general.spend_spill_dir;
  const tag = createHash("sha256").update(config.databaseUrl ?? "").digest("hex").slice(0, 12);
  return join(tmpdir(), `litellm-rust-spend-${tag}`);
}

/** The proxy budget's id in Redis: one per database (its host, port and name; credentials may differ between instances). */
function proxyBudgetId(url: string): string {
  let where = url;
  try {
    const u = new URL(url);
    where = `${u.hostname}:${u.port}${u.pathname}`;
  } catch {
    /* not a URL: the whole text */
  }
  return `global:${createHash("sha256").update(where).digest("hex").slice(0, 12)}`;
}

function catalogOf(rt: () => Runtime): ModelCatalog {
  return {
    groupOf: (m) => rt().router.resolve(m)?.group,
    accessGroupModels: (g) => rt().router.groups.accessGroupModels(g),
    teamsOf: (g) => rt().router.groups.teamsOf(g),
    publicName: (g) => rt().router.groups.publicName(g),
  };
}

const numSetting = (v: unknown, d: number) => (typeof v === "number" && Number.isFinite(v) ? v : d);

/** The database-backed services: virtual keys, spend tracking and budgets, stored models, sessions. */
export async function startDbServices(config: GatewayConfig, log: Logger, rt: () => Runtime, redis?: RedisLink, live = new LiveSessions(), counters?: RepairCounters): Promise<DbServices> {
  const g = config.general;
  const db = new Database({ url: config.databaseUrl!, poolLimit: g.database_connection_pool_limit ?? 10, connectTimeoutS: g.database_connection_timeout ?? 10 }, log);
  await db.start();
  const cache = new AuthCache((g.user_api_key_cache_ttl ?? DEFAULT_CACHE_TTL_S) * 1000);
  const bus = new InvalidationBus(cache, log);
  let admission: Admission = new MemoryAdmission();
  if (redis) {
    await bus.connect(redis);
    admission = new RedisAdmission(redis.client, redis.health);
  }
  const book = new SpendBook();
  const queries = new KeyQueries(db);
  const tpmTokens = g.token_rate_limit_type ?? "output";
  const tags = new TagBudgets(queries, book, log, TAG_BUDGETS_REFRESH_MS);
  void tags.refresh();
  const reservations = new Reservations(admission, new CostEstimator(tpmTokens), tpmTokens, tags);
  book.onReset = (key, spend) => reservations.forget(key, spend);
  const catalog = catalogOf(rt);
  const maxBudget = config.litellm.max_budget ?? undefined;
  const global = maxBudget ? new GlobalSpend(db, log) : undefined;
  const modelBudgets = new ModelBudgetBook(db, log);
  const sessions = new CodingSessionStore(db, log);
  void db.whenReady().then(() => sessions.ensure());
  const keys = new VirtualKeyAuth({
    db,
    queries,
    cache,
    book,
    catalog: () => catalog,
    isZeroCost: (m) => {
      const r = rt().router.resolve(m);
      return !!r && r.deployments.every(isZeroCost);
    },
    allowOnDbUnavailable: g.allow_requests_on_db_unavailable === true,
    enforceUserParam: g.enforce_user_param === true,
    modelBudgets,
    globalBudget: global && maxBudget ? { id: proxyBudgetId(config.databaseUrl!), max: maxBudget, spend: global } : undefined,
    tagBudgets: tags,
    sessionBudgets: new SessionBudgets(live, (id, key) => sessions.stored(id, key), log),
    log,
  });
  const spill = new SpillStore(spillDir(config));
  const journal = new SpendJournal(spill.dir, log, JOURNAL_COMMIT_MS, !/^(off|false|0)$/i.test(config.env.LITELLM_RUST_SPEND_JOURNAL ?? ""));
  const tracker = new SpendTracker(new SpendWriter(db, {
      spendLogs: g.disable_spend_logs !== true,
      errorLogs: g.disable_error_logs !== true,
      alsoInTransaction: [(tx, fresh) => sessions.rollup(tx, fresh)],
    }), spill, journal, book, log, {
    intervalMs: Math.max(50, (g.proxy_batch_write_at ?? Number(config.env.PROXY_BATCH_WRITE_AT ?? 10)) * 1000),
    maxBuffered: MAX_BUFFERED_EVENTS,
  }, counters);
  if (spill.pendingFiles) log.info(`${spill.pendingFiles} spend spill files from an earlier run will be written`, { spill_dir: spill.dir });
  tracker.start();
  const stopReset = g.disable_reset_budget
    ? () => {}
    : startBudgetResetJob(db, book, (i) => bus.invalidate(i), log, numSetting(g.proxy_budget_rescheduler_min_time, 597), numSetting(g.proxy_budget_rescheduler_max_time, 605));
  const pinger = setInterval(() => void db.ping(), 5000);
  pinger.unref?.();
  const modelsOn = storeModelInDb(config);
  let modelStamp = "";
  const readModels = async (): Promise<Deployment[]> => {
    if (!db.ready) return [];
    modelStamp = await dbModelsStamp(db);
    return loadDbModels(db, config, log);
  };
  const models = modelsOn ? await readModels().catch((e: Error) => (log.warn("database models not loaded", { error: e.message }), [])) : [];
  let modelPoll: ReturnType<typeof setInterval> | undefined;

  const pendingHooks = new Set<Promise<void>>();
  const dbs: DbServices = {
    db,
    cache,
    book,
    keys,
    tracker,
    sessions,
    models,
    async reloadModels() {
      dbs.models = await readModels();
      dbs.onModels?.(dbs.models);
    },
    config,
    sink: withGlobalSpend(global, modelBudgets, spendSink(tracker, book, reservations, {
      disabled: g.disable_spend_updates === true,
      storePrompts: g.store_prompts_in_spend_logs === true || /^true$/i.test(config.env.STORE_PROMPTS_IN_SPEND_LOGS ?? ""),
    })),
    invalidate(i) {
      bus.invalidate(i);
      for (const f of dbs.onInvalidate) {
        const p = f(i);
        if (!p) continue;
        const tracked: Promise<void> = p.finally(() => pendingHooks.delete(tracked));
        pendingHooks.add(tracked);
      }
    },
    onInvalidate: [
      (i) => {
        if (i.kind !== "all") reservations.forget(`${i.kind}:${i.id}`);
        return i.kind === "tag" ? tags.refresh() : undefined;
      },
    ],
    settled: async () => {
      while (pendingHooks.size) await Promise.allSettled([...pendingHooks]);
    },
    flush: () => tracker.flush(),
    async close() {
      clearInterval(pinger);
      clearInterval(modelPoll);
      global?.stop();
      reservations.stop();
      stopReset();
      await tracker.close();
      await db.close();
    },
    health() {
      return db.connected ? { status: "connected", db: "connected" } : { status: "unhealthy", db: "disconnected" };
    },
    attach(runtime) {
      runtime.auth.virtualKeys = keys;
      runtime.admission = reservations;
      runtime.modelFilter = (auth, names) => {
        const rec = auth.key as KeyRecord | undefined;
        return rec ? visibleModels(rec, names, catalog) : names;
      };
    },
  };
  const pollS = numSetting(g.db_model_poll_interval_seconds, DEFAULT_MODEL_POLL_S);
  if (modelsOn && pollS > 0) {
    modelPoll = setInterval(() => {
      if (!db.ready) return;
      void dbModelsStamp(db)
        .then((s) => (s !== modelStamp ? dbs.reloadModels() : undefined))
        .catch((e: Error) => log.warn("database models not re-read", { error: e.message }));
    }, pollS * 1000);
    modelPoll.unref?.();
  }
  return dbs;
}

/** Feeds the proxy-wide and per-model budget counters as calls finish. */
function withGlobalSpend(global: GlobalSpend | undefined, models: ModelBudgetBook, sink: CallSink): CallSink {
  return {
    record(r) {
      if (r.cost) {
        global?.add(r.cost);
        if (r.req.auth.apiKeyHash) models.add(r.req.auth.apiKeyHash, r.req.model, r.cost);
      }
      sink.record(r);
    },
  };
}

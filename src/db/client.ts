import postgres, { type Sql } from "postgres";
import type { Logger } from "../log.ts";
import { schemaStatements } from "./ddl.ts";
import { DDL_LOCK } from "./own-tables.ts";
import { SchemaInfo } from "./introspect.ts";
import { serializeJson, serializeText } from "./pg-safe.ts";

export interface DbOptions {
  url: string;
  poolLimit?: number;
  connectTimeoutS?: number;
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "57P01",
  "57P02",
  "57P03",
]);

/** A failure to reach Postgres (as opposed to an SQL error): LiteLLM's `is_database_connection_error`. */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === "string" && (CONNECTION_CODES.has(code) || code.startsWith("08"))) return true;
  return e instanceof DbUnavailableError;
}

/**
 * An error caused by the values a statement was given, which the same values will raise again:
 * SQLSTATE class 22 (data exception: bad text for a type, out of range, invalid JSON), 23 (integrity
 * constraint: foreign key, unique, not null, check) and 54 (program limit: index row too large).
 */
export function isDataError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return isPostgresError(e) && typeof code === "string" && /^(22|23|54)/.test(code);
}

/** An error the server sent (by class, not by `name`: the minified binary renames the class). */
export const isPostgresError = (e: unknown): e is InstanceType<typeof postgres.PostgresError> => e instanceof postgres.PostgresError;

export class DbUnavailableError extends Error {
  constructor(message = "database not reachable") {
    super(message);
    this.name = "DbUnavailableError";
  }
}

const textType = (oid: number) => ({ to: oid, from: [oid], serialize: serializeText, parse: (s: string) => s });

/** `timestamp(3) without time zone` holds UTC in LiteLLM's tables. */
export function utcDate(v: unknown): Date | undefined {
  if (v instanceof Date) return v;
  if (typeof v !== "string" || !v) return undefined;
  const iso = v.includes("T") ? v : v.replace(" ", "T");
  const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * The LiteLLM Postgres: a bounded porsager pool, the introspected schema, and whether the last
 * statement reached the server. Introspection is retried in the background while Postgres is down.
 */
export class Database {
  readonly sql: Sql;
  private info?: SchemaInfo;
  private reachable = false;
  private retry?: ReturnType<typeof setTimeout>;
  private readyWaiters: Array<() => void> = [];

  constructor(
    opts: DbOptions,
    private readonly log: Logger,
  ) {
    this.sql = postgres(opts.url, {
      max: opts.poolLimit ?? 10,
      connect_timeout: opts.connectTimeoutS ?? 10,
      idle_timeout: 60,
      max_lifetime: 60 * 30,
      onnotice: () => {},
      connection: { TimeZone: "UTC", application_name: "litellm-rust" },
      types: {
        timestamp: {
          to: 1114,
          from: [1114],
          serialize: (d: Date | string) => (d instanceof Date ? d.toISOString().replace("Z", "") : d),
          parse: (s: string) => utcDate(s) ?? s,
        },
        // Every string parameter (and text[] element) passes pgText: U+0000 and lone surrogates can
        // reach any statement from a client and would fail it (see pg-safe.ts).
        text: textType(25),
        varchar: textType(1043),
        bpchar: textType(1042),
        unknown: textType(0),
        json: { to: 114, from: [114, 3802], serialize: serializeJson, parse: (s: string) => JSON.parse(s) },
      },
    });
  }

  /** Connects and introspects; creates LiteLLM's tables when the database has none. Never throws. */
  async start(): Promise<void> {
    try {
      await this.init();
    } catch (e) {
      this.markFailure(e);
      this.log.warn("database not reachable at start-up; retrying in the background", { error: (e as Error).message });
      this.scheduleRetry();
    }
  }

  private async init(): Promise<void> {
    let info = await SchemaInfo.read(this.sql);
    if (info.empty) {
      const created = await this.sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(${DDL_LOCK})`;
        if (!(await SchemaInfo.read(tx as unknown as Sql)).empty) return false;
        for (const stmt of schemaStatements()) await tx.unsafe(stmt);
        return true;
      });
      if (created) this.log.info("created LiteLLM's tables in the empty database");
      info = await SchemaInfo.read(this.sql);
    }
    this.info = info;
    this.reachable = true;
    for (const w of this.readyWaiters.splice(0)) w();
  }

  private scheduleRetry(): void {
    this.retry = setTimeout(async () => {
      try {
        await this.init();
        this.log.info("database reachable again");
      } catch (e) {
        this.markFailure(e);
        this.scheduleRetry();
      }
    }, 2000);
    this.retry.unref?.();
  }

  /** Resolves once the schema has been read (immediately when it has). */
  whenReady(): Promise<void> {
    if (this.info) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  get schema(): SchemaInfo {
    if (!this.info) throw new DbUnavailableError("database not reachable (schema not read yet)");
    return this.info;
  }

  get ready(): boolean {
    return this.info !== undefined;
  }

  get connected(): boolean {
    return this.reachable && this.info !== undefined;
  }

  markSuccess(): void {
    this.reachable = true;
  }

  markFailure(e: unknown): void {
    if (isConnectionError(e)) this.reachable = false;
  }

  /** Runs a statement, tracking reachability. */
  async run<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    if (!this.info) throw new DbUnavailableError();
    try {
      const r = await fn(this.sql);
      this.reachable = true;
      return r;
    } catch (e) {
      this.markFailure(e);
      throw e;
    }
  }

  /** A cheap round trip for `/health/readiness`. */
  async ping(timeoutMs = 2000): Promise<boolean> {
    try {
      await Promise.race([this.sql`SELECT 1`, new Promise((_, rej) => setTimeout(() => rej(new DbUnavailableError()), timeoutMs))]);
      this.reachable = true;
      return this.info !== undefined;
    } catch (e) {
      this.markFailure(e);
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    await this.sql.end({ timeout: 5 });
  }
}

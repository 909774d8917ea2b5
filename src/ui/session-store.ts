import { createHash } from "node:crypto";
import type { Invalidation } from "../auth/key-cache.ts";
import type { Database } from "../db/client.ts";
import { createTables } from "../db/own-tables.ts";
import { REDIS_PREFIX, type RedisLink } from "../redis.ts";

/** Who a UI session was opened for: a virtual key (and its user's role then), or the master key. */
export interface UiSessionOwner {
  /** sha256 of the virtual key (`LiteLLM_VerificationToken.token`); absent for the master key. */
  keyHash?: string;
}

export type SessionCheck = { live: true } | { live: false; reason: string };

const ENDED = "Your session has ended (logged out, or its key was blocked or deleted, or its role changed).";

/**
 * The server side of UI sessions: a sealed cookie is honoured only while its session is on record
 * here, so logout ends it everywhere at once, and so does blocking or deleting its key or changing
 * its user's role. Shared by every instance through Postgres (or Redis without a database).
 */
export interface UiSessionStore {
  readonly shared: boolean;
  open(sid: string, owner: UiSessionOwner, expiresAt: number): Promise<void>;
  check(sid: string): Promise<SessionCheck>;
  end(sid: string): Promise<void>;
  /** A management write: ends the sessions it took the ground from under (key blocked or deleted, role changed). */
  revalidate(i: Invalidation): Promise<void>;
}

const digest = (sid: string) => createHash("sha256").update(sid).digest("hex");

/** The table is created by the first login; until then there is no session to check or end. */
async function unlessNoTable<T>(run: () => Promise<T>, none: T): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if ((e as { code?: string }).code === "42P01") return none;
    throw e;
  }
}

const TABLE = `CREATE TABLE IF NOT EXISTS litellm_rust_ui_sessions (
  sid_hash text PRIMARY KEY,
  key_hash text,
  user_id text,
  user_role text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
)`;
const KEY_INDEX = `CREATE INDEX IF NOT EXISTS litellm_rust_ui_sessions_key_idx ON litellm_rust_ui_sessions (key_hash)`;

/** A virtual-key session stays valid while its key exists unblocked, for the same user, whose role is unchanged. */
const STILL_VALID = `EXISTS (
  SELECT 1 FROM "LiteLLM_VerificationToken" k LEFT JOIN "LiteLLM_UserTable" u ON u.user_id = k.user_id
  WHERE k.token = s.key_hash AND k.blocked IS NOT TRUE
    AND k.user_id IS NOT DISTINCT FROM s.user_id AND u.user_role IS NOT DISTINCT FROM s.user_role)`;

class PostgresUiSessions implements UiSessionStore {
  readonly shared = true;
  private table?: Promise<void>;

  constructor(private readonly db: Database) {}

  private ready(): Promise<void> {
    this.table ??= this.db.run((sql) => createTables(sql, [TABLE, KEY_INDEX])).catch((e) => {
      this.table = undefined;
      throw e;
    });
    return this.table;
  }

  async open(sid: string, owner: UiSessionOwner, expiresAt: number): Promise<void> {
    await this.ready();
    const at = new Date(expiresAt);
    await this.db.run(async (sql) => {
      await sql`DELETE FROM litellm_rust_ui_sessions WHERE expires_at < now()`;
      if (!owner.keyHash) {
        await sql`INSERT INTO litellm_rust_ui_sessions (sid_hash, expires_at) VALUES (${digest(sid)}, ${at})`;
        return;
      }
      const rows = await sql`
        INSERT INTO litellm_rust_ui_sessions (sid_hash, key_hash, user_id, user_role, expires_at)
        SELECT ${digest(sid)}, k.token, k.user_id, u.user_role, ${at}
        FROM "LiteLLM_VerificationToken" k LEFT JOIN "LiteLLM_UserTable" u ON u.user_id = k.user_id
        WHERE k.token = ${owner.keyHash} RETURNING sid_hash`;
      if (!rows.length) throw new Error("the key is not in the database");
    });
  }

  async check(sid: string): Promise<SessionCheck> {
    const rows = await unlessNoTable(
      () =>
        this.db.run(
          (sql) => sql`
            SELECT s.key_hash, s.user_id, s.user_role, s.expires_at > now() AS unexpired,
              k.token AS key_found, k.blocked, k.user_id AS key_user, u.user_role AS role_now
            FROM litellm_rust_ui_sessions s
            LEFT JOIN "LiteLLM_VerificationToken" k ON k.token = s.key_hash
            LEFT JOIN "LiteLLM_UserTable" u ON u.user_id = k.user_id
            WHERE s.sid_hash = ${digest(sid)}`,
        ),
      undefined,
    );
    const row = rows?.[0];
    if (!row) return { live: false, reason: ENDED };
    let reason: string | undefined;
    if (!row.unexpired) reason = "Your session expired.";
    else if (row.key_hash && !row.key_found) reason = "Your key was deleted.";
    else if (row.key_hash && row.blocked === true) reason = "Your key was blocked.";
    else if (row.key_hash && (row.key_user !== row.user_id || row.role_now !== row.user_role)) reason = "Your role changed: log in again.";
    if (!reason) return { live: true };
    await this.end(sid);
    return { live: false, reason };
  }

  async end(sid: string): Promise<void> {
    await unlessNoTable(() => this.db.run((sql) => sql`DELETE FROM litellm_rust_ui_sessions WHERE sid_hash = ${digest(sid)}`).then(() => undefined), undefined);
  }

  async revalidate(i: Invalidation): Promise<void> {
    if (i.kind === "end_user" || i.kind === "tag") return;
    await unlessNoTable(
      () =>
        this.db.run((sql) => {
          const scope = i.kind === "key" ? sql`s.key_hash = ${i.id}` : i.kind === "user" ? sql`s.user_id = ${i.id}` : sql`TRUE`;
          return sql`DELETE FROM litellm_rust_ui_sessions s WHERE s.key_hash IS NOT NULL AND ${scope} AND NOT ${sql.unsafe(STILL_VALID)}`.then(() => undefined);
        }),
      undefined,
    );
  }
}

/** Without a database there are no virtual keys: a session is its id, kept until logout or expiry. */
class RedisUiSessions implements UiSessionStore {
  readonly shared = true;

  constructor(private readonly redis: RedisLink) {}

  private key(sid: string): string {
    return `${REDIS_PREFIX}ui-session:${digest(sid)}`;
  }

  async open(sid: string, _owner: UiSessionOwner, expiresAt: number): Promise<void> {
    await this.redis.client.send("SET", [this.key(sid), "1", "PX", String(Math.max(1, expiresAt - Date.now()))]);
  }

  async check(sid: string): Promise<SessionCheck> {
    return (await this.redis.client.exists(this.key(sid))) ? { live: true } : { live: false, reason: ENDED };
  }

  async end(sid: string): Promise<void> {
    await this.redis.client.del(this.key(sid));
  }

  async revalidate(): Promise<void> {}
}

const MAX_MEMORY_SESSIONS = 10_000;

/** One process without Postgres or Redis: sessions live in its memory (and end with it). */
class MemoryUiSessions implements UiSessionStore {
  readonly shared = false;
  private readonly sessions = new Map<string, number>();

  async open(sid: string, _owner: UiSessionOwner, expiresAt: number): Promise<void> {
    const now = Date.now();
    for (const [k, exp] of this.sessions) if (exp < now || this.sessions.size >= MAX_MEMORY_SESSIONS) this.sessions.delete(k);
    this.sessions.set(digest(sid), expiresAt);
  }

  async check(sid: string): Promise<SessionCheck> {
    const exp = this.sessions.get(digest(sid));
    return exp !== undefined && exp > Date.now() ? { live: true } : { live: false, reason: ENDED };
  }

  async end(sid: string): Promise<void> {
    this.sessions.delete(digest(sid));
  }

  async revalidate(): Promise<void> {}
}

export function uiSessionStore(db: Database | undefined, redis: RedisLink | undefined): UiSessionStore {
  if (db) return new PostgresUiSessions(db);
  if (redis) return new RedisUiSessions(redis);
  return new MemoryUiSessions();
}

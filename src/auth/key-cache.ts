import type { Logger } from "../log.ts";
import { REDIS_PREFIX, type RedisLink } from "../redis.ts";
import type { EndUserRecord, KeyRecord } from "./key-record.ts";

interface Entry<T> {
  value: T;
  at: number;
}

const MAX_ENTRIES = 100_000;

/** A bounded map whose entries turn stale after `ttlMs` (stale entries are still returned, flagged). */
export class TtlCache<T> {
  private readonly map = new Map<string, Entry<T>>();

  constructor(private readonly ttlMs: number) {}

  get(k: string, now = Date.now()): { value: T; stale: boolean } | undefined {
    const e = this.map.get(k);
    return e && { value: e.value, stale: now - e.at >= this.ttlMs };
  }

  set(k: string, value: T, now = Date.now()): void {
    this.map.delete(k);
    this.map.set(k, { value, at: now });
    if (this.map.size > MAX_ENTRIES) this.map.delete(this.map.keys().next().value!);
  }

  delete(k: string): void {
    this.map.delete(k);
  }

  deleteWhere(pred: (v: T) => boolean): void {
    for (const [k, e] of this.map) if (pred(e.value)) this.map.delete(k);
  }

  clear(): void {
    this.map.clear();
  }
}

/** What a management write invalidates: one key, or everything that names a team, user or end user; a tag (its budget, not cached here). */
export type Invalidation = { kind: "key"; id: string } | { kind: "team" | "user" | "end_user" | "tag"; id: string } | { kind: "all" };

/** Cached virtual keys and end users. `null` caches "not in the database". */
export class AuthCache {
  readonly keys: TtlCache<KeyRecord | null>;
  readonly endUsers: TtlCache<EndUserRecord | null>;

  constructor(ttlMs: number) {
    this.keys = new TtlCache(ttlMs);
    this.endUsers = new TtlCache(ttlMs);
  }

  apply(inv: Invalidation): void {
    switch (inv.kind) {
      case "key":
        this.keys.delete(inv.id);
        return;
      case "team":
        this.keys.deleteWhere((r) => r?.teamId === inv.id);
        return;
      case "user":
        this.keys.deleteWhere((r) => r?.userId === inv.id);
        return;
      case "end_user":
        this.endUsers.delete(inv.id);
        return;
      case "tag":
        return;
      case "all":
        this.keys.clear();
        this.endUsers.clear();
    }
  }
}

const CHANNEL = `${REDIS_PREFIX}auth-invalidate`;

/** Applies invalidations here at once and, with Redis configured, on every other instance. */
export class InvalidationBus {
  private redis?: RedisLink;

  constructor(
    private readonly cache: AuthCache,
    private readonly log: Logger,
  ) {}

  async connect(redis: RedisLink): Promise<void> {
    this.redis = redis;
    redis.onBackUp(() => this.cache.apply({ kind: "all" }));
    try {
      await redis.subscribe(CHANNEL, (message) => {
        try {
          this.cache.apply(JSON.parse(message) as Invalidation);
        } catch {
          /* a message from something else on the channel */
        }
      });
    } catch (e) {
      redis.health.failed("auth cache invalidations (subscribe; kept local to this instance)", e);
    }
  }

  invalidate(inv: Invalidation): void {
    this.cache.apply(inv);
    const redis = this.redis;
    redis?.client.publish(CHANNEL, JSON.stringify(inv)).catch((e: Error) => redis.health.failed("auth cache invalidation (publish; applied on this instance only)", e));
  }
}

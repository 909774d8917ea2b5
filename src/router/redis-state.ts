import { REDIS_PREFIX, type RedisLink } from "../redis.ts";
import type { RouterState, SharedState } from "./state.ts";

const COOLDOWN_CHANNEL = `${REDIS_PREFIX}router:cooldown`;
const cooldownKey = (id: string) => `${REDIS_PREFIX}router:cooldown:${id}`;
const usageKey = (id: string, minute: number) => `${REDIS_PREFIX}router:usage:${id}:${minute}`;
const failKey = (id: string) => `${REDIS_PREFIX}router:fails:${id}`;

/** Admits a request if both the request and token counts of this minute are under their limits. */
const ADMIT = `
local req = tonumber(redis.call('HGET', KEYS[1], 'requests') or '0')
local tok = tonumber(redis.call('HGET', KEYS[1], 'tokens') or '0')
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
if (rpm >= 0 and req >= rpm) or (tpm >= 0 and tok >= tpm) then return {0, req, tok} end
req = redis.call('HINCRBY', KEYS[1], 'requests', 1)
redis.call('EXPIRE', KEYS[1], 120)
return {1, req, tok}`;

const INCR_TTL = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/**
 * Router counters shared by every gateway instance on the same Redis: cooldowns (published and
 * applied locally, so the hot path never waits on Redis), per-minute rpm/tpm of limited deployments
 * (admission is a Lua script), and allowed_fails counters.
 */
export class RedisRouterState implements SharedState {
  constructor(private readonly redis: RedisLink) {}

  async attach(state: RouterState, deploymentIds: string[]): Promise<void> {
    state.shared = this;
    await this.redis.subscribe(COOLDOWN_CHANNEL, (msg) => {
      const [id, until] = msg.split(" ");
      if (id && until) state.applyCooldown(id, Number(until));
    });
    for (const id of deploymentIds) {
      const until = await this.redis.client.get(cooldownKey(id)).catch(() => null);
      if (until) state.applyCooldown(id, Number(until));
    }
  }

  publishCooldown(id: string, untilMs: number): void {
    const ttl = Math.max(1, untilMs - Date.now());
    const c = this.redis.client;
    c.send("SET", [cooldownKey(id), String(untilMs), "PX", String(ttl)])
      .then(() => c.publish(COOLDOWN_CHANNEL, `${id} ${untilMs}`))
      .catch((e) => this.redis.health.failed("router cooldown (not shared)", e));
  }

  async admit(id: string, minute: number, rpm: number | undefined, tpm: number | undefined) {
    try {
      const r = (await this.redis.client.send("EVAL", [ADMIT, "1", usageKey(id, minute), String(rpm ?? -1), String(tpm ?? -1)])) as number[];
      return { ok: r[0] === 1, requests: Number(r[1]), tokens: Number(r[2]) };
    } catch (e) {
      this.redis.health.failed("router rpm/tpm (local counts)", e);
      return { ok: true, requests: 0, tokens: 0 };
    }
  }

  addTokens(id: string, minute: number, tokens: number): void {
    const key = usageKey(id, minute);
    this.redis.client
      .hincrby(key, "tokens", tokens)
      .then(() => this.redis.client.expire(key, 120))
      .catch(() => {});
  }

  resetFailures(id: string): void {
    this.redis.client.del(failKey(id)).catch(() => {});
  }

  async addFailure(id: string, ttlS: number): Promise<number> {
    try {
      return Number(await this.redis.client.send("EVAL", [INCR_TTL, "1", failKey(id), String(Math.ceil(ttlS * 1000))]));
    } catch {
      return 1;
    }
  }
}

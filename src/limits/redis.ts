import { GatewayError } from "../errors.ts";
import { REDIS_PREFIX, type RedisLink } from "../redis.ts";
import { MemoryRateLimiter } from "./memory.ts";
import { evaluate, windowStart, WINDOW_S, type Counts, type LimitDescriptor, type LimitStatus, type RateLimiter } from "./types.ts";

/** Reads every counter, decides, and counts the request only when all descriptors allow it. */
const ACQUIRE = `
local w = tonumber(ARGV[1])
local n = #KEYS / 3
local out = {1}
for i = 1, n do
  local r = tonumber(redis.call('GET', KEYS[3*i-2]) or '0')
  local t = tonumber(redis.call('GET', KEYS[3*i-1]) or '0')
  local p = tonumber(redis.call('GET', KEYS[3*i]) or '0')
  out[#out+1] = r; out[#out+1] = t; out[#out+1] = p
  local rpm = tonumber(ARGV[3*i-1]); local tpm = tonumber(ARGV[3*i]); local mp = tonumber(ARGV[3*i+1])
  if (rpm >= 0 and r + 1 > rpm) or (tpm >= 0 and t >= tpm) or (mp >= 0 and p + 1 > mp) then out[1] = 0 end
end
if out[1] == 1 then
  for i = 1, n do
    redis.call('INCR', KEYS[3*i-2]); redis.call('EXPIRE', KEYS[3*i-2], w * 2)
    if tonumber(ARGV[3*i+1]) >= 0 then redis.call('INCR', KEYS[3*i]); redis.call('EXPIRE', KEYS[3*i], 3600) end
  end
end
return out`;

const base = (d: LimitDescriptor) => `{${REDIS_PREFIX}${d.name}:${d.value}}`;

/** Counters shared by every instance through Redis (one Lua round trip per limited request). */
export class RedisRateLimiter implements RateLimiter {
  private readonly fallback = new MemoryRateLimiter();

  constructor(private readonly link: RedisLink) {}

  private get redis() {
    return this.link.client;
  }

  async acquire(descs: LimitDescriptor[]): Promise<LimitStatus> {
    const now = Date.now();
    const start = windowStart(now);
    const keys: string[] = [];
    const args: string[] = [String(WINDOW_S)];
    for (const d of descs) {
      keys.push(`${base(d)}:${start}:requests`, `${base(d)}:${start}:tokens`, `${base(d)}:max_parallel_requests`);
      args.push(String(d.rpm ?? -1), String(d.tpm ?? -1), String(d.maxParallel ?? -1));
    }
    let raw: number[];
    try {
      raw = (await this.redis.send("EVAL", [ACQUIRE, String(keys.length), ...keys, ...args])) as number[];
    } catch (e) {
      this.link.health.failed("rate limits (counted in memory)", e);
      return this.fallback.acquire(descs);
    }
    const counts: Counts[] = descs.map((_, i) => ({ requests: raw[1 + 3 * i]!, tokens: raw[2 + 3 * i]!, parallel: raw[3 + 3 * i]! }));
    const verdict = evaluate(descs, counts, now);
    if (verdict instanceof GatewayError) throw verdict;
    return verdict;
  }

  release(descs: LimitDescriptor[]): void {
    for (const d of descs) {
      if (d.maxParallel === undefined) continue;
      this.redis.send("DECR", [`${base(d)}:max_parallel_requests`]).catch(() => {});
    }
  }

  addTokens(descs: LimitDescriptor[], tokens: number): void {
    if (tokens <= 0) return;
    const start = windowStart(Date.now());
    for (const d of descs) {
      const k = `${base(d)}:${start}:tokens`;
      this.redis
        .send("INCRBY", [k, String(tokens)])
        .then(() => this.redis.expire(k, WINDOW_S * 2))
        .catch(() => {});
    }
  }
}

import { createHash } from "node:crypto";

/** A Lua script run with EVALSHA (EVAL once when Redis does not know it yet). */
export interface Script {
  text: string;
  sha: string;
}

const script = (text: string): Script => ({ text, sha: createHash("sha1").update(text).digest("hex") });

/** Drops the reservations of a budget whose leases ran out (an instance died with calls in flight). */
const PURGE = `
local function purge(h, z, now)
  local dead = redis.call('ZRANGEBYSCORE', z, '-inf', now, 'LIMIT', 0, 100)
  for _, d in ipairs(dead) do
    local a = redis.call('HGET', h, 'r:' .. d)
    if a then
      redis.call('HINCRBYFLOAT', h, 'inflight', -tonumber(a))
      redis.call('HDEL', h, 'r:' .. d)
    end
    redis.call('ZREM', z, d)
  end
  if #dead > 0 and redis.call('ZCARD', z) == 0 and redis.call('EXISTS', h) == 1 then redis.call('HSET', h, 'inflight', 0) end
end
`;

/**
 * Admission of one call, atomically for every instance.
 * KEYS: per budget its hash {spend, at, inflight, r:<call>} and the zset of its calls' lease ends;
 *       per limit descriptor its window's request and token counters and the zset of its parallel calls.
 * ARGV: call id, now, lease ms, idle ms, reseed ms, window ttl s, cost, tokens, number of budgets,
 *       per budget: max, local spend, 1 = refuse at max, 1 = shared spend, 1 = local spend just read
 *       from the database; per limit: rpm, tpm, max parallel (-1 = none).
 * Returns {0} admitted, {1, i} budget i refused, {2, j} limit j refused, then per budget spend and
 * in flight (strings), per limit requests, tokens, parallel.
 * The shared spend is seeded from the caller's local spend when absent, and again from a local
 * spend just read from the database once the seed is older than the reseed age (so a reset or a
 * write outside the gateway is picked up); a budget is judged on the higher of the two.
 */
export const ADMIT = script(`${PURGE}
local id, now, lease, idle = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local reseed, wttl, cost, tok, nb = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local out = {0, 0}
for i = 1, nb do
  local h, z, a = KEYS[2 * i - 1], KEYS[2 * i], 9 + 5 * (i - 1)
  local max, loc = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  purge(h, z, now)
  local spend = loc
  if ARGV[a + 4] == '1' then
    local s = redis.call('HMGET', h, 'spend', 'at')
    if not s[1] or (ARGV[a + 5] == '1' and now - tonumber(s[2] or '0') > reseed) then
      redis.call('HSET', h, 'spend', ARGV[a + 2], 'at', now)
      redis.call('PEXPIRE', h, idle)
    elseif tonumber(s[1]) > loc then
      spend = tonumber(s[1])
    end
  end
  local inflight = tonumber(redis.call('HGET', h, 'inflight') or '0')
  out[#out + 1] = tostring(spend)
  out[#out + 1] = tostring(inflight)
  local c = spend + inflight
  if out[1] == 0 and ((ARGV[a + 3] == '1' and c >= max) or (ARGV[a + 3] ~= '1' and c > max)) then
    out[1] = 1
    out[2] = i
  end
end
local nl = (#KEYS - 2 * nb) / 3
local base = 9 + 5 * nb
for j = 1, nl do
  local k = 2 * nb + 3 * (j - 1)
  local rpm, tpm, mp = tonumber(ARGV[base + 3 * j - 2]), tonumber(ARGV[base + 3 * j - 1]), tonumber(ARGV[base + 3 * j])
  local r = tonumber(redis.call('GET', KEYS[k + 1]) or '0')
  local t = tonumber(redis.call('GET', KEYS[k + 2]) or '0')
  local p = 0
  if mp >= 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[k + 3], '-inf', now)
    p = redis.call('ZCARD', KEYS[k + 3])
  end
  out[#out + 1] = r
  out[#out + 1] = t
  out[#out + 1] = p
  if out[1] == 0 and ((rpm >= 0 and r + 1 > rpm) or (tpm >= 0 and t >= tpm) or (mp >= 0 and p + 1 > mp)) then
    out[1] = 2
    out[2] = j
  end
end
if out[1] ~= 0 then return out end
for i = 1, nb do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('HSET', h, 'r:' .. id, cost)
  redis.call('HINCRBYFLOAT', h, 'inflight', cost)
  redis.call('ZADD', z, now + lease, id)
  redis.call('PEXPIRE', h, idle)
  redis.call('PEXPIRE', z, idle)
end
for j = 1, nl do
  local k = 2 * nb + 3 * (j - 1)
  redis.call('INCR', KEYS[k + 1])
  redis.call('EXPIRE', KEYS[k + 1], wttl)
  if tonumber(ARGV[base + 3 * j - 1]) >= 0 and tok > 0 then
    redis.call('INCRBY', KEYS[k + 2], tok)
    redis.call('EXPIRE', KEYS[k + 2], wttl)
  end
  if tonumber(ARGV[base + 3 * j]) >= 0 then
    redis.call('ZADD', KEYS[k + 3], now + lease, id)
    redis.call('PEXPIRE', KEYS[k + 3], idle)
  end
end
return out`);

/**
 * Settles a call: its reservations are released and its real cost added to the shared spends
 * that exist (an absent one is seeded later from a local spend that already includes it).
 * KEYS: per budget hash and zset; per limit the zset of parallel calls and the token counter to adjust.
 * ARGV: call id, cost, number of budgets, per budget 1 = shared spend; per limit the token change and window ttl s.
 */
export const SETTLE = script(`
local id, cost, nb = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 1, nb do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  local a = redis.call('HGET', h, 'r:' .. id)
  if a then
    redis.call('HDEL', h, 'r:' .. id)
    redis.call('HINCRBYFLOAT', h, 'inflight', -tonumber(a))
  end
  redis.call('ZREM', z, id)
  if redis.call('ZCARD', z) == 0 and redis.call('EXISTS', h) == 1 then redis.call('HSET', h, 'inflight', 0) end
  if ARGV[3 + i] == '1' and cost > 0 and redis.call('HEXISTS', h, 'spend') == 1 then redis.call('HINCRBYFLOAT', h, 'spend', ARGV[2]) end
end
local nl = (#KEYS - 2 * nb) / 2
for j = 1, nl do
  local k = 2 * nb + 2 * (j - 1)
  redis.call('ZREM', KEYS[k + 1], id)
  local delta = tonumber(ARGV[3 + nb + 2 * j - 1])
  if delta ~= 0 then
    if redis.call('INCRBY', KEYS[k + 2], delta) < 0 then redis.call('SET', KEYS[k + 2], 0) end
    redis.call('EXPIRE', KEYS[k + 2], tonumber(ARGV[3 + nb + 2 * j]))
  end
end
return 1`);

/** KEYS: lease zsets then the hashes beside them; ARGV: new lease end, idle ms, number of zsets, the call id per zset. */
export const RENEW = script(`
local score, idle, nz = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 1, #KEYS do
  if i <= nz then redis.call('ZADD', KEYS[i], 'XX', score, ARGV[3 + i]) end
  redis.call('PEXPIRE', KEYS[i], idle)
end
return 1`);

/** A spend changed in the database: set it (budget reset) or drop it (seeded again at the next call). */
export const FORGET = script(`
if ARGV[1] == '' then return redis.call('HDEL', KEYS[1], 'spend', 'at') end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'spend', ARGV[1], 'at', ARGV[2]) end
return 1`);

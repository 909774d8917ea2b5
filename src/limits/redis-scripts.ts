import { createHash } from "node:crypto";

/** A Lua script run with EVALSHA (EVAL once when Redis does not know it yet). */
export interface Script {
  text: string;
  sha: string;
}

const script = (text: string): Script => ({ text, sha: createHash("sha1").update(text).digest("hex") });

/** An rpm/tpm share holds at most this many calls' worth of a window… */
export const GRANT_CALLS = 32;
/**
 * …and a budget grant this many (renewed when half used: one renewal per 64 calls far from the
 * edge; near it the share of what is free below is what bounds it).
 */
const BUDGET_GRANT_CALLS = 128;
/** …and is given only when it holds at least this many (near a budget's edge every call asks Redis). */
export const GRANT_MIN_CALLS = 4;
/** An instance's grant is at most this share of what is free, split between the instances holding grants… */
const GRANT_SHARE = 4;
/**
 * …and its rpm/tpm share at most this one: a share unused when calls stop stays counted until its
 * window ends, so small limits get none (an rpm below 64 per holder is decided call by call).
 */
const LIMIT_SHARE = 16;

/**
 * Per budget: a hash {spend, at, inflight, holders, exp, r:<call or g:instance> = amount} and a zset
 * of lease ends (member = call id, or g:<instance> for a grant); both expire when idle (`exp`: when
 * their expiry was last pushed back).
 * `purge` drops what an instance stopped renewing (it died, or left a grant unused).
 * `spendOf` is the spend a budget is judged on (see ADMIT).
 * `grant` sets an instance's grant on a budget from what is free, or returns it when too little is.
 */
const LIB = `
local function purge(h, z, now)
  local dead = redis.call('ZRANGEBYSCORE', z, '-inf', now, 'LIMIT', 0, 100)
  for _, d in ipairs(dead) do
    local a = redis.call('HGET', h, 'r:' .. d)
    if a then
      redis.call('HINCRBYFLOAT', h, 'inflight', -tonumber(a))
      redis.call('HDEL', h, 'r:' .. d)
    end
    if string.sub(d, 1, 2) == 'g:' then redis.call('HINCRBY', h, 'holders', -1) end
    redis.call('ZREM', z, d)
  end
  if #dead > 0 and redis.call('ZCARD', z) == 0 and redis.call('EXISTS', h) == 1 then redis.call('HSET', h, 'inflight', 0, 'holders', 0) end
end
local function state(h)
  return redis.call('HMGET', h, 'spend', 'at', 'inflight', 'exp')
end
local function spendOf(h, v, now, idle, reseed, loc, locText, shared, fresh)
  if not shared then return loc end
  if not v[1] or (fresh and now - tonumber(v[2] or '0') > reseed) then
    redis.call('HSET', h, 'spend', locText, 'at', now)
    redis.call('PEXPIRE', h, idle)
    return loc
  end
  return math.max(tonumber(v[1]), loc)
end
local function keep(h, z, v, now, idle)
  if now - tonumber(v[4] or '0') > idle / 4 then
    redis.call('HSET', h, 'exp', now)
    redis.call('PEXPIRE', h, idle)
    redis.call('PEXPIRE', z, idle)
  end
end
local function grant(h, z, gid, now, glease, idle, est, max, committed)
  local f = 'r:g:' .. gid
  local old = tonumber(redis.call('HGET', h, f) or '0')
  local holders = tonumber(redis.call('HGET', h, 'holders') or '0')
  local mine = redis.call('ZSCORE', z, 'g:' .. gid)
  if not mine then holders = holders + 1 end
  local g = math.min(${BUDGET_GRANT_CALLS} * est, (max - committed + old) / (${GRANT_SHARE} * holders))
  if est <= 0 or g < ${GRANT_MIN_CALLS} * est then
    if mine then
      redis.call('HDEL', h, f)
      redis.call('ZREM', z, 'g:' .. gid)
      redis.call('HINCRBYFLOAT', h, 'inflight', -old)
      redis.call('HINCRBY', h, 'holders', -1)
    end
    return '0'
  end
  redis.call('HSET', h, f, g)
  redis.call('HINCRBYFLOAT', h, 'inflight', g - old)
  if not mine then redis.call('HINCRBY', h, 'holders', 1) end
  redis.call('ZADD', z, now + glease, 'g:' .. gid)
  redis.call('PEXPIRE', h, idle)
  redis.call('PEXPIRE', z, idle)
  return tostring(g)
end
local function topup(ck, gk, kind, gid, limit, need, wttl)
  local counter = tonumber(redis.call('GET', ck) or '0')
  local f = kind .. gid
  local mine = redis.call('HEXISTS', gk, f) == 1
  local holders = tonumber(redis.call('HGET', gk, kind) or '0')
  if not mine then holders = holders + 1 end
  local g = math.floor(math.min(${GRANT_CALLS} * need, (limit - counter) / (${LIMIT_SHARE} * holders)))
  if g < ${GRANT_MIN_CALLS} * need then return {0, counter} end
  if redis.call('INCRBY', ck, g) == g then redis.call('EXPIRE', ck, wttl) end
  redis.call('HINCRBY', gk, f, g)
  if not mine then redis.call('HINCRBY', gk, kind, 1) end
  redis.call('EXPIRE', gk, wttl)
  return {g, counter + g}
end
local function topups(out, rk, tk, gk, gid, rpm, tpm, askR, askT, tok, wttl)
  local r, t = {0, 0}, {0, 0}
  if askR then r = topup(rk, gk, 'r', gid, rpm, 1, wttl) end
  if askT then t = topup(tk, gk, 't', gid, tpm, math.max(tok, 1), wttl) end
  out[#out + 1] = r[1]
  out[#out + 1] = t[1]
  out[#out + 1] = r[2]
  out[#out + 1] = t[2]
end
`;

/**
 * Admission of one call, atomically for every instance.
 * KEYS: per budget its hash and lease zset; per limit descriptor its window's request and token
 *       counters, the zset of its parallel calls and the window's hash of grants.
 * ARGV: call id, now, lease ms, idle ms, reseed ms, window ttl s, cost, tokens, number of budgets,
 *       grant id (this instance), grant lease ms (0 = no budget grant wanted),
 *       per budget: max, local spend, 1 = refuse at max, 1 = shared spend, 1 = local spend just read
 *       from the database; per limit: rpm, tpm, max parallel (-1 = none), 1 = requests wanted,
 *       1 = tokens wanted (a top-up of this instance's share of the window, see `topup`).
 * Returns {0} admitted, {1, i} budget i refused, {2, j} limit j refused, then per budget spend and
 * in flight (strings), per limit requests, tokens, parallel, and when admitted per budget the
 * grant the instance now holds and per limit the requests and tokens added to its shares and the
 * window's request and token counters after them.
 * The shared spend is seeded from the caller's local spend when absent, and again from a local
 * spend just read from the database once the seed is older than the reseed age (so a reset or a
 * write outside the gateway is picked up); a budget is judged on the higher of the two.
 */
export const ADMIT = script(`${LIB}
local id, now, lease, idle = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local reseed, wttl, cost, tok, nb = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local gid, glease = ARGV[10], tonumber(ARGV[11])
local out = {0, 0}
local committed, vals = {}, {}
for i = 1, nb do
  local h, z, a = KEYS[2 * i - 1], KEYS[2 * i], 11 + 5 * (i - 1)
  local max = tonumber(ARGV[a + 1])
  purge(h, z, now)
  local v = state(h)
  vals[i] = v
  local spend = spendOf(h, v, now, idle, reseed, tonumber(ARGV[a + 2]), ARGV[a + 2], ARGV[a + 4] == '1', ARGV[a + 5] == '1')
  local inflight = tonumber(v[3] or '0')
  out[#out + 1] = tostring(spend)
  out[#out + 1] = tostring(inflight)
  local c = spend + inflight
  committed[i] = c
  if out[1] == 0 and ((ARGV[a + 3] == '1' and c >= max) or (ARGV[a + 3] ~= '1' and c > max)) then
    out[1] = 1
    out[2] = i
  end
end
local nl = (#KEYS - 2 * nb) / 4
local base = 11 + 5 * nb
for j = 1, nl do
  local k, l = 2 * nb + 4 * (j - 1), base + 5 * (j - 1)
  local rpm, tpm, mp = tonumber(ARGV[l + 1]), tonumber(ARGV[l + 2]), tonumber(ARGV[l + 3])
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
  keep(h, z, vals[i], now, idle)
end
for j = 1, nl do
  local k, l = 2 * nb + 4 * (j - 1), base + 5 * (j - 1)
  if redis.call('INCR', KEYS[k + 1]) == 1 then redis.call('EXPIRE', KEYS[k + 1], wttl) end
  if tonumber(ARGV[l + 2]) >= 0 and tok > 0 then
    if redis.call('INCRBY', KEYS[k + 2], tok) == tok then redis.call('EXPIRE', KEYS[k + 2], wttl) end
  end
  if tonumber(ARGV[l + 3]) >= 0 then
    redis.call('ZADD', KEYS[k + 3], now + lease, id)
    redis.call('PEXPIRE', KEYS[k + 3], idle)
  end
end
for i = 1, nb do
  local g = '0'
  if glease > 0 then g = grant(KEYS[2 * i - 1], KEYS[2 * i], gid, now, glease, idle, tonumber(cost), tonumber(ARGV[11 + 5 * (i - 1) + 1]), committed[i] + tonumber(cost)) end
  out[#out + 1] = g
end
for j = 1, nl do
  local k, l = 2 * nb + 4 * (j - 1), base + 5 * (j - 1)
  topups(out, KEYS[k + 1], KEYS[k + 2], KEYS[k + 4], gid, tonumber(ARGV[l + 1]), tonumber(ARGV[l + 2]), ARGV[l + 4] == '1', ARGV[l + 5] == '1', tok, wttl)
end
return out`);

/**
 * Renews (or returns) an instance's grants on budgets, off the request path.
 * KEYS: per budget hash and zset. ARGV: now, idle ms, reseed ms, grant id, grant lease ms, call cost,
 * then per budget max, local spend, 1 = shared spend, 1 = local spend just read. Returns the grants.
 */
export const REFILL = script(`${LIB}
local now, idle, reseed, gid, glease, est = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local out = {}
for i = 1, #KEYS / 2 do
  local h, z, a = KEYS[2 * i - 1], KEYS[2 * i], 6 + 4 * (i - 1)
  purge(h, z, now)
  local v = state(h)
  local spend = spendOf(h, v, now, idle, reseed, tonumber(ARGV[a + 2]), ARGV[a + 2], ARGV[a + 3] == '1', ARGV[a + 4] == '1')
  local inflight = tonumber(v[3] or '0')
  out[i] = grant(h, z, gid, now, glease, idle, est, tonumber(ARGV[a + 1]), spend + inflight)
end
return out`);

/**
 * Tops up an instance's shares of rate-limit windows, off the request path.
 * KEYS: per limit the window's request and token counters and its hash of grants.
 * ARGV: grant id, window ttl s, tokens per call, then per limit rpm, tpm, 1 = requests wanted,
 * 1 = tokens wanted. Returns per limit the requests and tokens added and both counters after them.
 */
export const TOPUP = script(`${LIB}
local gid, wttl, tok = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for j = 1, #KEYS / 3 do
  local k, l = 3 * (j - 1), 3 + 4 * (j - 1)
  topups(out, KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], gid, tonumber(ARGV[l + 1]), tonumber(ARGV[l + 2]), ARGV[l + 3] == '1', ARGV[l + 4] == '1', tok, wttl)
end
return out`);

/**
 * A batch of what calls did after their admission, summed per budget, off the request path:
 * - `b`, per budget: the calls admitted on this instance's grant take their cost from the grant
 *   (whatever it no longer covers is added to what is in flight); those still running get a
 *   reservation of their own, those that already ended (admitted and settled within the batch) get
 *   none and release what they took; the calls that ended after a reservation of their own was made
 *   (by ADMIT or an earlier batch) release it; the real cost of the calls that ended is added to the
 *   shared spend when it exists (an absent one is seeded later from a local spend that includes it);
 * - `p`: calls that ended free their slots of a parallel limit;
 * - `t`: the TPM tokens of calls that ended, less what they reserved, added to a window's counter.
 * ARGV: now, lease ms, idle ms, grant id, then per operation:
 *   b, taken from the grant, cost reserved by the calls that ended within the batch, spend to add,
 *     number of calls still running, per call its id and cost, number of calls that ended on a
 *     reservation of their own, their ids                      (KEYS: the budget's hash and zset)
 *   p, number of calls, their ids                              (KEYS: the parallel zset)
 *   t, token change, window ttl s                              (KEYS: the token counter)
 */
export const APPLY = script(`
local now, lease, idle, gid = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local function each(cmd, key, list)
  for i = 1, #list, 2000 do redis.call(cmd, key, unpack(list, i, math.min(i + 1999, #list))) end
end
local a, k = 5, 0
while a <= #ARGV do
  local op = ARGV[a]
  if op == 't' then
    local tk = KEYS[k + 1]
    k = k + 1
    if redis.call('INCRBY', tk, tonumber(ARGV[a + 1])) < 0 then redis.call('SET', tk, 0) end
    redis.call('EXPIRE', tk, tonumber(ARGV[a + 2]))
    a = a + 3
  elseif op == 'p' then
    local n = tonumber(ARGV[a + 1])
    local ids = {}
    for i = 1, n do ids[i] = ARGV[a + 1 + i] end
    each('ZREM', KEYS[k + 1], ids)
    k = k + 1
    a = a + 2 + n
  else
    local h, z = KEYS[k + 1], KEYS[k + 2]
    k = k + 2
    local taken, gone, spend = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), ARGV[a + 3]
    local nr = tonumber(ARGV[a + 4])
    a = a + 5
    local delta = -gone
    if taken > 0 then
      local f = 'r:g:' .. gid
      local g = tonumber(redis.call('HGET', h, f) or '0')
      local take = math.min(g, taken)
      if take > 0 then redis.call('HSET', h, f, g - take) end
      delta = delta + taken - take
    end
    if nr > 0 then
      local fields, members = {}, {}
      for i = 0, nr - 1 do
        local id = ARGV[a + 2 * i]
        fields[2 * i + 1] = 'r:' .. id
        fields[2 * i + 2] = ARGV[a + 2 * i + 1]
        members[2 * i + 1] = now + lease
        members[2 * i + 2] = id
      end
      each('HSET', h, fields)
      each('ZADD', z, members)
      a = a + 2 * nr
    end
    local ne = tonumber(ARGV[a])
    a = a + 1
    if ne > 0 then
      local fields, ids = {}, {}
      for i = 1, ne do
        ids[i] = ARGV[a + i - 1]
        fields[i] = 'r:' .. ids[i]
      end
      for i = 1, ne, 2000 do
        local part = {unpack(fields, i, math.min(i + 1999, ne))}
        for _, r in ipairs(redis.call('HMGET', h, unpack(part))) do
          if r then delta = delta - tonumber(r) end
        end
      end
      each('HDEL', h, fields)
      each('ZREM', z, ids)
      a = a + ne
    end
    if delta ~= 0 then redis.call('HINCRBYFLOAT', h, 'inflight', delta) end
    if (ne > 0 or gone > 0) and redis.call('ZCARD', z) == 0 and redis.call('EXISTS', h) == 1 then redis.call('HSET', h, 'inflight', 0, 'holders', 0) end
    if tonumber(spend) > 0 and redis.call('HEXISTS', h, 'spend') == 1 then redis.call('HINCRBYFLOAT', h, 'spend', spend) end
    redis.call('PEXPIRE', h, idle)
    redis.call('PEXPIRE', z, idle)
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

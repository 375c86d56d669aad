-- Prelude shared by every budget script (prepended at build time).
--
-- KEYS (all carry the tree's hash tag, so one tree lives in one cluster slot):
--   1 nodes   hash   "<node>|cap|win|idx|used|held|pidx|pused" -> value
--   2 holds   hash   hold id -> "amount|deadline|node|window|node|window..."
--   3 leases  zset   hold id scored by lease deadline (ms)
--   4 closed  hash   closed hold id -> remembered outcome
--   5 forget  zset   closed hold id scored by when to forget it (ms)
--   6 meta    hash   seq and operator counters
-- ARGV 1..3 are common: how long to remember closed ids (ms), how many
-- expired holds to reclaim per call, and how many when a reserve would
-- otherwise be denied. Script-specific arguments start at ARGV[4].
--
-- Lua numbers are doubles: every amount is kept below 2^53 by the client,
-- and numbers are written back with '%.0f' so they never turn into '1e+15'.

local K_NODES, K_HOLDS, K_LEASES = KEYS[1], KEYS[2], KEYS[3]
local K_CLOSED, K_FORGET, K_META = KEYS[4], KEYS[5], KEYS[6]
local REMEMBER_MS = tonumber(ARGV[1])
local LAZY_RECLAIM = tonumber(ARGV[2])
local DEEP_RECLAIM = tonumber(ARGV[3])
local CEILING = 9007199254740991

-- Redis 7 replicates script effects by default; older servers need the
-- opt-in before a non-deterministic TIME may be followed by writes.
if redis.replicate_commands then redis.replicate_commands() end

local function fmt(n)
  return string.format('%.0f', n)
end

local function clamp(n)
  if n > CEILING then return CEILING end
  if n < 0 then return 0 end
  return n
end

local NOW
do
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Months since 1970-01 for a UTC timestamp, through the proleptic
-- Gregorian calendar counted in 400-year eras starting on 0000-03-01.
local function month_number(ms)
  local day = math.floor(ms / 86400000) + 719468
  local era = math.floor(day / 146097)
  local day_of_era = day - era * 146097
  local year_of_era = math.floor((day_of_era - math.floor(day_of_era / 1460)
    + math.floor(day_of_era / 36524) - math.floor(day_of_era / 146096)) / 365)
  local day_of_year = day_of_era - (365 * year_of_era + math.floor(year_of_era / 4)
    - math.floor(year_of_era / 100))
  local march_based = math.floor((5 * day_of_year + 2) / 153)
  local year = year_of_era + era * 400
  local month
  if march_based < 10 then
    month = march_based + 2
  else
    month = march_based - 10
    year = year + 1
  end
  return (year - 1970) * 12 + month
end

-- Window specs: 'u' unbounded, 'f<ms>' fixed period, 'm' calendar month.
local function window_at(spec, ms)
  local kind = string.sub(spec, 1, 1)
  if kind == 'f' then
    return math.floor(ms / tonumber(string.sub(spec, 2)))
  elseif kind == 'm' then
    return month_number(ms)
  end
  return 0
end

-- Nodes are loaded once per script, changed in memory and written back by
-- flush(); reading them rolls them into the current window.
--
-- Per node: `used` is everything charged in the window (it may exceed the
-- capacity), `held` the live holds taken in the window; debt is not stored
-- but is whatever used + held exceeds the capacity by. `pidx`/`pused` keep
-- the window before, so a late close can still be booked where it belongs.
local loaded = {}
local load_order = {}

local function node(name, cap, spec)
  local n = loaded[name]
  if not n then
    local v = redis.call('HMGET', K_NODES, name .. '|cap', name .. '|win', name .. '|idx',
      name .. '|used', name .. '|held', name .. '|pidx', name .. '|pused')
    n = {
      name = name,
      cap = tonumber(v[1]) or 0,
      win = v[2] or 'u',
      idx = tonumber(v[3]),
      used = tonumber(v[4]) or 0,
      held = tonumber(v[5]) or 0,
      pidx = tonumber(v[6]),
      pused = tonumber(v[7]) or 0,
      known = v[1] ~= false,
      dirty = false,
    }
    loaded[name] = n
    load_order[#load_order + 1] = name
  end
  if cap and (n.cap ~= cap or n.win ~= spec or not n.known) then
    n.cap = cap
    n.win = spec
    n.known = true
    n.dirty = true
  end
  local current = window_at(n.win, NOW)
  if n.idx ~= current then
    if n.idx then
      n.pidx = n.idx
      n.pused = n.used
    end
    n.idx = current
    n.used = 0
    n.held = 0
    n.dirty = true
  end
  return n
end

local function excess(n)
  local over = n.used + n.held - n.cap
  if over < 0 then return 0 end
  return over
end

local function available(n)
  local free = n.cap - n.used - n.held
  if free < 0 then return 0 end
  return free
end

-- Whether `amount` more fits. With debt nothing fits, not even 0 units.
local function fits(n, amount)
  return n.used + n.held + amount <= n.cap
end

local function in_use(n)
  return clamp(n.used + n.held)
end

-- Book `units` of usage that no live hold covers any more to window `idx`
-- of a node (the current one or the one before); returns the debt it adds.
local function book(n, idx, units)
  if idx == n.idx then
    local before = excess(n)
    n.used = clamp(n.used + units)
    n.dirty = true
    return excess(n) - before
  elseif n.pidx and idx == n.pidx then
    local before = math.max(0, n.pused - n.cap)
    n.pused = clamp(n.pused + units)
    n.dirty = true
    return math.max(0, n.pused - n.cap) - before
  end
  -- Older windows are gone; the charge only shows in the client metrics.
  return 0
end

-- Close a live hold at one level: drop its share of `held` and charge
-- `units`, in the window it was taken in. Returns the debt it adds.
local function settle_level(n, idx, amount, units)
  if idx == n.idx then
    local before = excess(n)
    n.held = math.max(0, n.held - amount)
    n.used = clamp(n.used + units)
    n.dirty = true
    return excess(n) - before
  end
  -- The hold stopped counting when its window rolled over.
  return book(n, idx, units)
end

local function flush()
  for _, name in ipairs(load_order) do
    local n = loaded[name]
    if n.dirty and n.known then
      redis.call('HSET', K_NODES, name .. '|cap', fmt(n.cap), name .. '|win', n.win,
        name .. '|idx', fmt(n.idx), name .. '|used', fmt(n.used),
        name .. '|held', fmt(n.held))
      if n.pidx then
        redis.call('HSET', K_NODES, name .. '|pidx', fmt(n.pidx), name .. '|pused', fmt(n.pused))
      end
      n.dirty = false
    end
  end
end

local function next_seq()
  return redis.call('HINCRBY', K_META, 'seq', 1)
end

local function encode_hold(h)
  local parts = { fmt(h.amount), fmt(h.deadline) }
  for _, level in ipairs(h.levels) do
    parts[#parts + 1] = level.name
    parts[#parts + 1] = fmt(level.idx)
  end
  return table.concat(parts, '|')
end

local function decode_hold(record)
  local parts = {}
  for part in string.gmatch(record, '[^|]+') do
    parts[#parts + 1] = part
  end
  local h = { amount = tonumber(parts[1]) or 0, deadline = tonumber(parts[2]) or 0, levels = {} }
  for i = 3, #parts - 1, 2 do
    h.levels[#h.levels + 1] = { name = parts[i], idx = tonumber(parts[i + 1]) }
  end
  return h
end

local function remember(id, outcome)
  redis.call('HSET', K_CLOSED, id, outcome)
  redis.call('ZADD', K_FORGET, fmt(NOW + REMEMBER_MS), id)
end

-- Give a hold's amount back to every level still in the window it was
-- taken in; a level that has since rolled over no longer counts it.
local function unhold(h)
  for _, level in ipairs(h.levels) do
    local n = node(level.name)
    if n.idx == level.idx then
      n.held = math.max(0, n.held - h.amount)
      n.dirty = true
    end
  end
end

local function reclaim_hold(id, h)
  unhold(h)
  redis.call('HDEL', K_HOLDS, id)
  redis.call('ZREM', K_LEASES, id)
  remember(id, 'R|' .. encode_hold(h))
  redis.call('HINCRBY', K_META, 'reclaimed', 1)
  redis.call('HINCRBY', K_META, 'reclaimed_units', fmt(h.amount))
end

-- Reclaim at most `limit` holds whose lease deadline has passed.
local function reclaim_expired(limit)
  if limit <= 0 then return 0 end
  local ids = redis.call('ZRANGEBYSCORE', K_LEASES, '-inf', fmt(NOW), 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    local record = redis.call('HGET', K_HOLDS, id)
    if record then
      reclaim_hold(id, decode_hold(record))
    else
      redis.call('ZREM', K_LEASES, id)
    end
  end
  return #ids
end

-- Drop remembered outcomes whose time is up, a bounded number per call.
local function forget_old()
  local ids = redis.call('ZRANGEBYSCORE', K_FORGET, '-inf', fmt(NOW), 'LIMIT', 0, 32)
  if #ids > 0 then
    redis.call('HDEL', K_CLOSED, unpack(ids))
    redis.call('ZREM', K_FORGET, unpack(ids))
  end
end

-- The caller's chain of levels: a count at ARGV[at], then name, capacity
-- and window spec for each level, leaf first.
local function chain_from(at)
  local count = tonumber(ARGV[at])
  local chain = {}
  for i = 1, count do
    local base = at + (i - 1) * 3
    chain[i] = node(ARGV[base + 1], tonumber(ARGV[base + 2]), ARGV[base + 3])
  end
  return chain
end


-- Prelude shared by every budget script (prepended at build time).
--
-- KEYS (all carry the tree's hash tag, so one tree lives in one cluster slot):
--   1 nodes   hash  per node "<node>" -> "cap|win|idx|used|held|pidx|pused"
--                   (one field, parsed with one string.match); per tree
--                   "#seq" (last id handed out), "#lease_floor" and
--                   "#closed_floor" (lower bounds of the scores in the two
--                   sorted sets, so most calls skip them)
--   2 holds   hash  hold id -> live hold "amount|deadline|node|window|...",
--                   replaced once closed by its outcome "S|..." or "R|..."
--   3 leases  zset  live hold ids scored by lease deadline (ms)
--   4 closed  zset  closed hold ids scored by when to forget them (ms)
--   5 stats   hash  operator counters: reclaimed, reclaimed_units, late_settles
-- ARGV 1..3 are common: how long to remember closed ids (ms), how many
-- expired holds to reclaim per call, and how many when a reserve would
-- otherwise be denied. Script-specific arguments start at ARGV[4].
--
-- Lua numbers are doubles: every amount is kept below 2^53 by the client,
-- and numbers are written back with '%d' (exact up to 2^53 on 64-bit
-- servers), never with tostring(), which would print '9.007199254741e+15'.
--
-- Every redis.call, every reply element and every string.format costs far
-- more than Lua arithmetic, so nodes and tree fields are read with one
-- HMGET, written back with one HSET, and unchanged numbers are written back
-- as the text they were read as.

local K_NODES, K_HOLDS, K_LEASES, K_CLOSED, K_STATS = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local REMEMBER_MS = tonumber(ARGV[1])
local LAZY_RECLAIM = tonumber(ARGV[2])
local DEEP_RECLAIM = tonumber(ARGV[3])
local CEILING = 9007199254740991

-- Reading TIME and then writing is allowed because Redis (5 and later)
-- replicates a script's effects, not the script itself.

local function fmt(n)
  return string.format('%d', n)
end

local function clamp(n)
  if n > CEILING then return CEILING end
  if n < 0 then return 0 end
  return n
end

local NOW, NOW_TEXT
do
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  NOW_TEXT = fmt(NOW)
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
local TREE_FIELDS = { '#seq', '#lease_floor', '#closed_floor' }
local NODE_PATTERN = '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$'
-- Tree-wide fields; `nil` until the first preload. A floor that is absent
-- is unknown: the sorted set is then scanned.
local TREE = nil

local function new_node(name, text)
  local n = { name = name, dirty = false, known = false, text = text }
  local cap, win, idx, used, held, pidx, pused
  if text then
    cap, win, idx, used, held, pidx, pused = string.match(text, NODE_PATTERN)
  end
  if cap then
    n.known = true
    n.cap, n.win, n.idx = tonumber(cap), win, tonumber(idx)
    n.used, n.held = tonumber(used), tonumber(held)
    n.pidx, n.pused = tonumber(pidx), tonumber(pused) or 0
    -- The text each number was read from, reused when it is unchanged.
    n.read = { cap, idx, used, held, pidx, pused }
    n.orig = { n.cap, n.idx, n.used, n.held, n.pidx, n.pused }
  else
    n.cap, n.win, n.used, n.held, n.pused = 0, 'u', 0, 0, 0
    n.read, n.orig = {}, {}
  end
  return n
end

-- Read every node in `names` not read yet (and, the first time, the tree
-- fields), with one HMGET.
local function preload(names)
  local missing, fields, seen = {}, {}, {}
  for _, name in ipairs(names) do
    if not loaded[name] and not seen[name] then
      seen[name] = true
      missing[#missing + 1] = name
      fields[#fields + 1] = name
    end
  end
  local with_tree = TREE == nil
  if with_tree then
    for _, field in ipairs(TREE_FIELDS) do
      fields[#fields + 1] = field
    end
  end
  if #fields == 0 then return end
  local v = redis.call('HMGET', K_NODES, unpack(fields))
  for i, name in ipairs(missing) do
    loaded[name] = new_node(name, v[i] or nil)
    load_order[#load_order + 1] = name
  end
  if with_tree then
    local at = #missing
    TREE = {
      seq = tonumber(v[at + 1]) or 0,
      lease_floor = tonumber(v[at + 2]),
      closed_floor = tonumber(v[at + 3]),
    }
    TREE.stored = { TREE.seq, TREE.lease_floor, TREE.closed_floor }
  end
end

local function load_tree()
  if TREE == nil then preload({}) end
end

-- A node, configured with `cap`/`spec` when given, rolled into the
-- current window.
local function node(name, cap, spec)
  if not loaded[name] then preload({ name }) end
  local n = loaded[name]
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

local function number_text(n, i, value)
  if value == nil then return '' end
  if value == n.orig[i] and n.read[i] then return n.read[i] end
  return fmt(value)
end

-- Write every changed node and tree field back, with one HSET.
local function flush()
  local fields = {}
  for _, name in ipairs(load_order) do
    local n = loaded[name]
    if n.dirty and n.known then
      local text = table.concat({
        number_text(n, 1, n.cap), n.win, number_text(n, 2, n.idx),
        number_text(n, 3, n.used), number_text(n, 4, n.held),
        number_text(n, 5, n.pidx), number_text(n, 6, n.pused),
      }, '|')
      if text ~= n.text then
        fields[#fields + 1] = name
        fields[#fields + 1] = text
        n.text = text
      end
      n.dirty = false
    end
  end
  if TREE then
    local now = { TREE.seq, TREE.lease_floor, TREE.closed_floor }
    for i, field in ipairs(TREE_FIELDS) do
      if now[i] ~= nil and now[i] ~= TREE.stored[i] then
        fields[#fields + 1] = field
        fields[#fields + 1] = fmt(now[i])
      end
    end
    TREE.stored = now
  end
  if #fields > 0 then
    redis.call('HSET', K_NODES, unpack(fields))
  end
end

-- The next hold id / event number of the tree.
local function next_seq()
  load_tree()
  TREE.seq = TREE.seq + 1
  return TREE.seq
end

-- Give a hold a lease; the floor can only move down here.
local function add_lease(id, deadline)
  redis.call('ZADD', K_LEASES, fmt(deadline), id)
  load_tree()
  if TREE.lease_floor and deadline < TREE.lease_floor then
    TREE.lease_floor = deadline
  end
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

-- Replace a hold's record by its outcome, remembered until REMEMBER_MS
-- from now.
local function remember(id, outcome)
  local forget_at = NOW + REMEMBER_MS
  redis.call('HSET', K_HOLDS, id, outcome)
  redis.call('ZADD', K_CLOSED, fmt(forget_at), id)
  load_tree()
  if TREE.closed_floor and forget_at < TREE.closed_floor then
    TREE.closed_floor = forget_at
  end
end

-- A live record starts with its amount; an outcome with 'S' or 'R'.
local function is_live(record)
  local first = string.byte(record, 1)
  return first ~= nil and first >= 48 and first <= 57
end

local function level_names(h)
  local names = {}
  for i, level in ipairs(h.levels) do
    names[i] = level.name
  end
  return names
end

local function unhold(h)
  preload(level_names(h))
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
  if h.deadline > 0 then redis.call('ZREM', K_LEASES, id) end
  remember(id, 'R|' .. encode_hold(h))
  redis.call('HINCRBY', K_STATS, 'reclaimed', 1)
  redis.call('HINCRBY', K_STATS, 'reclaimed_units', fmt(h.amount))
end

-- Reclaim at most `limit` holds whose lease deadline has passed. Skipped
-- outright while the clock is below the lease floor.
local function reclaim_expired(limit)
  load_tree()
  if limit <= 0 or (TREE.lease_floor and NOW < TREE.lease_floor) then return 0 end
  local ids = redis.call('ZRANGEBYSCORE', K_LEASES, '-inf', NOW_TEXT, 'LIMIT', 0, limit)
  for _, id in ipairs(ids) do
    local record = redis.call('HGET', K_HOLDS, id)
    if record and is_live(record) then
      reclaim_hold(id, decode_hold(record))
    else
      redis.call('ZREM', K_LEASES, id)
    end
  end
  if #ids < limit then
    -- Nothing expired is left: the floor rises to the earliest deadline.
    local first = redis.call('ZRANGE', K_LEASES, 0, 0, 'WITHSCORES')
    TREE.lease_floor = tonumber(first[2]) or CEILING
  end
  return #ids
end

-- Forget remembered outcomes whose time is up, a bounded number per call.
local function forget_old()
  load_tree()
  if TREE.closed_floor and NOW < TREE.closed_floor then return end
  local ids = redis.call('ZRANGEBYSCORE', K_CLOSED, '-inf', NOW_TEXT, 'LIMIT', 0, 32)
  if #ids > 0 then
    redis.call('HDEL', K_HOLDS, unpack(ids))
    redis.call('ZREM', K_CLOSED, unpack(ids))
  end
  if #ids < 32 then
    local first = redis.call('ZRANGE', K_CLOSED, 0, 0, 'WITHSCORES')
    TREE.closed_floor = tonumber(first[2]) or CEILING
  end
end

-- The caller's chain of levels: a count at ARGV[at], then name, capacity
-- and window spec for each level, leaf first.
local function chain_from(at)
  local count = tonumber(ARGV[at])
  local names = {}
  for i = 1, count do
    names[i] = ARGV[at + (i - 1) * 3 + 1]
  end
  preload(names)
  local chain = {}
  for i = 1, count do
    local base = at + (i - 1) * 3
    chain[i] = node(ARGV[base + 1], tonumber(ARGV[base + 2]), ARGV[base + 3])
  end
  return chain
end


-- close: settle, release or cancel one hold, exactly once per hold id.
-- ARGV[4] hold id, ARGV[5] units to charge, ARGV[6] origin ('n': a hold
-- this store issued, 'p': a hold admitted while the store was unreachable),
-- ARGV[7..] the caller's chain (leaf first), used to charge a hold this
-- store no longer knows.
-- Reply: {charged, refunded, debt incurred, was reclaimed (0/1), now,
--         seq (0 when this repeats an earlier close)}
local id = ARGV[4]
local units = tonumber(ARGV[5])
local origin = ARGV[6]

local function outcome_reply(text, seq)
  local parts = {}
  for part in string.gmatch(text, '[^|]+') do
    parts[#parts + 1] = part
  end
  return { tonumber(parts[2]), tonumber(parts[3]), tonumber(parts[4]), tonumber(parts[5]), NOW, seq }
end

-- This hold is dealt with before any other expired hold is reclaimed, so
-- the lazy reclaim below can never take it a second time.
local function finish(charged, refunded, debt, reclaimed)
  local text = 'S|' .. fmt(charged) .. '|' .. fmt(refunded) .. '|' .. fmt(debt) .. '|' .. reclaimed
  remember(id, text)
  local seq = next_seq()
  reclaim_expired(LAZY_RECLAIM)
  forget_old()
  flush()
  return outcome_reply(text, seq)
end

-- One HGET finds a live hold or the remembered outcome of a closed one.
local record = redis.call('HGET', K_HOLDS, id)
local previous = false
if record and is_live(record) then
  local hold = decode_hold(record)
  -- One HMGET for the hold's levels and the tree fields.
  preload(level_names(hold))
  if hold.deadline > 0 and hold.deadline <= NOW then
    -- The lease ran out before this close arrived: reclaim first, then
    -- charge below as late usage, exactly as if a reaper had been faster.
    reclaim_hold(id, hold)
    previous = 'R|' .. record
  else
    local debt = 0
    for _, level in ipairs(hold.levels) do
      -- Usage belongs to the window the hold was taken in.
      debt = math.max(debt, settle_level(node(level.name), level.idx, hold.amount, units))
    end
    if hold.deadline > 0 then redis.call('ZREM', K_LEASES, id) end
    -- finish() replaces the record by the outcome.
    return finish(units, hold.amount - math.min(hold.amount, units), debt, '0')
  end
elseif record then
  previous = record
  if string.sub(previous, 1, 1) == 'S' then
    -- A retry of a close that already happened: charge nothing more.
    return outcome_reply(previous, 0)
  end
end

if previous then
  -- Reclaimed earlier: its amount already went back, so the usage is
  -- charged as plain spend with nothing to refund.
  local hold = decode_hold(string.sub(previous, 3))
  preload(level_names(hold))
  local debt = 0
  for _, level in ipairs(hold.levels) do
    debt = math.max(debt, book(node(level.name), level.idx, units))
  end
  redis.call('HINCRBY', K_STATS, 'late_settles', 1)
  return finish(units, 0, debt, '1')
end

-- Unknown here: admitted while the store was unreachable, or reclaimed so
-- long ago that its id was forgotten. Charge the usage to the caller's
-- chain now.
local debt = 0
for _, n in ipairs(chain_from(7)) do
  debt = math.max(debt, book(n, n.idx, units))
end
if origin == 'n' then
  redis.call('HINCRBY', K_STATS, 'late_settles', 1)
  return finish(units, 0, debt, '1')
end
return finish(units, 0, debt, '0')

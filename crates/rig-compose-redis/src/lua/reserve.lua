-- reserve: take `amount` at every level of the chain, or nothing at all.
-- ARGV[4] amount, ARGV[5] lease in ms (0: none), ARGV[6] mode ('h': a hold,
-- 't': take the units as spend at once), ARGV[7..] the chain (leaf first).
-- Admitted: {1, hold id (= seq), now, deadline (0: none), in use per level...}
-- Denied:   {0, level number (1 = leaf), available there, now}
local amount = tonumber(ARGV[4])
local lease = tonumber(ARGV[5])
local mode = ARGV[6]

-- One HMGET reads the whole chain and the tree fields. A reserve leaves
-- remembered outcomes alone: every close prunes more than it adds.
local chain = chain_from(7)
reclaim_expired(LAZY_RECLAIM)

local function first_short()
  for i, n in ipairs(chain) do
    if not fits(n, amount) then return i end
  end
  return 0
end

local short = first_short()
-- Expired holds still counted against a level must never cause a denial:
-- reclaim deeper before saying no.
if short > 0 and reclaim_expired(DEEP_RECLAIM) > 0 then
  short = first_short()
end
if short > 0 then
  flush()
  return { 0, short, available(chain[short]), NOW }
end

local seq = next_seq()
local deadline = 0
local hold = { amount = amount, deadline = 0, levels = {} }
for i, n in ipairs(chain) do
  if mode == 't' then
    n.used = clamp(n.used + amount)
  else
    n.held = clamp(n.held + amount)
  end
  n.dirty = true
  hold.levels[i] = { name = n.name, idx = n.idx }
end
if mode ~= 't' then
  local id = fmt(seq)
  if lease > 0 then
    deadline = NOW + lease
    hold.deadline = deadline
    add_lease(id, deadline)
  end
  redis.call('HSET', K_HOLDS, id, encode_hold(hold))
end
flush()

local reply = { 1, seq, NOW, deadline }
for _, n in ipairs(chain) do
  reply[#reply + 1] = in_use(n)
end
return reply

-- adjust: charge usage that has no hold ('c'), or give spend back ('g'),
-- at every level of the chain in its current window.
-- ARGV[4] 'c' or 'g', ARGV[5] units, ARGV[6..] the chain (leaf first).
-- Reply: {units, debt incurred, now, seq}
local op = ARGV[4]
local units = tonumber(ARGV[5])

local chain = chain_from(6)
reclaim_expired(LAZY_RECLAIM)
forget_old()

local debt = 0
for _, n in ipairs(chain) do
  if op == 'c' then
    debt = math.max(debt, book(n, n.idx, units))
  else
    n.used = math.max(0, n.used - units)
    n.dirty = true
  end
end
local seq = next_seq()
flush()
return { units, debt, NOW, seq }

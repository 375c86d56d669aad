-- snapshot: the state of each level of the chain, after reclaiming what
-- has expired. ARGV[4..] the chain (leaf first).
-- Reply: {now, then capacity, used, held for each level}
local chain = chain_from(4)
reclaim_expired(DEEP_RECLAIM)
forget_old()
flush()
local reply = { NOW }
for _, n in ipairs(chain) do
  reply[#reply + 1] = n.cap
  reply[#reply + 1] = n.used
  reply[#reply + 1] = n.held
end
return reply

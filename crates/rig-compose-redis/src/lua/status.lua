-- status: every node of the tree plus the tree's counters, as strings.
-- Reply: {now, live holds, leased holds, expired waiting, seq, reclaimed,
--         reclaimed units, late settles, remembered closes, node count,
--         then name, capacity, window spec, window number, used, held,
--         previous window number ('' if none), its usage, for each node}
reclaim_expired(DEEP_RECLAIM)
forget_old()

local names = {}
local fields = redis.call('HKEYS', K_NODES)
for _, field in ipairs(fields) do
  local name = string.match(field, '^([^#].*)$')
  if name then names[#names + 1] = name end
end
table.sort(names)

local stats = redis.call('HMGET', K_STATS, 'reclaimed', 'reclaimed_units', 'late_settles')
local remembered = redis.call('ZCARD', K_CLOSED)
load_tree()
local reply = {
  NOW_TEXT,
  -- The holds hash keeps live holds and remembered outcomes.
  fmt(redis.call('HLEN', K_HOLDS) - remembered),
  fmt(redis.call('ZCARD', K_LEASES)),
  fmt(redis.call('ZCOUNT', K_LEASES, '-inf', NOW_TEXT)),
  fmt(TREE.seq), stats[1] or '0', stats[2] or '0', stats[3] or '0',
  fmt(remembered),
  fmt(#names),
}
for _, name in ipairs(names) do
  local n = node(name)
  reply[#reply + 1] = name
  reply[#reply + 1] = fmt(n.cap)
  reply[#reply + 1] = n.win
  reply[#reply + 1] = fmt(n.idx)
  reply[#reply + 1] = fmt(n.used)
  reply[#reply + 1] = fmt(n.held)
  reply[#reply + 1] = n.pidx and fmt(n.pidx) or ''
  reply[#reply + 1] = fmt(n.pused)
end
flush()
return reply

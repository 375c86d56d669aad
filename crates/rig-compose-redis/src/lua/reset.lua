-- reset: forget the spend (and so the debt) of one node (ARGV[4]) or of every node
-- of the tree (ARGV[4] empty). Live holds stay held. Reply: nodes reset.
reclaim_expired(LAZY_RECLAIM)
forget_old()
local target = ARGV[4]
local count = 0
local fields = redis.call('HKEYS', K_NODES)
for _, field in ipairs(fields) do
  local name = string.match(field, '^([^#].*)$')
  if name and (target == '' or name == target) then
    local n = node(name)
    n.used = 0
    n.dirty = true
    count = count + 1
  end
end
flush()
return count

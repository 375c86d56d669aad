-- renew: move the lease deadline of a live hold to now + ARGV[5] ms.
-- ARGV[4] hold id. Reply: {1, new deadline, now} or {0, why, now} with
-- why = 1 already closed, 2 reclaimed (lease ran out), 0 unknown.
local id = ARGV[4]
local lease = tonumber(ARGV[5])

reclaim_expired(LAZY_RECLAIM)
forget_old()

local record = redis.call('HGET', K_HOLDS, id)
if not record or not is_live(record) then
  flush()
  if not record then return { 0, 0, NOW } end
  if string.sub(record, 1, 1) == 'R' then return { 0, 2, NOW } end
  return { 0, 1, NOW }
end
local hold = decode_hold(record)
if hold.deadline > 0 and hold.deadline <= NOW then
  reclaim_hold(id, hold)
  flush()
  return { 0, 2, NOW }
end
hold.deadline = NOW + lease
redis.call('HSET', K_HOLDS, id, encode_hold(hold))
add_lease(id, hold.deadline)
flush()
return { 1, hold.deadline, NOW }

-- reap: reclaim up to ARGV[4] expired holds.
-- Reply: {reclaimed, expired holds still waiting, now}
local reclaimed = reclaim_expired(tonumber(ARGV[4]))
forget_old()
flush()
return { reclaimed, redis.call('ZCOUNT', K_LEASES, '-inf', NOW_TEXT), NOW }

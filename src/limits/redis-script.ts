import { createHash } from 'node:crypto';

/**
 * Check-and-consume in one server-side step, so the check and the increments cannot interleave
 * with another gateway's. It mirrors `checkFit` in charges.ts; the shared test suite holds the
 * two to the same behaviour.
 *
 * KEYS[i]: the counter of charge i (prefix, key, window length, window start).
 * ARGV[3i-2], ARGV[3i-1], ARGV[3i]: max, amount, ttl in ms (until its window ends plus a margin).
 * Returns 0 when everything was added, or {i, used} for the first charge that does not fit, with
 * `used` as Redis stores it (a string, so fractional amounts survive the trip).
 */
export const CONSUME_LUA = `
local seen, base, pending = {}, {}, {}
for i = 1, #KEYS do
  local k = KEYS[i]
  if seen[k] == nil then
    local v = redis.call('GET', k)
    seen[k] = v or false
    base[k] = v and tonumber(v) or 0
    pending[k] = base[k]
  end
  local nextv = pending[k] + tonumber(ARGV[3 * i - 1])
  if nextv > tonumber(ARGV[3 * i - 2]) then
    return {i, seen[k] or '0'}
  end
  pending[k] = nextv
end
for i = 1, #KEYS do
  local amount = ARGV[3 * i - 1]
  if tonumber(amount) > 0 then
    local k = KEYS[i]
    redis.call('INCRBYFLOAT', k, amount)
    -- Only a counter this script created needs an expiry; an existing one already has it.
    if seen[k] == false then
      redis.call('PEXPIRE', k, ARGV[3 * i])
    end
  end
end
return 0
`;

export const CONSUME_SHA = createHash('sha1').update(CONSUME_LUA).digest('hex');

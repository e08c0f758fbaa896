"""The Lua scripts that make a limit check one atomic Redis round trip (and a settle another).

`RESERVE` first makes sure every budget counter of the current period exists (else it answers
"missing" and the caller rebuilds those counters from the ledger), then refuses if any budget
cannot take the request's maximum cost, or if any rate limit (GCRA, see gcra.py) is exhausted;
only when everything passes does it write: budget counters grow by the reservation, and rate
limit arrival times move on, by the request's cost and by any lease granted with it (see
leases.py). Nothing is written for a refused request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

# KEYS: nb budget counters, then nr rate limit keys.
# ARGV: now, nb, nr, then (amount, reserve, ttl, lease, lease_ceiling, back) per budget, then
#       (limit, cost, lease, back) per rate limit: `lease` is what the caller would like beyond its
#       own cost, `back` what its lease on that counter had left and gives back first.
# Returns {"missing", i...} | {"quota", i, spent} | {"rate", retry_after, (remaining, reset)...}
#       | {"ok", granted lease per budget and rate limit..., (remaining, reset)...};
#       numbers go back as strings since Redis truncates Lua floats.
RESERVE = """
local now = tonumber(ARGV[1])
local nb = tonumber(ARGV[2])
local nr = tonumber(ARGV[3])
local missing = {}
for i = 1, nb do
  if redis.call('EXISTS', KEYS[i]) == 0 then missing[#missing + 1] = tostring(i) end
end
if #missing > 0 then return {'missing', unpack(missing)} end
local base = 4 + nb * 6
-- First what the caller's leases give back, so that nothing it holds is refused to itself.
for i = 1, nb do
  local back = tonumber(ARGV[4 + (i - 1) * 6 + 5])
  if back ~= 0 then redis.call('DECRBY', KEYS[i], string.format('%d', back)) end
end
for j = 1, nr do
  local back = tonumber(ARGV[base + (j - 1) * 4 + 3])
  local stored = redis.call('GET', KEYS[nb + j])
  if back ~= 0 and stored then
    local tat = math.max(tonumber(stored) - back * 60 / tonumber(ARGV[base + (j - 1) * 4]), now)
    redis.call('SET', KEYS[nb + j], string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
  end
end
local spents = {}
for i = 1, nb do
  local a = 4 + (i - 1) * 6
  spents[i] = tonumber(redis.call('GET', KEYS[i]))
  if spents[i] + tonumber(ARGV[a + 1]) > tonumber(ARGV[a]) then
    return {'quota', tostring(i), string.format('%d', spents[i])}
  end
end
local out = {}
local tats = {}
local lefts = {}
local refused = false
local wait = 0
for j = 1, nr do
  local limit = tonumber(ARGV[base + (j - 1) * 4])
  local cost = tonumber(ARGV[base + (j - 1) * 4 + 1])
  local interval = 60 / limit
  local tat = tonumber(redis.call('GET', KEYS[nb + j]) or now)
  if tat < now then tat = now end
  local new_tat = tat + cost * interval
  local allow_at = new_tat - 60
  if allow_at > now + 1e-9 then
    refused = true
    local retry = allow_at - now
    if cost > limit then retry = 1e12 end
    if retry > wait then wait = retry end
    out[#out + 1] = tostring(math.max(0, math.floor((60 - (tat - now)) / interval + 1e-9)))
    out[#out + 1] = tostring(tat - now)
  else
    tats[j] = new_tat
    lefts[j] = math.max(0, math.floor((60 - (new_tat - now)) / interval + 1e-9))
    out[#out + 1] = tostring(lefts[j])
    out[#out + 1] = tostring(new_tat - now)
  end
end
if refused then
  if wait >= 1e12 then wait = -1 end
  return {'rate', tostring(wait), unpack(out)}
end
-- A lease is whole requests like this one, at most a quarter of what is left (of a budget: below
-- its soft threshold), so that it strands little near the end.
local function lease(want, room, unit)
  if unit <= 0 then return 0 end
  return math.max(0, math.floor(math.min(want, room / 4) / unit) * unit)
end
local reply = {'ok'}
for i = 1, nb do
  local a = 4 + (i - 1) * 6
  local reserve = tonumber(ARGV[a + 1])
  local room = tonumber(ARGV[a + 4]) - spents[i] - reserve
  local grant = lease(tonumber(ARGV[a + 3]), room, reserve)
  redis.call('INCRBY', KEYS[i], string.format('%d', reserve + grant))
  local ttl = tonumber(ARGV[a + 2])
  if ttl > 0 then redis.call('EXPIRE', KEYS[i], ttl) end
  reply[#reply + 1] = string.format('%d', grant)
end
for j = 1, nr do
  local limit = tonumber(ARGV[base + (j - 1) * 4])
  local cost = tonumber(ARGV[base + (j - 1) * 4 + 1])
  local grant = lease(tonumber(ARGV[base + (j - 1) * 4 + 2]), lefts[j], cost)
  local tat = tats[j] + grant * 60 / limit
  redis.call('SET', KEYS[nb + j], string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
  reply[#reply + 1] = string.format('%d', grant)
end
for k = 1, #out do reply[#reply + 1] = out[k] end
return reply
"""

# KEYS: nb budget counters, nb soft-threshold flags, then nt rate limit keys.
# ARGV: now, nb, nt, then (delta, soft_nanos, ttl, leased) per budget, then (delta, limit) per rate
#       limit; `leased` is what the caller's leases hold of that budget: counted, but not spent.
# Settles correct token limits; given-back leases correct any rate limit.
# Returns {i, spent, ...} for each budget whose soft threshold this settle crossed first.
SETTLE = """
local now = tonumber(ARGV[1])
local nb = tonumber(ARGV[2])
local nt = tonumber(ARGV[3])
local crossed = {}
for i = 1, nb do
  local a = 4 + (i - 1) * 4
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local spent = redis.call('INCRBY', KEYS[i], ARGV[a]) - tonumber(ARGV[a + 3])
    local soft = tonumber(ARGV[a + 1])
    if soft > 0 and spent >= soft then
      local ttl = tonumber(ARGV[a + 2])
      local flagged
      if ttl > 0 then
        flagged = redis.call('SET', KEYS[nb + i], '1', 'NX', 'EX', ttl)
      else
        flagged = redis.call('SET', KEYS[nb + i], '1', 'NX')
      end
      if flagged then
        crossed[#crossed + 1] = tostring(i)
        crossed[#crossed + 1] = string.format('%d', spent)
      end
    end
  end
end
local base = 4 + nb * 4
for j = 1, nt do
  local key = KEYS[2 * nb + j]
  local stored = redis.call('GET', key)
  if stored then
    local delta = tonumber(ARGV[base + (j - 1) * 2])
    local limit = tonumber(ARGV[base + (j - 1) * 2 + 1])
    local tat = math.max(tonumber(stored) + delta * 60 / limit, now)
    redis.call('SET', key, string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000) + 1000)
  end
end
return crossed
"""


@dataclass(frozen=True)
class LuaScript:
    source: str

    @cached_property
    def sha(self) -> str:
        return hashlib.sha1(self.source.encode()).hexdigest()  # Redis names scripts by their SHA-1

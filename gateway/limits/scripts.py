"""The Lua scripts that make a limit check one atomic Redis round trip (and a settle another).

`RESERVE` first makes sure every budget counter of the current period exists (else it answers
"missing" and the caller rebuilds those counters from the ledger), then refuses if any budget
cannot take the request's maximum cost, or if any rate limit (GCRA, see gcra.py) is exhausted;
only when everything passes does it write: budget counters grow by the reservation, and rate
limit arrival times move on. Nothing is written for a refused request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

# KEYS: nb budget counters, then nr rate limit keys.
# ARGV: now, nb, nr, then (amount, reserve, ttl) per budget, then (limit, cost) per rate limit.
# Returns {"missing", i...} | {"quota", i, spent} | {"rate", retry_after, (remaining, reset)...}
#       | {"ok", (remaining, reset)...}; numbers go back as strings since Redis truncates Lua floats.
RESERVE = """
local now = tonumber(ARGV[1])
local nb = tonumber(ARGV[2])
local nr = tonumber(ARGV[3])
local missing = {}
for i = 1, nb do
  if redis.call('EXISTS', KEYS[i]) == 0 then missing[#missing + 1] = tostring(i) end
end
if #missing > 0 then return {'missing', unpack(missing)} end
for i = 1, nb do
  local a = 4 + (i - 1) * 3
  local spent = tonumber(redis.call('GET', KEYS[i]))
  if spent + tonumber(ARGV[a + 1]) > tonumber(ARGV[a]) then
    return {'quota', tostring(i), tostring(spent)}
  end
end
local base = 4 + nb * 3
local out = {}
local tats = {}
local refused = false
local wait = 0
for j = 1, nr do
  local limit = tonumber(ARGV[base + (j - 1) * 2])
  local cost = tonumber(ARGV[base + (j - 1) * 2 + 1])
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
    out[#out + 1] = tostring(math.max(0, math.floor((60 - (new_tat - now)) / interval + 1e-9)))
    out[#out + 1] = tostring(new_tat - now)
  end
end
if refused then
  if wait >= 1e12 then wait = -1 end
  return {'rate', tostring(wait), unpack(out)}
end
for i = 1, nb do
  local a = 4 + (i - 1) * 3
  redis.call('INCRBY', KEYS[i], ARGV[a + 1])
  local ttl = tonumber(ARGV[a + 2])
  if ttl > 0 then redis.call('EXPIRE', KEYS[i], ttl) end
end
for j = 1, nr do
  redis.call('SET', KEYS[nb + j], string.format('%.6f', tats[j]), 'PX', math.ceil((tats[j] - now) * 1000) + 1000)
end
return {'ok', unpack(out)}
"""

# KEYS: nb budget counters, nb soft-threshold flags, then nt token rate limit keys.
# ARGV: now, nb, nt, then (delta, soft_nanos, ttl) per budget, then (delta, limit) per token limit.
# Returns {i, spent, ...} for each budget whose soft threshold this settle crossed first.
SETTLE = """
local now = tonumber(ARGV[1])
local nb = tonumber(ARGV[2])
local nt = tonumber(ARGV[3])
local crossed = {}
for i = 1, nb do
  local a = 4 + (i - 1) * 3
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local spent = redis.call('INCRBY', KEYS[i], ARGV[a])
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
        crossed[#crossed + 1] = tostring(spent)
      end
    end
  end
end
local base = 4 + nb * 3
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

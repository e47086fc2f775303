-- Two GCRA limits (per key and per tenant) checked and charged atomically in one round trip.
-- KEYS[1] key limit, KEYS[2] tenant limit: each holds its theoretical arrival time (TAT), in microseconds.
-- ARGV[1], ARGV[3]: emission interval (microseconds per request) of the key and of the tenant limit.
-- ARGV[2], ARGV[4]: burst (requests) of the key and of the tenant limit.
-- Returns {allowed 0/1, limit, remaining, reset seconds, retry-after seconds} of the tighter limit; a refused
-- request charges neither limit.
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])

local function gcra(key, interval, burst)
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local new_tat = tat + interval
  local allow_at = new_tat - interval * burst
  return now >= allow_at, tat, new_tat, allow_at
end

local key_interval, key_burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tenant_interval, tenant_burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local key_ok, key_tat, key_new, key_allow = gcra(KEYS[1], key_interval, key_burst)
local tenant_ok, tenant_tat, tenant_new, tenant_allow = gcra(KEYS[2], tenant_interval, tenant_burst)

if key_ok and tenant_ok then
  redis.call('SET', KEYS[1], string.format('%.0f', key_new), 'PX', math.ceil((key_new - now) / 1000) + 1)
  redis.call('SET', KEYS[2], string.format('%.0f', tenant_new), 'PX', math.ceil((tenant_new - now) / 1000) + 1)
  local key_left = math.floor((now - key_allow) / key_interval)
  local tenant_left = math.floor((now - tenant_allow) / tenant_interval)
  if key_left <= tenant_left then
    return {1, math.floor(key_burst), key_left, math.ceil((key_new - now) / 1000000), 0}
  end
  return {1, math.floor(tenant_burst), tenant_left, math.ceil((tenant_new - now) / 1000000), 0}
end

local burst, tat, allow_at = tenant_burst, tenant_tat, tenant_allow
if not key_ok then burst, tat, allow_at = key_burst, key_tat, key_allow end
return {0, math.floor(burst), 0, math.ceil((tat - now) / 1000000), math.max(1, math.ceil((allow_at - now) / 1000000))}

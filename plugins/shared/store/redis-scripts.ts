/**
 * The Redis side of the claim protocol, each one atomic Lua script (one round trip).
 *
 * Stored value layout: a claim is `\x01` + owner token (TOKEN_LENGTH hex chars) + info bytes; a
 * completed record is `\x02` + value bytes. complete/release compare the `\x01<token>` prefix, so
 * only the owner of a claim still in flight can replace or delete it; a completed record is
 * never released.
 */

/**
 * KEYS[1] key; ARGV[1] claim value, ARGV[2] ttl ms → 1 when taken, else {value, pttl}.
 *
 * A claim that finds its very own value (same owner token) is taken too: ioredis re-sends a
 * Cluster command whose connection closed before the reply came (retryDelayOnFailover), so a
 * claim that already ran can run again. Answered "held by another", its request would get 409
 * for its own claim and the key stay held for lock_ttl by a token nobody would complete.
 */
export const CLAIM_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then return 1 end
return {v, redis.call('PTTL', KEYS[1])}
`;

/** KEYS[1] key; ARGV[1] `\x01<token>`, ARGV[2] completed value, ARGV[3] ttl ms → 1 or 0. */
export const COMPLETE_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`;

/** KEYS[1] key; ARGV[1] `\x01<token>` → 1 when deleted, else 0. */
export const RELEASE_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`;

/** KEYS[1] key → {value or false, pttl}. */
export const READ_SCRIPT = `
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
`;

export const CLAIMED_TAG = 0x01;
export const COMPLETED_TAG = 0x02;

// Attempt counters in Redis, shared by every instance: one Lua script counts and starts the window in one atomic
// round trip, so parallel guesses on any number of processes each get their own count.
import {
  defineScript, hashKey, redisStoreConfig, ttlArg, unavailable,
  type RedisClientLike, type RedisStoreConfig, type RedisStoreOptions,
} from './redis-common.js'
import { run } from './redis-run.js'
import type { AttemptCount, AttemptStore } from './types.js'

// A counter is a string: its count, then, once Okta has answered a wrong code of the window, `count:settled:taken`
// (the wrong codes answered so far, and how many of those a right code has taken back since). The plain count stays
// what it always was, so keys written before are read as they are. READ gives the three numbers, nil when there is
// no key, or false for a value that is no counter of ours (not digits: 'abc', '-5', which would grant five attempts
// more, 'nan', '3.5', one too long to be a count); a hash, a list or any other type is Redis's WRONGTYPE error.
// WRITE keeps the key's time left (SET ... PX, not KEEPTTL, which older Redis versions lack). A key in the last
// millisecond of its window (PTTL 0: Redis still serves it) is deleted rather than written, as its window ends anyway:
// a plain SET would keep it, and its count, for ever.
const READ_LUA = `
local function read(key)
  local value = redis.call('GET', key)
  if not value then return nil end
  if #value > 47 then return false end
  local c, s, t = string.match(value, '^(%d+):(%d+):(%d+)$')
  if not c then c, s, t = string.match(value, '^(%d+)$'), '0', '0' end
  if not c or #c > 15 or #s > 15 or #t > 15 then return false end
  return tonumber(c), tonumber(s), tonumber(t)
end
local function write(key, c, s, t, ttl)
  local value = c
  if s > 0 or t > 0 then value = c .. ':' .. s .. ':' .. t end
  if ttl > 0 then redis.call('SET', key, value, 'PX', ttl)
  elseif ttl == 0 then redis.call('DEL', key)
  else redis.call('SET', key, value) end
end
`

// One more attempt; a key with no TTL yet (just created) starts the window, which later attempts never extend.
// Returns the count, the ms left (measured by Redis's clock) and the wrong codes answered so far in the window. A
// value that is no counter of ours is an error, fail closed, until the key's TTL ends it: one is set here first if
// it had none, so that the refusal ends with the window instead of lasting until someone deletes the key.
const INCREMENT_LUA = READ_LUA + `
local ok, c, s, t = pcall(read, KEYS[1])
if not ok or c == false then
  if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
  return redis.error_reply('ERR not an attempt counter')
end
local ttl = redis.call('PTTL', KEYS[1])
-- PTTL 0: the window ends this millisecond, so this attempt starts the next one, as the memory store does at resetAt.
if ttl == 0 then c = nil end
if c == nil or ttl < 0 then ttl = tonumber(ARGV[1]) end
if c == nil then c, s, t = 0, 0, 0 end
write(KEYS[1], c + 1, s, t, ttl)
return {c + 1, ttl, s}
`

// One attempt taken back, its window kept; a counter at zero (or gone) is left as it is.
const DECREMENT_LUA = READ_LUA + `
local c, s, t = read(KEYS[1])
if c and c > 0 then write(KEYS[1], c - 1, s, t, redis.call('PTTL', KEYS[1])) end
return 0
`

// Okta answered a wrong code of the window: one more settled. Nothing is created for a key that is gone.
const SETTLE_LUA = READ_LUA + `
local c, s, t = read(KEYS[1])
if c then write(KEYS[1], c, s + 1, t, redis.call('PTTL', KEYS[1])) end
return 0
`

// A right code: its own attempt, and the wrong codes answered before it was counted (ARGV[1], the settled count it
// saw) that no other right code has taken back yet. A counter at zero is deleted, so the next attempt starts a new
// window as after a reset. A value that is no counter of ours is left to fail closed.
const SUBTRACT_LUA = READ_LUA + `
local c, s, t = read(KEYS[1])
if not c then return 0 end
local settled = math.max(0, math.min(tonumber(ARGV[1]), s) - t)
local taken = math.min(c, 1 + settled)
if taken >= c then redis.call('DEL', KEYS[1]) else write(KEYS[1], c - taken, s, t + settled, redis.call('PTTL', KEYS[1])) end
return 0
`

// The live counter and the ms left, or nil. A value that is not a count of ours is an error, so that it never reads
// as "not paused".
const GET_LUA = READ_LUA + `
local c = read(KEYS[1])
if c == nil then return nil end
if c == false then return redis.error_reply('ERR not an attempt counter') end
return {c, redis.call('PTTL', KEYS[1])}
`

/**
 * Attempt counters in Redis, for limits shared by every instance of an app and its gateway.
 *
 * Semantics are those of {@link AttemptStore}: a fixed window of `windowMs` that starts at the first attempt, then
 * a fresh count. The window runs on Redis's clock (the key's TTL), so instances whose clocks disagree still share
 * one window; `resetAt` is `now` plus the time Redis says is left. Keys are `<prefix>att:<sha256 of key>`.
 *
 * Fails closed: when Redis is unreachable, or does not answer within `commandTimeoutMs`, every method rejects with
 * {@link StoreUnavailableError} (code STORE_UNAVAILABLE) at once or after that timeout, never later and never with
 * a key in the message. The client reconnects by itself; calls succeed again once it has.
 *
 * @example
 * import { Redis } from 'ioredis'
 * // With the offline queue off, a call before the client is first ready is refused: wait for 'ready' before serving.
 * const client = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false })
 * await new Promise((resolve) => client.once('ready', resolve))
 * const attempts = new RedisAttemptStore(client)
 */
export class RedisAttemptStore implements AttemptStore {
  readonly #config: RedisStoreConfig
  readonly #increment: (...args: Array<string | number>) => Promise<unknown>
  readonly #get: (...args: Array<string | number>) => Promise<unknown>
  readonly #decrement: (...args: Array<string | number>) => Promise<unknown>
  readonly #subtract: (...args: Array<string | number>) => Promise<unknown>
  readonly #settle: (...args: Array<string | number>) => Promise<unknown>

  /**
   * @param client an ioredis `Redis` or `Cluster`; it is shared, not owned: the store never closes it.
   * @param options key prefix and command timeout.
   */
  constructor (client: RedisClientLike, options?: RedisStoreOptions) {
    this.#config = redisStoreConfig(client, options)
    this.#increment = defineScript(this.#config.client, 'oktaMfaAttemptIncrement', 1, INCREMENT_LUA)
    this.#get = defineScript(this.#config.client, 'oktaMfaAttemptGet', 1, GET_LUA)
    this.#decrement = defineScript(this.#config.client, 'oktaMfaAttemptDecrement', 1, DECREMENT_LUA)
    this.#subtract = defineScript(this.#config.client, 'oktaMfaAttemptSubtract', 1, SUBTRACT_LUA)
    this.#settle = defineScript(this.#config.client, 'oktaMfaAttemptSettle', 1, SETTLE_LUA)
  }

  /** The Redis key that holds the counter of `key`. */
  keyOf (key: string): string {
    return `${this.#config.prefix}att:${hashKey(key)}`
  }

  async increment (key: string, windowMs: number, now: number): Promise<AttemptCount> {
    const window = ttlArg(windowMs, 'windowMs')
    const redisKey = this.keyOf(key)
    // Given up on (Redis frozen or busy), the count was refused, yet Redis runs it when it answers again: a decrement
    // sent now, behind it on the same connection, runs right after it and takes it back. So an attempt refused with
    // STORE_UNAVAILABLE is never counted late (a person retrying through a stall is not locked out when it ends).
    const reply = await run(this.#config, () => this.#increment(redisKey, window), () => { this.#decrement(redisKey).catch(() => {}) })
    const [count, ttl, settled] = numbers(reply, 3)
    return { count, resetAt: now + ttl, settled }
  }

  async reset (key: string): Promise<void> {
    await run(this.#config, () => this.#config.client.call('DEL', this.keyOf(key)))
  }

  async decrement (key: string): Promise<void> {
    await run(this.#config, () => this.#decrement(this.keyOf(key)))
  }

  async settle (key: string): Promise<void> {
    await run(this.#config, () => this.#settle(this.keyOf(key)))
  }

  async subtract (key: string, settledBefore: number): Promise<void> {
    const settled = Number.isSafeInteger(settledBefore) && settledBefore > 0 ? settledBefore : 0
    await run(this.#config, () => this.#subtract(this.keyOf(key), settled))
  }

  async get (key: string, now: number): Promise<AttemptCount | undefined> {
    const reply = await run(this.#config, () => this.#get(this.keyOf(key)))
    if (reply === null) return undefined
    const [count, ttl] = numbers(reply, 2)
    // No TTL (-1) cannot come from increment; treat such a key, or one expiring now, as no live window.
    return ttl > 0 ? { count, resetAt: now + ttl } : undefined
  }
}

/** The first `n` integers of a script's reply, or StoreUnavailableError. */
function numbers (reply: unknown, n: 2): [number, number]
function numbers (reply: unknown, n: 3): [number, number, number]
function numbers (reply: unknown, n: number): number[] {
  if (Array.isArray(reply) && reply.length >= n && reply.slice(0, n).every((x) => typeof x === 'number')) return reply as number[]
  throw unavailable('unexpected reply')
}

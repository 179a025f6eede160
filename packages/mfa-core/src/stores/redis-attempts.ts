// Attempt counters in Redis, shared by every instance: one Lua script counts and starts the window in one atomic
// round trip, so parallel guesses on any number of processes each get their own count.
import {
  defineScript, hashKey, redisStoreConfig, run, ttlArg,
  type RedisClientLike, type RedisStoreConfig, type RedisStoreOptions,
} from './redis-common.js'
import { StoreUnavailableError, type AttemptCount, type AttemptStore } from './types.js'

// INCR, then PEXPIRE when the key has no TTL yet (it was just created): the window starts at the first attempt and
// is never extended by later ones. Returns the count and the ms left, measured by Redis's clock. A value that is no
// counter of ours (not digits: 'abc', '-5', which would grant five attempts more, 'nan', '3.5', one too long to be a
// count, or a hash, a list, any other type) is an error, fail closed, until the key's TTL ends it: one is set here
// first if it had none, so that the refusal ends with the window instead of lasting until someone deletes the key.
const INCREMENT_LUA = `
local value = redis.pcall('GET', KEYS[1])
if value and (type(value) ~= 'string' or #value > 15 or not string.match(value, '^%d+$')) then
  if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
  return redis.error_reply('ERR not an attempt counter')
end
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if count < 1 then return redis.error_reply('ERR not an attempt counter') end
return {count, ttl}
`

// One attempt taken back: DECR keeps the TTL, and a counter at zero (or gone) is left as it is.
const DECREMENT_LUA = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 0
`

// The attempts up to a right code taken back (DECRBY keeps the TTL); a counter at zero is deleted, so the next
// attempt starts a new window as after a reset. A value that is no counter of ours is left to fail closed.
const SUBTRACT_LUA = `
local value = redis.call('GET', KEYS[1])
if not value or #value > 15 or not string.match(value, '^%d+$') then return 0 end
local count = tonumber(value)
local taken = math.min(count, tonumber(ARGV[1]))
if taken >= count then redis.call('DEL', KEYS[1]) elseif taken > 0 then redis.call('DECRBY', KEYS[1], taken) end
return 0
`

// The live counter and the ms left, or nil. A value that is not a count of ours (not digits, or too long to be one:
// 'abc', '-5', 'nan', '1e309', '9223372036854775807', which Lua would turn into nothing or a huge negative integer)
// is an error, so that it never reads as "not paused".
const GET_LUA = `
local count = redis.call('GET', KEYS[1])
if not count then return nil end
if #count > 15 or not string.match(count, '^%d+$') then return redis.error_reply('ERR not an attempt counter') end
return {tonumber(count), redis.call('PTTL', KEYS[1])}
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
    const [count, ttl] = pair(reply)
    return { count, resetAt: now + ttl }
  }

  async reset (key: string): Promise<void> {
    await run(this.#config, () => this.#config.client.call('DEL', this.keyOf(key)))
  }

  async decrement (key: string): Promise<void> {
    await run(this.#config, () => this.#decrement(this.keyOf(key)))
  }

  async subtract (key: string, count: number): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 1) return
    await run(this.#config, () => this.#subtract(this.keyOf(key), count))
  }

  async get (key: string, now: number): Promise<AttemptCount | undefined> {
    const reply = await run(this.#config, () => this.#get(this.keyOf(key)))
    if (reply === null) return undefined
    const [count, ttl] = pair(reply)
    // No TTL (-1) cannot come from increment; treat such a key, or one expiring now, as no live window.
    return ttl > 0 ? { count, resetAt: now + ttl } : undefined
  }
}

function pair (reply: unknown): [number, number] {
  if (Array.isArray(reply) && typeof reply[0] === 'number' && typeof reply[1] === 'number') return [reply[0], reply[1]]
  throw new StoreUnavailableError('The MFA state store is unavailable (unexpected reply)')
}

// Session revocation in Redis, seen by every instance: a key per revoked session, a "revoked before" mark per user,
// both with TTLs, and a check that reads both in one Lua script.
import {
  defineScript, hashKey, redisStoreConfig, ttlArg, unavailable,
  type RedisClientLike, type RedisStoreConfig, type RedisStoreOptions,
} from './redis-common.js'
import { run } from './redis-run.js'
import type { RevocationStore } from './types.js'
import { InvalidOptionError } from '../invalid-option.js'

// SET with a TTL that never shortens one already there (a second logout with a shorter TTL must not un-revoke early).
const REVOKE_SESSION_LUA = `
local ttl = tonumber(ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], '1', 'PX', ttl)
return 1
`

// Keeps the later of the stored and the new "before" (as the original decimal string: Lua numbers would print
// 1.7e+12), and the longer TTL. A stored value that is no mark of ours (not a decimal integer, or not a string at
// all: a hash, a list), which isRevoked refuses to read, is replaced (SET replaces a key of any type), so that "sign
// out of all sessions" mends it instead of failing until it expires.
const REVOKE_USER_LUA = `
local value = ARGV[1]
local current = redis.pcall('GET', KEYS[1])
if type(current) ~= 'string' or #current > 16 or not string.match(current, '^%-?%d+$') then current = false end
if current and tonumber(current) > tonumber(value) then value = current end
local ttl = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], value, 'PX', ttl)
return 1
`

// The check, in one round trip: a session key of any type is "revoked" (1: only revokeSession writes there, and a
// foreign value must not vouch for a session); else the user mark as stored, or 0 when there is none. A user key of
// another type (a hash, a list: MGET would answer nil, "not revoked") is an error, fail closed.
const IS_REVOKED_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
if #KEYS < 2 then return 0 end
local mark = redis.pcall('GET', KEYS[2])
if type(mark) == 'table' then return redis.error_reply('ERR not a revocation mark') end
if not mark then return 0 end
return mark
`

/** A user mark as revokeUser writes it: a decimal integer (ms since the epoch), not '0x10', '1e3' or ' 12'. */
const MARK = /^-?\d{1,16}$/

/**
 * Revoked sessions in Redis, so that a cookie copied before logout is refused by every instance.
 *
 * `revokeSession` writes `<prefix>{rev}:s:<sha256 of id>`; `revokeUser` writes `<prefix>{rev}:u:<sha256 of user>`
 * holding the latest "revoked before" time (a later call never lowers it, and never shortens a TTL). `isRevoked`
 * reads both with one Lua script (a plain MGET would read a key of another type as absent: "not revoked"). The `{rev}`
 * hash tag keeps all revocation keys in one slot, so that the script also runs on Redis Cluster.
 *
 * Fails closed: when Redis is unreachable or does not answer within `commandTimeoutMs`, every method rejects with
 * {@link StoreUnavailableError}; callers refuse the request rather than accept a session they cannot check.
 *
 * @example
 * const revocations = new RedisRevocationStore(client, { prefix: 'my-app:' })
 * await revocations.revokeUser(userKey, Date.now(), 24 * 3600_000)
 */
export class RedisRevocationStore implements RevocationStore {
  readonly #config: RedisStoreConfig
  readonly #revokeSession: (...args: Array<string | number>) => Promise<unknown>
  readonly #revokeUser: (...args: Array<string | number>) => Promise<unknown>
  readonly #isRevokedOne: (...args: Array<string | number>) => Promise<unknown>
  readonly #isRevokedTwo: (...args: Array<string | number>) => Promise<unknown>

  /**
   * @param client an ioredis `Redis` or `Cluster`; it is shared, not owned: the store never closes it.
   * @param options key prefix and command timeout.
   */
  constructor (client: RedisClientLike, options?: RedisStoreOptions) {
    this.#config = redisStoreConfig(client, options)
    this.#revokeSession = defineScript(this.#config.client, 'oktaMfaRevokeSession', 1, REVOKE_SESSION_LUA)
    this.#revokeUser = defineScript(this.#config.client, 'oktaMfaRevokeUser', 1, REVOKE_USER_LUA)
    this.#isRevokedOne = defineScript(this.#config.client, 'oktaMfaIsRevokedSession', 1, IS_REVOKED_LUA)
    this.#isRevokedTwo = defineScript(this.#config.client, 'oktaMfaIsRevoked', 2, IS_REVOKED_LUA)
  }

  /** The Redis key that marks session `sessionId` revoked. */
  sessionKeyOf (sessionId: string): string {
    return `${this.#config.prefix}{rev}:s:${hashKey(sessionId)}`
  }

  /** The Redis key that holds the "revoked before" time of `userKey`. */
  userKeyOf (userKey: string): string {
    return `${this.#config.prefix}{rev}:u:${hashKey(userKey)}`
  }

  async revokeSession (sessionId: string, ttlMs: number): Promise<void> {
    const ttl = ttlArg(ttlMs)
    await run(this.#config, () => this.#revokeSession(this.sessionKeyOf(sessionId), ttl))
  }

  async revokeUser (userKey: string, before: number, ttlMs: number): Promise<void> {
    const ttl = ttlArg(ttlMs)
    if (!Number.isFinite(before)) throw new InvalidOptionError('"before" must be a finite number of ms since the epoch')
    await run(this.#config, () => this.#revokeUser(this.userKeyOf(userKey), String(Math.ceil(before)), ttl))
  }

  async isRevoked (sessionId: string, userKey: string | undefined, issuedAt: number): Promise<boolean> {
    const reply = await run(this.#config, () => userKey === undefined
      ? this.#isRevokedOne(this.sessionKeyOf(sessionId))
      : this.#isRevokedTwo(this.sessionKeyOf(sessionId), this.userKeyOf(userKey)))
    if (reply === 1) return true
    if (reply === 0) return false
    // A user mark that is no decimal integer ('', 'abc', '0x10', JSON) is not ours: it cannot say the session is good.
    if (typeof reply !== 'string' || !MARK.test(reply)) throw unavailable('unexpected reply')
    return issuedAt <= Number(reply)
  }
}

// Session revocation in Redis, seen by every instance: a key per revoked session, a "revoked before" mark per user,
// both with TTLs, and a check that reads both in one MGET.
import {
  defineScript, hashKey, redisStoreConfig, run, ttlArg,
  type RedisClientLike, type RedisStoreConfig, type RedisStoreOptions,
} from './redis-common.js'
import { StoreUnavailableError, type RevocationStore } from './types.js'

// SET with a TTL that never shortens one already there (a second logout with a shorter TTL must not un-revoke early).
const REVOKE_SESSION_LUA = `
local ttl = tonumber(ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], '1', 'PX', ttl)
return 1
`

// Keeps the later of the stored and the new "before" (as the original decimal string: Lua numbers would print
// 1.7e+12), and the longer TTL. A stored value that is no number (no mark of ours, which isRevoked refuses to read)
// is replaced, so that "sign out of all sessions" mends it instead of failing until it expires.
const REVOKE_USER_LUA = `
local value = ARGV[1]
local current = redis.call('GET', KEYS[1])
local stored = current and tonumber(current)
if stored and stored == stored and stored ~= math.huge and stored > tonumber(value) then value = current end
local ttl = tonumber(ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], value, 'PX', ttl)
return 1
`

/**
 * Revoked sessions in Redis, so that a cookie copied before logout is refused by every instance.
 *
 * `revokeSession` writes `<prefix>{rev}:s:<sha256 of id>`; `revokeUser` writes `<prefix>{rev}:u:<sha256 of user>`
 * holding the latest "revoked before" time (a later call never lowers it, and never shortens a TTL). `isRevoked`
 * reads both with one MGET. The `{rev}` hash tag keeps all revocation keys in one slot, so that MGET also works on
 * Redis Cluster.
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

  /**
   * @param client an ioredis `Redis` or `Cluster`; it is shared, not owned: the store never closes it.
   * @param options key prefix and command timeout.
   */
  constructor (client: RedisClientLike, options?: RedisStoreOptions) {
    this.#config = redisStoreConfig(client, options)
    this.#revokeSession = defineScript(this.#config.client, 'oktaMfaRevokeSession', 1, REVOKE_SESSION_LUA)
    this.#revokeUser = defineScript(this.#config.client, 'oktaMfaRevokeUser', 1, REVOKE_USER_LUA)
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
    if (!Number.isFinite(before)) throw new TypeError('"before" must be a finite number of ms since the epoch')
    await run(this.#config, () => this.#revokeUser(this.userKeyOf(userKey), String(Math.ceil(before)), ttl))
  }

  async isRevoked (sessionId: string, userKey: string | undefined, issuedAt: number): Promise<boolean> {
    const keys = userKey === undefined ? [this.sessionKeyOf(sessionId)] : [this.sessionKeyOf(sessionId), this.userKeyOf(userKey)]
    const reply = await run(this.#config, () => this.#config.client.call('MGET', ...keys))
    if (!Array.isArray(reply)) throw new StoreUnavailableError('The MFA state store is unavailable (unexpected reply)')
    if (reply[0] !== null && reply[0] !== undefined) return true
    const before = reply[1] as unknown
    if (typeof before !== 'string') return false
    // A user mark that is no number ('', 'abc', JSON) is not ours: it cannot say the session is good (fail closed).
    const mark = Number(before)
    if (before.trim() === '' || Number.isNaN(mark)) throw new StoreUnavailableError('The MFA state store is unavailable (unexpected reply)')
    return issuedAt <= mark
  }
}

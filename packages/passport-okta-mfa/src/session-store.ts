// A session store that fails closed: express-session (and @fastify/session) hand a store's error to the app's error
// handler as it is, so a connect-redis on a client without an offline queue answers 500 with ioredis's own message
// (and, with Express's default handler, a stack trace) while Redis is down. Wrapped, every such error is
// @okta-mfa/core's StoreUnavailableError: STORE_UNAVAILABLE, 503, retryable, the store's message kept as `cause` only.
import { StoreUnavailableError, isStoreUnavailableError, shareableRedisError } from '@okta-mfa/core'
import { isThenable } from './thenable.js'
import { InvalidOptionError } from './invalid-option.js'

/**
 * The methods {@link failClosedSessionStore} wraps when the store has them: express-session's store interface
 * (`get`, `set`, `destroy`, `touch`, `all`, `length`, `clear`) and connect-redis's `ids`.
 */
export const SESSION_STORE_METHODS = ['get', 'set', 'destroy', 'touch', 'all', 'length', 'clear', 'ids'] as const

/** Marks a store already wrapped, so that wrapping it again changes nothing. */
const WRAPPED = Symbol.for('passport-okta-mfa.failClosedSessionStore')

/** What the session middleware should see: no error, "no such session" (`ENOENT`, as both middlewares read it) as it is, anything else STORE_UNAVAILABLE. */
function failClosed (err: unknown): unknown {
  if (err === undefined || err === null || isStoreUnavailableError(err)) return err
  if ((err as { code?: unknown }).code === 'ENOENT') return err
  // Not the store's error itself: ioredis's carries the command's arguments (the session id and the session's data).
  const reason = reasonOf(err)
  return new StoreUnavailableError('The session store is unavailable', {
    cause: err instanceof Error ? shareableRedisError(err) : err, ...(reason === undefined ? {} : { reason }),
  })
}

/**
 * The `reason` of the store's failure, in the words core's Redis stores use (safe to log): the error code of a command
 * Redis refused (`NOPERM`, `READONLY`, `OOM`: its reply's first word, never the rest), or an ioredis client that is
 * not connected or timed out; undefined for anything else.
 */
function reasonOf (err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined
  if (err.name === 'ReplyError') return /^([A-Z][A-Z_]{1,31})(?: |$)/.exec(err.message)?.[1]
  if (/enableOfflineQueue|^Connection is closed/.test(err.message)) return 'not connected'
  return err.message === 'Command timed out' ? 'timed out' : undefined
}

/**
 * A stored session that cannot be read (its JSON is broken: a `SyntaxError` from the store's parser; or its key holds
 * a hash, a list or another type that is no string: Redis's `WRONGTYPE`), which no retry mends: read as no session, so
 * the browser gets a new one instead of a 503 on every page until the entry expires (never, without a TTL).
 */
function unreadable (err: unknown): boolean {
  return err instanceof SyntaxError || (err instanceof Error && err.message.startsWith('WRONGTYPE '))
}

/**
 * A stored value that parses but is no session (`{}`, `[]`, `42`, a `cookie` that is not an object, or whose
 * `originalMaxAge` is not a number or null, or whose `expires` is not a date or null): express-session throws on it
 * (a 500, or a request that never ends, on every page, `/login` too, until it expires) and @fastify/session fails
 * once, so it reads as no session as well. What both write passes: `{ cookie: { originalMaxAge, expires, ... }, ... }`.
 */
function notASession (err: unknown, value: unknown): boolean {
  if ((err !== undefined && err !== null) || value === undefined || value === null) return false
  if (typeof value !== 'object' || Array.isArray(value)) return true
  const cookie = (value as { cookie?: unknown }).cookie
  if (typeof cookie !== 'object' || cookie === null || Array.isArray(cookie)) return true
  const { originalMaxAge, expires } = cookie as { originalMaxAge?: unknown, expires?: unknown }
  const maxAgeOk = originalMaxAge === undefined || originalMaxAge === null || (typeof originalMaxAge === 'number' && Number.isFinite(originalMaxAge))
  const expiresOk = expires === undefined || expires === null || expires instanceof Date ||
    ((typeof expires === 'string' || typeof expires === 'number') && !Number.isNaN(new Date(expires).getTime()))
  return !maxAgeOk || !expiresOk
}

/**
 * Makes a session store fail closed: every error its methods give their callback (or reject their promise with, for
 * a store called without one) becomes a `StoreUnavailableError` (`code: 'STORE_UNAVAILABLE'`, `status`/`statusCode`
 * 503, `retryable`), with the store's own error as `cause` and never in the message. An error whose `code` is
 * `ENOENT` ("no such session" to express-session and @fastify/session) and a `StoreUnavailableError` pass as they
 * are; a session `get` could not parse (a `SyntaxError`: the stored value is broken, and stays so), or one that is
 * not a session object with a `cookie` object, reads as no session. Fits any store with callback methods: express-session's (connect-redis and the like) and @fastify/session's.
 *
 * The store's own methods ({@link SESSION_STORE_METHODS}, those it has) are wrapped in place and the same object is
 * returned, with its type, its events and everything else it has; wrapping it again changes nothing.
 *
 * @throws TypeError when `store` has no `get`, `set` and `destroy` methods.
 * @example
 * ```ts
 * import RedisStore from 'connect-redis'
 * import { createRedisStores } from '@okta-mfa/core'
 * import { failClosedSessionStore } from 'passport-okta-mfa'
 * const stores = createRedisStores(process.env.REDIS_URL)
 * app.use(session({ store: failClosedSessionStore(new RedisStore({ client: stores.client })), ... }))
 * ```
 */
export function failClosedSessionStore<S extends object> (store: S): S {
  const methods = store as Record<string, unknown>
  if (typeof store !== 'object' || store === null || ['get', 'set', 'destroy'].some((name) => typeof methods[name] !== 'function')) {
    throw new InvalidOptionError('"store" must be a session store with get, set and destroy methods')
  }
  if ((store as Record<symbol, unknown>)[WRAPPED] === true) return store
  for (const name of SESSION_STORE_METHODS) {
    const original = methods[name]
    if (typeof original !== 'function') continue
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const last = args.length - 1
      const callback = args[last]
      if (typeof callback === 'function') {
        // What the callback itself threw: a store that catches it (connect-redis runs `try { …; cb() } catch (e) {
        // cb(e) }`) feeds it back as if it were its own error. That is the caller's bug, not the store's outage: it
        // passes as it is, as it would without this wrapper, and is not reported as STORE_UNAVAILABLE.
        let thrown: { error: unknown } | undefined
        args[last] = (err?: unknown, ...rest: unknown[]): unknown => {
          if (thrown !== undefined && err === thrown.error) return callback.call(undefined, err, ...rest)
          try {
            return name === 'get' && (unreadable(err) || notASession(err, rest[0]))
              ? callback.call(undefined, null, undefined)
              : callback.call(undefined, failClosed(err), ...rest)
          } catch (error) {
            thrown = { error }
            throw error
          }
        }
      }
      const result: unknown = original.apply(this, args)
      if (!isThenable(result)) return result
      return Promise.resolve(result).then((value) => name === 'get' && notASession(undefined, value) ? undefined : value, (err: unknown) => {
        if (name === 'get' && unreadable(err)) return undefined
        throw failClosed(err)
      })
    }
    Object.defineProperty(store, name, { value: wrapped, writable: true, configurable: true, enumerable: false })
  }
  Object.defineProperty(store, WRAPPED, { value: true })
  return store
}

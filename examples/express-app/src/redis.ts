// REDIS_URL for the Express example: one ioredis client (from @okta-mfa/core's createRedisStores, set up to fail
// fast and reconnect forever) carries the passcode attempt counters, the session revocations and, through
// connect-redis, the express-session sessions, so that several instances behind a load balancer are one app.
import RedisStore from 'connect-redis'
import { createRedisStores, type AttemptStore, type RevocationStore } from '@okta-mfa/core'
import type { Store } from 'express-session'
import { failClosedSessionStore } from 'passport-okta-mfa'
import { sessionTtlSeconds } from './session-store.js'

/** What {@link redisStores} gives `buildApp`, and how to close it. */
export interface RedisSetup {
  attemptStore: AttemptStore
  revocations: RevocationStore
  sessionStore: Store
  /**
   * Resolves once Redis answers PING, or after about a second without an answer (the first connection's wait and
   * PING's own timeout): the app then starts anyway, and its pages answer 503 until Redis is back.
   */
  ready: () => Promise<void>
  /** Ends the Redis client (on shutdown). */
  close: () => Promise<void>
}

/** Key prefix of the sessions, beside the core stores' `okta-mfa:` keys. */
export const SESSION_PREFIX = 'okta-mfa:sess:'

/**
 * Connects to Redis at `url` (checked with @okta-mfa/core's `redisUrlProblem` first) and returns the shared stores.
 *
 * @example
 * const redis = redisStores(process.env.REDIS_URL)
 * buildApp({ ...options, ...redis })
 */
export function redisStores (url: string, onStatusChange?: (status: 'down' | 'up') => void): RedisSetup {
  const redis = createRedisStores(url, onStatusChange === undefined ? {} : { onStatusChange })
  return {
    attemptStore: redis.attempts,
    revocations: redis.revocations,
    // Anonymous sessions go after 15 minutes: a flood of visits to /login cannot fill Redis for a day (the attempt
    // counters and revocations live there too). Fail closed: while Redis is down pages answer 503, not 500 with
    // ioredis's error.
    sessionStore: failClosedSessionStore(new RedisStore({ client: redis.client, prefix: SESSION_PREFIX, ttl: sessionTtlSeconds })),
    ready: async () => { await redis.ping().catch(() => {}) },
    close: redis.close,
  }
}

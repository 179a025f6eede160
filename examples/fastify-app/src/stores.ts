// Where the example keeps passcode attempt counters and session revocations: in Redis with `redisUrl`, shared by
// every instance, else in this process.
import { createRedisStores } from '@okta-mfa/core'
import type { FastifyInstance } from 'fastify'
import { MemoryAttemptStore, MemoryRevocationStore, type AttemptStore, type RevocationStore } from 'passport-okta-mfa'
import type { BuildAppOptions } from './options.js'

/** Attempt counters and revocations: in Redis with `redisUrl` (closed with the app), else in this process. */
export function attemptAndRevocationStores (app: FastifyInstance, options: BuildAppOptions, clock: () => number): { attemptStore: AttemptStore, revocations: RevocationStore } {
  if (options.redisUrl === undefined) return { attemptStore: new MemoryAttemptStore({ clock }), revocations: new MemoryRevocationStore({ clock }) }
  // Once per outage, not at every reconnect attempt.
  const redis = createRedisStores(options.redisUrl, {
    onStatusChange: (status, err) => {
      if (status === 'up') app.log.info('redis reachable again')
      else app.log.error({ err: { code: (err as { code?: unknown } | undefined)?.code, message: err?.message } }, 'redis unreachable: passcode attempts are refused')
    },
  })
  // Listening before the client's first connection made the first requests 503: wait for it (at most the ping's
  // timeout; a Redis down at start is then what it is later, 503 until it is back).
  app.addHook('onReady', async () => { await redis.ping().catch(() => {}) })
  app.addHook('onClose', async () => { await redis.close() })
  return { attemptStore: redis.attempts, revocations: redis.revocations }
}

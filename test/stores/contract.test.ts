// Guards that the memory and Redis stores behave identically: the same AttemptStore and RevocationStore cases (window
// from the first attempt, no extension, expiry, reset, atomic bursts, revocation by session and by user, TTLs) run
// against each, the Redis ones over a real redis-server.
import t from 'tap'
import { Redis } from 'ioredis'
import { MemoryRevocationStore, RedisAttemptStore, RedisRevocationStore } from '@okta-mfa/core'
import { MemoryAttemptStore } from '@okta-mfa/core'
import { withRedis } from '../helpers/redis.js'
import { attemptStoreContract, fakeClock, realClock, revocationStoreContract } from '../helpers/store-contract.js'

const redis = await withRedis(t)
const client = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0 })
t.teardown(() => client.disconnect())
await new Promise((resolve) => client.once('ready', resolve))
// Each subtest gets its own prefix, so that it starts from an empty store.
let n = 0
const prefix = (): string => `contract-${++n}:`

await t.test('MemoryAttemptStore (the contract itself, on the store the adapters use today)', async (t) => {
  await attemptStoreContract(t, () => {
    const clock = fakeClock()
    return { store: new MemoryAttemptStore({ clock: clock.now }), clock }
  })
})

await t.test('RedisAttemptStore', async (t) => {
  await attemptStoreContract(t, () => ({ store: new RedisAttemptStore(client, { prefix: prefix() }), clock: realClock() }))
})

await t.test('MemoryRevocationStore', async (t) => {
  await revocationStoreContract(t, () => {
    const clock = fakeClock()
    return { store: new MemoryRevocationStore({ clock: clock.now }), clock }
  })
})

await t.test('RedisRevocationStore', async (t) => {
  await revocationStoreContract(t, () => ({ store: new RedisRevocationStore(client, { prefix: prefix() }), clock: realClock() }))
})

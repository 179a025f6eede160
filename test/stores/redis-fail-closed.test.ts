// Guards fail-closed: with redis-server killed, or frozen so that commands hang, every store call and ping() rejects
// with STORE_UNAVAILABLE (no key in the message, no crash, no unhandled rejection, no hang), and once redis-server is
// back on the same port the same client serves again without being recreated.
import { connect, createServer, type AddressInfo, type Socket } from 'node:net'
import { inspect } from 'node:util'
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import express from 'express'
import Fastify from 'fastify'
import {
  AttemptLimiter, attemptKey, createRedisStores, isStoreUnavailableError, RedisAttemptStore, revokeUserSessions, StoreUnavailableError, STORE_UNAVAILABLE, shareableRedisError,
  type AttemptStore, type RevocationStore,
} from '@okta-mfa/core'
import { withRedis } from '../helpers/redis.js'

const unhandled: unknown[] = []
const onUnhandled = (err: unknown): void => { unhandled.push(err) }
process.on('unhandledRejection', onUnhandled)
t.teardown(() => { process.off('unhandledRejection', onUnhandled) })

const LOGIN = 'victim@example.org'
const SESSION = 'session-id-secret'

/** Every method of both stores, each expected to reject with STORE_UNAVAILABLE. */
function everyCall (attempts: AttemptStore, revocations: RevocationStore): Array<[string, () => Promise<unknown>]> {
  const now = Date.now()
  return [
    ['increment', () => attempts.increment(LOGIN, 60_000, now)],
    ['get', () => attempts.get(LOGIN, now)],
    ['reset', () => attempts.reset(LOGIN)],
    ['revokeSession', () => revocations.revokeSession(SESSION, 60_000)],
    ['revokeUser', () => revocations.revokeUser(LOGIN, now, 60_000)],
    ['isRevoked', () => revocations.isRevoked(SESSION, LOGIN, now)],
  ]
}

async function assertUnavailable (t: Test, name: string, call: () => Promise<unknown>, reason?: RegExp): Promise<void> {
  const err = await call().then(() => undefined, (e: unknown) => e)
  if (reason !== undefined) t.match((err as StoreUnavailableError).reason, reason, `${name}: reason ${String(reason)}`)
  // Refused before any command was sent: no Redis error to carry, so no `cause` key at all (not one set to undefined).
  if ((err as StoreUnavailableError).reason === 'not connected') t.notOk(Object.hasOwn(err as object, 'cause'), `${name}: no cause`)
  t.ok(isStoreUnavailableError(err), `${name} rejects with StoreUnavailableError`)
  t.ok(err instanceof StoreUnavailableError, `${name}: an instance of the class`)
  t.equal((err as { code?: unknown }).code, STORE_UNAVAILABLE, `${name}: code STORE_UNAVAILABLE`)
  const { status, statusCode, retryable } = err as { status?: unknown, statusCode?: unknown, retryable?: unknown }
  t.same([status, statusCode, retryable], [503, 503, true], `${name}: 503 and retryable, as in the outcome table`)
  const text = `${(err as Error).message} ${String((err as Error).cause)}`
  t.notMatch(text, /victim|session-id|okta-mfa:|att:|rev:/, `${name}: no key or value in the message`)
}

/** Retries ping() until it succeeds: the client's reconnect backoff decides when. */
async function untilReady (ping: () => Promise<void>): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await ping()
      return
    } catch (err) {
      if (i >= 200 || !isStoreUnavailableError(err)) throw err
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

await t.test('createRedisStores: Redis killed, then back on the same port', async (t) => {
  const redis = await withRedis(t)
  const errors: Error[] = []
  const changes: string[] = []
  const stores = createRedisStores(redis.url, {
    prefix: 'fc:', commandTimeoutMs: 300, maxReconnectDelayMs: 100, onError: (err) => errors.push(err),
    onStatusChange: (status, err) => { changes.push(status === 'down' ? `down:${String(err instanceof Error)}` : status); throw new Error('a throwing logger') },
  })
  t.teardown(stores.close)
  await stores.ping()
  const { attempts, revocations, client } = stores
  t.equal((await attempts.increment(LOGIN, 60_000, Date.now())).count, 1, 'works while Redis is up')

  await redis.stop()
  for (const [name, call] of everyCall(attempts, revocations)) await assertUnavailable(t, name, call, /^(not connected|command failed)$/)
  await assertUnavailable(t, 'ping', stores.ping, /^(not connected|command failed)$/)
  // Many calls at once while down: each one rejects; none is let through or left pending.
  const burst = await Promise.allSettled(Array.from({ length: 20 }, () => attempts.increment(LOGIN, 60_000, Date.now())))
  t.ok(burst.every((r) => r.status === 'rejected' && isStoreUnavailableError(r.reason)), 'a burst of 20 attempts: all refused')
  // An app's own route that calls the store (the READMEs' "sign out everywhere"), with each framework's default error
  // handler: 503 (retryable), not a 500.
  const fastify = Fastify()
  fastify.post('/logout-everywhere', async () => { await revokeUserSessions(revocations, LOGIN); return { ok: true } })
  t.teardown(() => fastify.close())
  const viaFastify = await fastify.inject({ method: 'POST', url: '/logout-everywhere' })
  t.same([viaFastify.statusCode, viaFastify.json().code], [503, STORE_UNAVAILABLE], 'Fastify answers a store outage 503')
  const expressApp = express()
  expressApp.set('env', 'test') // its default handler then answers without printing the stack
  expressApp.post('/logout-everywhere', (_req, res, next) => { revokeUserSessions(revocations, LOGIN).then(() => res.json({ ok: true }), next) })
  const server = expressApp.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const viaExpress = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/logout-everywhere`, { method: 'POST' })
  await viaExpress.text()
  t.equal(viaExpress.status, 503, 'Express answers it 503')
  // A reconnect attempt fails (ECONNREFUSED) and is emitted as 'error': it must reach onError, not crash the process.
  if (errors.length === 0) await new Promise((resolve) => client.once('error', resolve))
  t.ok(errors.length > 0, 'connection errors reached onError')
  t.notOk(errors.some((e) => /victim|session-id/.test(e.message)), 'connection errors carry no key')

  // Enough failed reconnects (every 100 ms at most) to see that an outage is reported once, not per attempt.
  while (errors.length < 3) await new Promise((resolve) => client.once('error', resolve))
  t.same(changes, ['down:true'], 'one "down", with its error, for all the failed reconnects')

  await redis.start()
  await untilReady(stores.ping)
  t.equal(client.status, 'ready', 'the client the stores were built on reconnected by itself')
  t.same(changes, ['down:true', 'up'], 'and one "up" when it is back (a throwing callback crashed nothing)')
  t.equal((await attempts.increment(LOGIN, 60_000, Date.now())).count, 1, 'counting again (the new server is empty)')
  await revocations.revokeSession(SESSION, 60_000)
  t.equal(await revocations.isRevoked(SESSION, LOGIN, Date.now()), true, 'revocation works again')
})

await t.test('createRedisStores: calls made before the first connection is ready wait for it (Redis is up), within the budget', async (t) => {
  const redis = await withRedis(t)
  const stores = createRedisStores(redis.url, { prefix: 'fs:', commandTimeoutMs: 5000 })
  t.teardown(stores.close)
  // No ping(): the standalone gateway serves as soon as it listens, and a test may use the stores at once.
  t.equal(stores.client.status, 'connecting', 'the calls below start while the first connection is under way')
  const [count, revoked] = await Promise.all([
    stores.attempts.increment(LOGIN, 60_000, Date.now()),
    stores.revocations.isRevoked(SESSION, LOGIN, Date.now()),
    revokeUserSessions(stores.revocations, 'someone-else'),
  ])
  t.equal(count.count, 1, 'an attempt counted, not STORE_UNAVAILABLE')
  t.equal(revoked, false, 'a revocation check answered')
  // Many calls and pings at once during a first connection share one wait: no listener piles up per call.
  const warnings: string[] = []
  const onWarning = (w: Error): void => { warnings.push(w.name) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  const busy = createRedisStores(redis.url, { prefix: 'fs:', commandTimeoutMs: 5000 })
  t.teardown(busy.close)
  const all = await Promise.all([
    ...Array.from({ length: 30 }, async () => (await busy.attempts.increment('busy', 60_000, Date.now())).count),
    ...Array.from({ length: 30 }, async () => { await busy.ping(); return 0 }),
  ])
  t.same(all.slice(0, 30).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1), '30 attempts at once during the first connection: each counted once')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings.filter((w) => w === 'MaxListenersExceededWarning'), [], 'no MaxListenersExceededWarning')
  t.equal((busy.client as unknown as Redis).listenerCount('ready'), 1, 'no listener left behind but the stores\' own')

  // A Redis frozen from the start (the TCP connection opens, the ready check never answers): the wait ends with the
  // call's budget, STORE_UNAVAILABLE, never a hang.
  const frozen = await withRedis(t)
  frozen.pause()
  const stuck = createRedisStores(frozen.url, { prefix: 'fs:', commandTimeoutMs: 300, connectTimeoutMs: 60_000 })
  t.teardown(async () => { frozen.resume(); await stuck.close() })
  for (const [name, call] of everyCall(stuck.attempts, stuck.revocations)) await assertUnavailable(t, `${name} (frozen at start)`, call)

  // No Redis at all at start: the first connection fails, and the calls waiting for it fail with it.
  const gone = await withRedis(t)
  await gone.stop()
  const down = createRedisStores(gone.url, { prefix: 'fs:', commandTimeoutMs: 60_000, maxReconnectDelayMs: 100 })
  t.teardown(down.close)
  t.equal(down.client.status, 'connecting', 'the calls below start while that connection is under way')
  // Redis comes up a little later: a call that waited on past the failed attempt would then be served.
  let started: Promise<void> | undefined
  const later = setTimeout(() => { started = gone.start() }, 2000)
  const outcomes = await Promise.all(everyCall(down.attempts, down.revocations).map(async ([name, call]) => [name, await call().then(() => 'served', (e: unknown) => e)] as const))
  clearTimeout(later)
  await started
  for (const [name, outcome] of outcomes) t.ok(isStoreUnavailableError(outcome), `${name} (no Redis at start): refused with the failed attempt, not held until Redis came up`)
})

await t.test('createRedisStores: Redis frozen (commands hang) → commandTimeoutMs bounds every call', async (t) => {
  const redis = await withRedis(t)
  const stores = createRedisStores(redis.url, { prefix: 'fz:', commandTimeoutMs: 200 })
  t.teardown(async () => { redis.resume(); await stores.close() })
  await stores.ping()
  await stores.revocations.revokeSession(SESSION, 60_000)

  redis.pause()
  for (const [name, call] of everyCall(stores.attempts, stores.revocations)) await assertUnavailable(t, name, call, /^timed out$/)
  redis.resume()
  await untilReady(stores.ping)
  t.equal(await stores.revocations.isRevoked(SESSION, undefined, Date.now()), true, 'the revocation written before the freeze is still there')
})

await t.test('Redis frozen: once a command went unanswered, one call at a time sends; the rest are refused at once, so what waits on the connection does not grow with the calls', async (t) => {
  const redis = await withRedis(t)
  const stores = createRedisStores(redis.url, { prefix: 'fg:', commandTimeoutMs: 200 })
  t.teardown(async () => { redis.resume(); await stores.close() })
  await stores.ping()
  const admin = new Redis(redis.url)
  t.teardown(() => { admin.disconnect() })
  await stores.attempts.increment(LOGIN, 60_000, Date.now()) // the scripts are loaded: every later count is one EVALSHA
  await admin.call('CONFIG', 'RESETSTAT')
  redis.pause()
  await assertUnavailable(t, 'the first count', async () => await stores.attempts.increment(LOGIN, 60_000, Date.now()), /^timed out$/)
  // Two waves of 200 calls at once, as a busy app makes them: each refused.
  for (let wave = 0; wave < 2; wave++) {
    const outcomes = await Promise.all(Array.from({ length: 200 }, async () => await stores.attempts.increment(LOGIN, 60_000, Date.now()).then(() => 'counted', (e: unknown) => e)))
    t.ok(outcomes.every((o) => isStoreUnavailableError(o) && o.reason === 'timed out'), `wave ${wave + 1}: all 200 refused, "timed out"`)
  }
  redis.resume()
  await untilReady(stores.ping)
  const stats = String(await admin.call('INFO', 'commandstats'))
  const calls = [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
  // Each count sent that went unanswered is followed by its decrement: the first, and one per wave, with their decrements.
  t.ok(calls > 0 && calls <= 10, `Redis ran ${calls} scripts once it answered again, not one per call (401 counts, and as many decrements)`)
  t.equal((await stores.attempts.get(LOGIN, Date.now()))?.count, 1, 'and only the count made before the freeze stands')
  t.equal((await stores.attempts.increment(LOGIN, 60_000, Date.now())).count, 2, 'once Redis answers, every call is sent again')
})

await t.test('Redis frozen, then back: its late answers to the commands it held end the stall, so calls made at once are all sent', async (t) => {
  const redis = await withRedis(t)
  const stores = createRedisStores(redis.url, { prefix: 'fb:', commandTimeoutMs: 200 })
  t.teardown(async () => { redis.resume(); await stores.close() })
  await stores.ping()
  await stores.revocations.revokeSession(SESSION, 60_000)
  redis.pause()
  await assertUnavailable(t, 'isRevoked while frozen', () => stores.revocations.isRevoked(SESSION, undefined, Date.now()), /^timed out$/)
  redis.resume()
  // Redis answers the command it held (after ioredis's own timeout gave up on it): an admin connection's answer says
  // Redis runs again, and the held one was sent before it.
  const admin = new Redis(redis.url)
  t.teardown(() => { admin.disconnect() })
  await admin.ping()
  await new Promise((resolve) => setTimeout(resolve, 50))
  const outcomes = await Promise.all(Array.from({ length: 10 }, async () => await stores.revocations.isRevoked(SESSION, undefined, Date.now()).then(String, (e: unknown) => (e as Error).message)))
  t.same(outcomes, Array.from({ length: 10 }, () => 'true'), 'ten calls at once, all answered: none refused "timed out" for a stall Redis had ended')
})

await t.test('attempts refused while Redis was frozen or busy are not counted when it runs them late: no lockout once it answers again', async (t) => {
  const redis = await withRedis(t)
  const stores = createRedisStores(redis.url, { prefix: 'fl:', commandTimeoutMs: 200 })
  t.teardown(async () => { redis.resume(); await stores.close() })
  await stores.ping()
  const limiter = new AttemptLimiter({ store: stores.attempts, maxAttempts: 4 })
  t.equal((await limiter.consume(LOGIN)).remaining, 3, 'one wrong code before the stall')
  // Frozen: each attempt is refused, though its count is on the wire and Redis runs it once it resumes.
  redis.pause()
  for (let i = 0; i < 4; i++) {
    const err = await limiter.consume(LOGIN).then(() => undefined, (e: unknown) => e)
    t.ok(isStoreUnavailableError(err), `frozen: attempt ${i + 1} refused (STORE_UNAVAILABLE)`)
  }
  redis.resume()
  await untilReady(stores.ping)
  t.equal((await stores.attempts.get(attemptKey(limiter.namespace, LOGIN), Date.now()))?.count, 1, 'frozen: only the attempt made before the stall counts')
  // Busy: a long script holds Redis (the connection answers nothing meanwhile), then the queued commands run.
  const busy = new Redis(redis.url)
  t.teardown(() => { busy.disconnect() })
  const spin = busy.eval("local t = redis.call('TIME'); local until_ = t[1] * 1000000 + t[2] + 1500000; repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] >= until_; return 0", 0)
  await new Promise((resolve) => setTimeout(resolve, 100))
  for (let i = 0; i < 3; i++) {
    const err = await limiter.consume(LOGIN).then(() => undefined, (e: unknown) => e)
    t.ok(isStoreUnavailableError(err), `busy: attempt ${i + 1} refused (STORE_UNAVAILABLE)`)
  }
  await spin
  await untilReady(stores.ping)
  t.equal((await stores.attempts.get(attemptKey(limiter.namespace, LOGIN), Date.now()))?.count, 1, 'busy: still only the one')
  t.equal((await limiter.consume(LOGIN)).remaining, 2, 'the next wrong code is the second, not a lockout')
})

await t.test('createRedisStores: a frozen Redis (the connection stays open) is an outage too, reported once each way', async (t) => {
  const redis = await withRedis(t)
  const changes: string[] = []
  const stores = createRedisStores(redis.url, {
    prefix: 'fo:', commandTimeoutMs: 200, onStatusChange: (status, err) => { changes.push(status === 'down' ? `down:${String(isStoreUnavailableError(err))}` : status) },
  })
  t.teardown(async () => { redis.resume(); await stores.close() })
  await stores.ping()
  redis.pause()
  for (const [name, call] of everyCall(stores.attempts, stores.revocations)) await assertUnavailable(t, name, call)
  t.same(changes, ['down:true'], 'the first command without an answer starts the outage; the next ones add nothing')
  redis.resume()
  await untilReady(stores.ping)
  await stores.attempts.get(LOGIN, Date.now())
  t.same(changes, ['down:true', 'up'], 'the first answer ends it')
})

await t.test("createRedisStores: a frozen Redis seen only by the app's own commands on `client` (a session store's) is reported too", async (t) => {
  const redis = await withRedis(t)
  const changes: string[] = []
  const stores = createRedisStores(redis.url, {
    prefix: 'fa:', commandTimeoutMs: 200, onStatusChange: (status, err) => { changes.push(status === 'down' ? `down:${String(isStoreUnavailableError(err))}` : status) },
  })
  t.teardown(async () => { redis.resume(); await stores.close() })
  await stores.ping()
  // As an app's session store holds it: the ioredis client, for the commands the stores' type does not name.
  const client = stores.client as unknown as Redis
  await client.set('fa:sess:1', '{}')
  redis.pause()
  // What connect-redis does for every page: a GET on the shared client, outside the stores' own calls.
  for (let i = 0; i < 3; i++) await t.rejects(client.get('fa:sess:1'), { message: 'Command timed out' }, `session read ${i + 1}: no answer`)
  t.same(changes, ['down:true'], 'the first session read without an answer starts the outage, once')
  redis.resume()
  await untilReady(async () => { await client.get('fa:sess:1') })
  t.same(changes, ['down:true', 'up'], "the first answer to the app's command ends it")
  await t.rejects(client.hget('fa:sess:1', 'x'), { name: 'ReplyError' })
  t.same(changes, ['down:true', 'up'], 'a reply error is an answer, not an outage')
})

await t.test('createRedisStores: a database the server does not have is refused, never database 0 instead', async (t) => {
  const redis = await withRedis(t)
  const changes: string[] = []
  const stores = createRedisStores(`${redis.url}/99`, { prefix: 'db:', onStatusChange: (status, err) => { changes.push(`${status}:${err?.message ?? ''}`) } })
  t.teardown(stores.close)
  while (changes.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
  t.match(changes, [/^down:.*DB index is out of range/], 'reported as an outage, with Redis\'s reason')
  await assertUnavailable(t, 'ping', stores.ping)
  for (const [name, call] of everyCall(stores.attempts, stores.revocations)) await assertUnavailable(t, name, call)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(stores.client.status, 'end', 'no reconnecting into the wrong database')
  t.same(changes.length, 1, 'and no "up"')
  const probe = new Redis(redis.url)
  t.teardown(() => probe.disconnect())
  t.equal(await probe.dbsize(), 0, 'nothing was written to database 0')
})

// Found while modelling outages: a Redis that answers PING but refuses writes (full, or a replica after a failover)
// refused every attempt and logout, while ping() (and the gateway's /readyz) said it was fine.
await t.test('createRedisStores: a Redis that answers but refuses writes (full, a replica after a failover): ping() rejects; a promotion is picked up', async (t) => {
  const primary = await withRedis(t)
  const admin = new Redis(primary.url)
  t.teardown(() => { admin.disconnect() })
  const stores = createRedisStores(primary.url, { commandTimeoutMs: 500, maxReconnectDelayMs: 100 })
  t.teardown(stores.close)
  await stores.ping()
  t.equal(await admin.dbsize(), 0, 'the probe writes a key and leaves none')
  await admin.config('SET', 'maxmemory-policy', 'noeviction')
  await admin.config('SET', 'maxmemory', '1')
  await assertUnavailable(t, 'ping() while Redis is full', async () => await stores.ping(), /^OOM$/)
  await assertUnavailable(t, 'increment while Redis is full', async () => await stores.attempts.increment(LOGIN, 60_000, Date.now()), /^OOM$/)
  await admin.config('SET', 'maxmemory', '0')
  await stores.ping()

  // The old primary after a failover: a replica, which answers every write READONLY.
  const replica = await withRedis(t)
  const replicaAdmin = new Redis(replica.url)
  t.teardown(() => { replicaAdmin.disconnect() })
  await replicaAdmin.replicaof('127.0.0.1', primary.port)
  const onReplica = createRedisStores(replica.url, { commandTimeoutMs: 500, maxReconnectDelayMs: 100 })
  t.teardown(onReplica.close)
  let readies = 0
  onReplica.client.on('ready', () => { readies++ })
  await untilReady(async () => { await onReplica.attempts.get(LOGIN, Date.now()) }) // reads are served
  await assertUnavailable(t, 'ping() on a replica', async () => await onReplica.ping(), /^READONLY$/)
  await assertUnavailable(t, 'increment on a replica', async () => await onReplica.attempts.increment(LOGIN, 60_000, Date.now()), /^(READONLY|command failed|not connected)$/)
  // A ping right behind a refused write, whose READONLY is dropping the connection to reconnect: still Redis's answer.
  for (let i = 0; i < 3; i++) {
    await untilReady(async () => { await onReplica.attempts.get(LOGIN, Date.now()) })
    await assertUnavailable(t, `a write on a ready replica (${i})`, async () => await onReplica.attempts.increment(LOGIN, 60_000, Date.now()), /^READONLY$/)
    await assertUnavailable(t, `ping() right behind it (${i})`, async () => await onReplica.ping(), /^READONLY$/)
  }
  const before = readies
  await replicaAdmin.replicaof('NO', 'ONE') // promoted, as the failover makes the new primary
  await untilReady(onReplica.ping)
  t.ok(readies > before, 'READONLY made the client reconnect')
  t.equal((await onReplica.attempts.increment(LOGIN, 60_000, Date.now())).count, 1, 'the promoted server takes writes, on the same client')
})

await t.test('a refused AUTH (a wrong or rotated password): onError, onStatusChange and the causes never carry the password', async (t) => {
  const redis = await withRedis(t)
  const admin = new Redis(redis.url)
  t.teardown(() => admin.disconnect())
  await admin.config('SET', 'requirepass', 'Right-Pw-7731')
  const WRONG = 'Wrong-Pw-LEAK4455'
  const seen: unknown[] = []
  const changes: string[] = []
  const stores = createRedisStores(`redis://:${WRONG}@127.0.0.1:${redis.port}`, {
    prefix: 'pw:', commandTimeoutMs: 300, maxReconnectDelayMs: 100, onError: (err) => seen.push(err),
    onStatusChange: (status, err) => { changes.push(status); seen.push(err) },
  })
  t.teardown(stores.close)
  while (seen.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  // Reconnects every 100 ms, each refused: the outage is still one, never "up" on the refusal of its AUTH.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  t.same(changes, ['down'], 'one outage, reported once: the refused AUTH is no answer that ends it')
  const err = await stores.attempts.get(LOGIN, Date.now()).catch((e: unknown) => e)
  t.ok(isStoreUnavailableError(err), 'calls are STORE_UNAVAILABLE')
  seen.push(err)
  t.match(seen[0], { message: /WRONGPASS|NOAUTH|invalid password|invalid username-password/i }, 'the reason is kept')
  for (const e of seen) {
    const shown = [JSON.stringify(e), inspect(e, { depth: 10, showHidden: true }), String((e as Error).stack)].join('\n')
    t.notOk(shown.includes(WRONG), 'no password in what an app would log')
  }
})

await t.test('a server that renamed HELLO and AUTH quotes the password in its "unknown command" reply: cut from onError and every cause', async (t) => {
  // Redis answers a command it does not know with its first arguments: `ERR unknown command 'auth', with args
  // beginning with: '<password>'`. A real redis-server with HELLO and AUTH renamed away gives that answer to the URL's
  // password (ioredis falls back from HELLO to AUTH).
  const redis = await withRedis(t, ['--rename-command', 'HELLO', '', '--rename-command', 'AUTH', ''])
  const PASSWORD = 'Quoted-Pw-LEAK9911'
  const seen: unknown[] = []
  const stores = createRedisStores(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`, {
    prefix: 'q:', commandTimeoutMs: 300, maxReconnectDelayMs: 100, onError: (err) => seen.push(err),
    onStatusChange: (_status, err) => { if (err !== undefined) seen.push(err) },
  })
  t.teardown(stores.close)
  while (seen.length < 1) await new Promise((resolve) => setTimeout(resolve, 10))
  const err = await stores.attempts.get(LOGIN, Date.now()).catch((e: unknown) => e)
  if (err instanceof Error) seen.push(err)
  t.match(seen[0], { message: /^ERR unknown command 'auth', with args beginning with: \(not shown\)$/ }, 'the reply is kept up to its quote')
  for (const e of seen) {
    const shown = [JSON.stringify(e), inspect(e, { depth: 10, showHidden: true }), String((e as Error).stack)].join('\n')
    t.notOk(shown.includes(PASSWORD), 'no password in what an app would log')
  }
  t.equal(shareableRedisError(Object.assign(new Error('NOPERM this user has no permissions'), { name: 'ReplyError', code: 'X' })).message, 'NOPERM this user has no permissions', 'a reply that quotes nothing is kept whole')
})

await t.test('a caller\'s own client with an offline queue and no timeouts still fails closed', async (t) => {
  const redis = await withRedis(t)
  // The ioredis defaults: offline queue on, no commandTimeout, 20 retries per request. The store's own timeout holds.
  const client = new Redis(redis.url)
  client.on('error', () => {})
  t.teardown(() => client.disconnect())
  const attempts = new RedisAttemptStore(client, { prefix: 'own:', commandTimeoutMs: 200 })
  t.equal((await attempts.increment(LOGIN, 60_000, Date.now())).count, 1)

  redis.pause()
  await assertUnavailable(t, 'increment while frozen', () => attempts.increment(LOGIN, 60_000, Date.now()))
  redis.resume()
  await redis.stop()
  await assertUnavailable(t, 'increment while down', () => attempts.increment(LOGIN, 60_000, Date.now()))
  await redis.start()
  let count: number | undefined
  for (let i = 0; count === undefined; i++) {
    try {
      count = (await attempts.increment('other', 60_000, Date.now())).count
    } catch (err) {
      if (i >= 200 || !isStoreUnavailableError(err)) throw err
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  t.equal(count, 1, 'the same client counts again once it has reconnected')
})

await t.test('close() while ping() waits for a first connection that never comes: the ping is refused, not left for its timeout', async (t) => {
  // A server that takes the connection and never answers: ioredis waits for its ready check, ping() waits for ready.
  const silent = createServer(() => {})
  const sockets = new Set<Socket>()
  silent.on('connection', (s) => { sockets.add(s) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close() })
  // A ten-minute budget: without close() ending the wait, tap's own timeout fails this test first.
  const stores = createRedisStores(`redis://127.0.0.1:${(silent.address() as AddressInfo).port}`, { commandTimeoutMs: 600_000 })
  await new Promise<void>((resolve) => { if (sockets.size > 0) resolve(); else silent.once('connection', () => { resolve() }) })
  const pinged = stores.ping().then(() => undefined, (e: unknown) => e)
  await new Promise((resolve) => setImmediate(resolve))
  await stores.close()
  const err = await pinged
  t.ok(isStoreUnavailableError(err), 'the waiting ping() rejects with STORE_UNAVAILABLE once the stores are closed')
  await assertUnavailable(t, 'increment after close()', () => stores.attempts.increment(LOGIN, 60_000, Date.now()))
})

/** A proxy that passes what a connection carries, until told to drop it without a word. */
interface Pair { client: Socket, server: Socket, dropped: boolean }

/** A TCP proxy in front of redis-server on `port`: its connections, and its URL. */
async function redisProxy (t: Test, port: number): Promise<{ url: string, pairs: Set<Pair> }> {
  const pairs = new Set<Pair>()
  const proxy = createServer((client) => {
    const server = connect(port, '127.0.0.1')
    const pair = { client, server, dropped: false }
    pairs.add(pair)
    client.on('data', (d) => { if (!pair.dropped) server.write(d) })
    server.on('data', (d) => { if (!pair.dropped) client.write(d) })
    const end = (): void => { client.destroy(); server.destroy(); pairs.delete(pair) }
    client.on('close', end).on('error', end)
    server.on('close', end).on('error', end)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const p of pairs) { p.client.destroy(); p.server.destroy() } proxy.close() })
  return { url: `redis://127.0.0.1:${(proxy.address() as AddressInfo).port}`, pairs }
}

await t.test('a connection dropped without a word (a proxy keeps it, passing nothing) is replaced: service resumes while Redis is up', async (t) => {
  const redis = await withRedis(t)
  // `dropped`: the proxy discards what passes on the connections it has, keeping them open (no FIN, no RST), as a
  // NAT or a failed-over load balancer can; a new connection passes again.
  const { url, pairs } = await redisProxy(t, redis.port)
  const changes: string[] = []
  const errors: string[] = []
  const stores = createRedisStores(url, {
    prefix: 'sd:', commandTimeoutMs: 200, connectTimeoutMs: 1000, maxReconnectDelayMs: 100,
    onStatusChange: (status) => { changes.push(status) }, onError: (err) => { errors.push(err.message) },
  })
  t.teardown(stores.close)
  await stores.ping()
  await stores.revocations.revokeSession(SESSION, 60_000)
  for (const p of pairs) p.dropped = true
  await assertUnavailable(t, 'isRevoked on the dropped connection', () => stores.revocations.isRevoked(SESSION, undefined, Date.now()), /^timed out$/)
  t.same(changes, ['down'], 'the silence is an outage')
  // Calls keep coming (a readiness probe, people signing in); nothing is restarted.
  await untilReady(stores.ping)
  t.equal(await stores.revocations.isRevoked(SESSION, undefined, Date.now()), true, 'a new connection reads what Redis kept')
  t.same(changes, ['down', 'up'], 'and the outage ends')
  t.equal([...pairs].filter((p) => !p.dropped).length, 1, 'on one new connection')
  t.ok(errors.includes('No answer on this connection for 1000 ms: replaced'), 'onError says why the connection was replaced')
})

await t.test('no unhandled rejection escaped', async (t) => {
  // Late answers to timed-out commands settle after their caller gave up: give them a turn to surface.
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.same(unhandled, [])
})

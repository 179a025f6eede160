// Guards failClosedSessionStore (passport-okta-mfa): connect-redis on createRedisStores' client, redis-server stopped
// mid-test. Wrapped, an Express app answers 503 STORE_UNAVAILABLE through its error handler, with neither ioredis's
// message nor a stack; unwrapped, the same app answers 500 with ioredis's error. A store's "no such session" (ENOENT)
// still means no session.
import { createRequire } from 'node:module'
import { performance } from 'node:perf_hooks'
import { inspect } from 'node:util'
import { Redis } from 'ioredis'
import t from 'tap'
import express, { type ErrorRequestHandler } from 'express'
import session, { type Store } from 'express-session'
import { createRedisStores } from '@okta-mfa/core'
import { failClosedSessionStore, isStoreUnavailableError, MFA_OUTCOMES, SESSION_STORE_METHODS, StoreUnavailableError } from 'passport-okta-mfa'
import { CookieJar, listenLoopback } from '../helpers/http.js'
import { withRedis } from '../helpers/redis.js'

const unhandled: unknown[] = []
const onUnhandled = (err: unknown): void => { unhandled.push(err) }
process.on('unhandledRejection', onUnhandled)
t.teardown(() => { process.off('unhandledRejection', onUnhandled) })

// connect-redis is the Express example's dependency: loaded from there (its ESM build).
const cjsPath = createRequire(new URL('../../examples/express-app/package.json', import.meta.url)).resolve('connect-redis')
type RedisStoreClass = new (options: { client: unknown, prefix?: string }) => Store
const { default: RedisStore } = await import(cjsPath.replace(/[\\/]cjs[\\/]/, '/esm/')) as { default: RedisStoreClass }

/** The error handler the README shows: STORE_UNAVAILABLE is a 503 with its code; anything else goes on to Express's. */
const storeErrors: ErrorRequestHandler = (err, _req, res, next) => {
  if (!isStoreUnavailableError(err)) { next(err); return }
  res.status(err.status).set('retry-after', '5').json({ code: err.code, message: MFA_OUTCOMES.STORE_UNAVAILABLE.message })
}

/** An app that keeps a user in its express-session, on `store`. */
function appOn (store: Store): express.Express {
  const app = express()
  app.use(session({ name: 'sid', secret: 's'.repeat(32), store, resave: false, saveUninitialized: false }))
  const data = (req: express.Request): { user?: string } => req.session as unknown as { user?: string }
  app.post('/in', (req, res, next) => { data(req).user = 'ada'; req.session.save((err) => { if (err !== undefined && err !== null) next(err); else res.send('in') }) })
  app.get('/me', (req, res) => { res.json({ user: data(req).user ?? null }) })
  app.post('/out', (req, res, next) => { req.session.destroy((err) => { if (err !== undefined && err !== null) next(err); else res.send('out') }) })
  app.use(storeErrors)
  return app
}

await t.test('connect-redis on createRedisStores before the first connection: refused at once, never sent later; after ping(), served', async (t) => {
  const redis = await withRedis(t)
  const stores = createRedisStores(redis.url)
  t.teardown(async () => { await stores.close() })
  const store = failClosedSessionStore(new RedisStore({ client: stores.client, prefix: 'first:' }))
  const save = async (sid: string): Promise<unknown> => await new Promise((resolve) => { store.set(sid, { cookie: { originalMaxAge: 60_000 }, user: 'ada' } as never, (err) => { resolve(err ?? 'saved') }) })
  const read = async (sid: string): Promise<unknown> => await new Promise((resolve) => { store.get(sid, (err, value) => { resolve(err ?? value ?? null) }) })
  t.equal(stores.client.status, 'connecting', 'the save below is made before the client is connected')
  const early = await save('sid-early')
  t.ok(isStoreUnavailableError(early), 'a session store command does not wait (no offline queue): STORE_UNAVAILABLE, as the README says')
  await stores.ping() // what the README asks before serving with a session store on stores.client
  t.equal(await read('sid-early'), null, 'the refused save was never sent later')
  t.equal(await save('sid-1'), 'saved')
  t.match(await read('sid-1'), { user: 'ada' }, 'served once connected')
})

await t.test('connect-redis on createRedisStores: wrapped, Redis down is 503 STORE_UNAVAILABLE (no ioredis text, no stack); unwrapped, a 500 with it', async (t) => {
  const redis = await withRedis(t)
  const stores = createRedisStores(redis.url)
  t.teardown(async () => { await stores.close() })
  await stores.ping() // connected before the first request (its offline queue is off)
  const raw = new RedisStore({ client: stores.client, prefix: 'raw:' })
  const plain = new RedisStore({ client: stores.client, prefix: 'wrapped:' })
  const wrapped = failClosedSessionStore(plain)
  t.equal(wrapped, plain, 'the same store object comes back')
  t.ok(wrapped instanceof RedisStore, 'still a connect-redis store (its type and events)')
  t.equal(failClosedSessionStore(wrapped).get, wrapped.get, 'wrapping it again changes nothing')

  const failClosed = new CookieJar(await listenLoopback(t, appOn(wrapped)))
  const unwrapped = new CookieJar(await listenLoopback(t, appOn(raw)))
  for (const jar of [failClosed, unwrapped]) {
    t.equal((await jar.fetch('/in', { method: 'POST' })).text, 'in')
    t.same((await jar.fetch('/me')).json(), { user: 'ada' }, 'Redis up: the session is read back')
  }

  // A stored session that cannot be parsed (broken JSON) is no outage: no retry mends it. Read as no session.
  const broken = new CookieJar(failClosed.baseUrl)
  t.equal((await broken.fetch('/in', { method: 'POST' })).text, 'in')
  const sid = decodeURIComponent(broken.cookies.get('sid') ?? '').replace(/^s:/, '').replace(/\.[^.]*$/, '')
  const client = stores.client as unknown as { set: (key: string, value: string) => Promise<unknown>, call: (...args: string[]) => Promise<unknown> }
  await client.set(`wrapped:${sid}`, '{"cookie":')
  const unreadable = await broken.fetch('/me')
  t.equal(unreadable.status, 200, 'an unreadable stored session: no 503')
  t.same(unreadable.json(), { user: null }, 'read as no session (the browser signs in again)')
  t.equal((await broken.fetch('/in', { method: 'POST' })).text, 'in', 'and a new one is saved')
  t.same((await broken.fetch('/me')).json(), { user: 'ada' })
  // A key that holds no string (a hash, a list: written by something else on the prefix) is as unreadable: Redis's
  // WRONGTYPE on every read, a 503 on every page for as long as the key lives (for ever without a TTL).
  for (const type of ['hash', 'list'] as const) {
    const next = new CookieJar(failClosed.baseUrl)
    t.equal((await next.fetch('/in', { method: 'POST' })).text, 'in')
    const key = `wrapped:${decodeURIComponent(next.cookies.get('sid') ?? '').replace(/^s:/, '').replace(/\.[^.]*$/, '')}`
    await client.call('DEL', key)
    await client.call(type === 'hash' ? 'HSET' : 'RPUSH', key, ...(type === 'hash' ? ['cookie', '{}'] : ['{}']))
    const read = await next.fetch('/me')
    t.equal(read.status, 200, `a ${type} at the session's key: no 503`)
    t.same(read.json(), { user: null }, `a ${type} at the session's key: no session`)
    t.equal((await next.fetch('/in', { method: 'POST' })).text, 'in', 'and a new one is saved')
    t.same((await next.fetch('/me')).json(), { user: 'ada' })
  }
  // Values that parse but are no session, on which express-session itself would throw (a 500 on every page).
  for (const value of ['{}', '[]', '42', '"x"', '{"cookie":null}', '{"cookie":1}', '{"cookie":{"originalMaxAge":"x"}}', '{"cookie":{"originalMaxAge":null,"expires":"not a date"}}']) {
    const next = new CookieJar(failClosed.baseUrl)
    t.equal((await next.fetch('/in', { method: 'POST' })).text, 'in')
    await client.set(`wrapped:${decodeURIComponent(next.cookies.get('sid') ?? '').replace(/^s:/, '').replace(/\.[^.]*$/, '')}`, value)
    const read = await next.fetch('/me')
    t.equal(read.status, 200, `a stored ${value}: no 500`)
    t.same(read.json(), { user: null }, `a stored ${value}: no session`)
  }

  await redis.stop()
  for (const [method, path] of [['GET', '/me'], ['POST', '/out']] as const) {
    const res = await failClosed.fetch(path, { method })
    t.equal(res.status, 503, `${method} ${path} wrapped: 503`)
    t.equal(res.headers['retry-after'], '5')
    t.same(res.json(), { code: 'STORE_UNAVAILABLE', message: MFA_OUTCOMES.STORE_UNAVAILABLE.message })
    t.notMatch(res.text, /enableOfflineQueue|Stream isn|\bat \S+ \(|node_modules/, 'no ioredis message, no stack')
  }
  const fresh = await new CookieJar(failClosed.baseUrl).fetch('/in', { method: 'POST' })
  t.equal(fresh.status, 503, 'a new session that cannot be saved (set): 503')
  t.equal(fresh.json().code, 'STORE_UNAVAILABLE')

  const before = await unwrapped.fetch('/me')
  t.equal(before.status, 500, 'unwrapped: a 500, not the 503 the READMEs promise')
  t.notMatch(before.text, /STORE_UNAVAILABLE/)
  if (process.env.NODE_ENV !== 'production') t.match(before.text, /enableOfflineQueue/, "Express's default handler shows ioredis's message")

  const direct = await new Promise<unknown>((resolve) => { wrapped.get('some-id', (err) => { resolve(err) }) })
  t.ok(direct instanceof StoreUnavailableError, 'a callback gets a StoreUnavailableError')
  t.match(direct, { code: 'STORE_UNAVAILABLE', status: 503, statusCode: 503, retryable: true, message: 'The session store is unavailable' })
  t.match((direct as Error).cause, { message: /enableOfflineQueue/ }, "ioredis's error is the cause, for the logs")
  t.equal((direct as StoreUnavailableError).reason, 'not connected', 'and its reason, in the words of the Redis stores')

  await redis.start()
  const deadline = performance.now() + 10_000
  while ((await failClosed.fetch('/me')).status !== 200 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  const back = await failClosed.fetch('/me')
  t.equal(back.status, 200, 'Redis back: served again, nothing recreated')
  t.same(back.json(), { user: null }, '(this redis-server keeps nothing across a restart: the session is gone)')
  t.same(unhandled, [], 'no unhandled rejection')
})

await t.test("a store's refusal is the cause without the command's arguments (the session id and the session's data)", async (t) => {
  const redis = await withRedis(t)
  const stores = createRedisStores(redis.url)
  t.teardown(async () => { await stores.close() })
  await stores.ping()
  const admin = new Redis(redis.url)
  await admin.config('SET', 'maxmemory', '1') // every write now refused: OOM, with ioredis's command on the error
  admin.disconnect()
  const store = failClosedSessionStore(new RedisStore({ client: stores.client, prefix: 'oom:' }))
  const SID = 'sid-LEAK-5521'
  const TOKEN = 'csrf-LEAK-7730'
  const err = await new Promise<unknown>((resolve) => { store.set(SID, { cookie: { originalMaxAge: 60_000 }, csrf: TOKEN } as never, (e) => { resolve(e) }) })
  t.match(err, { code: 'STORE_UNAVAILABLE', cause: { message: /^OOM / } }, "the store's refusal, kept as the cause")
  t.equal((err as StoreUnavailableError).reason, 'OOM', 'its code is the reason, never the rest of the reply')
  const shown = [JSON.stringify(err), inspect(err, { depth: 10, showHidden: true }), String((err as Error).stack)].join('\n')
  t.notOk(shown.includes(SID) || shown.includes(TOKEN), 'neither the session id nor its data in what an app could log')
  t.equal(((err as Error).cause as { command?: unknown }).command, undefined, "no command on the cause")
})

await t.test("a Redis that stops answering: the session store's error says \"timed out\"", async (t) => {
  const redis = await withRedis(t)
  const stores = createRedisStores(redis.url, { commandTimeoutMs: 200 })
  t.teardown(async () => { redis.resume(); await stores.close() })
  await stores.ping()
  const store = failClosedSessionStore(new RedisStore({ client: stores.client, prefix: 'frozen:' }))
  redis.pause()
  const err = await new Promise<unknown>((resolve) => { store.get('some-id', (e) => { resolve(e) }) })
  t.match(err, { code: 'STORE_UNAVAILABLE' })
  t.equal((err as StoreUnavailableError).reason, 'timed out')
})

await t.test("an error the session middleware's own callback throws, which connect-redis feeds back to it, is not reported as the store's outage", async (t) => {
  const redis = await withRedis(t)
  const stores = createRedisStores(redis.url)
  t.teardown(async () => { await stores.close() })
  await stores.ping()
  const store = failClosedSessionStore(new RedisStore({ client: stores.client, prefix: 'cb:' }))
  // As a framework's save callback that answers a reply already sent (ERR_HTTP_HEADERS_SENT): it throws once.
  const bug = Object.assign(new Error('Cannot set headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' })
  const calls: unknown[] = []
  await new Promise<void>((resolve) => {
    store.set('sid-cb', { cookie: { originalMaxAge: 60_000 } } as never, (err) => {
      calls.push(err)
      if (calls.length === 1) throw bug
      resolve()
    })
  })
  t.equal(calls.length, 2, 'connect-redis called back again with what the callback threw')
  t.notOk(calls[0], 'the save itself worked')
  t.equal(calls[1], bug, 'and that second call carries the caller\'s own error as it is: not STORE_UNAVAILABLE with Redis up')
  t.notOk(isStoreUnavailableError(calls[1]))
})

await t.test('a store of any kind: its methods are wrapped in place, "no such session" (ENOENT) passes, a bad argument is a TypeError', async (t) => {
  const missing = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' })
  const store = new session.MemoryStore()
  const calls: string[] = []
  const own = Object.assign(store, {
    get (sid: string, cb: (err: unknown, value?: unknown) => void) { calls.push(sid); cb(sid === 'gone' ? missing : new Error('disk on fire')) },
  })
  const wrapped = failClosedSessionStore(own)
  const errOf = async (sid: string): Promise<unknown> => await new Promise((resolve) => { wrapped.get(sid, (err) => { resolve(err) }) })
  t.equal(await errOf('gone'), missing, 'ENOENT reaches the middleware as it is: no session, not an outage')
  t.match(await errOf('x'), { code: 'STORE_UNAVAILABLE', message: 'The session store is unavailable', cause: { message: 'disk on fire' } })
  t.same(calls, ['gone', 'x'])
  const ok = await new Promise<unknown[]>((resolve) => { wrapped.set('a', { cookie: new session.Cookie() }, (...args: unknown[]) => { resolve(args) }) })
  t.notOk(ok[0], 'a call that works is untouched')
  t.ok(SESSION_STORE_METHODS.includes('touch'))
  const rejecting = failClosedSessionStore({
    get: async (): Promise<unknown> => { throw new Error('socket closed') },
    set: (): void => {},
    destroy: (): void => {},
  })
  const rejected = await (rejecting.get() as Promise<unknown>).then(() => undefined, (err: unknown) => err)
  t.match(rejected, { code: 'STORE_UNAVAILABLE', cause: { message: 'socket closed' } }, 'a store called without a callback: its promise rejects with it too')
  // The promise form reads a broken or foreign stored value as no session too, as the callback form does.
  const stored = new Map<string, () => Promise<unknown>>([
    ['broken', async () => { throw new SyntaxError('Unexpected end of JSON input') }],
    ['foreign', async () => ({ cookie: { originalMaxAge: 'x' } })],
    ['badExpires', async () => ({ cookie: { originalMaxAge: 60_000, expires: 'not a date' }, user: 'ada' })],
    ['badMaxAge', async () => ({ cookie: { originalMaxAge: 'x', expires: null }, user: 'ada' })],
    ['good', async () => ({ cookie: { originalMaxAge: 60_000, expires: null }, user: 'ada' })],
  ])
  const promising = failClosedSessionStore({
    get: async (sid: string): Promise<unknown> => await (stored.get(sid) ?? (async () => undefined))(),
    set: (): void => {},
    destroy: (): void => {},
  })
  t.equal(await promising.get('broken'), undefined, 'a value its parser refuses (SyntaxError): no session, not an outage')
  t.equal(await promising.get('foreign'), undefined, 'a value that is no session: no session')
  t.equal(await promising.get('badExpires'), undefined, 'a user under a cookie whose expires is no date: no session')
  t.equal(await promising.get('badMaxAge'), undefined, 'a user under a cookie whose originalMaxAge is no number: no session')
  t.same(await promising.get('good'), { cookie: { originalMaxAge: 60_000, expires: null }, user: 'ada' }, 'a session: as it is')
  for (const bad of [null, {}, { get () {} }, 'store']) t.throws(() => failClosedSessionStore(bad as object), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION' })
})

// Guards the MFA session-state module the strategy, the guards and the gateway share: both session
// flavours (express-session object, secure-session get/set), binding to the user, malformed state
// ignored, clearMfa, and the userKeyOf rules (a key that collides across users would leak MFA between them).
import t from 'tap'
import express from 'express'
import session from 'express-session'
import { InvalidOptionError, MFA_SESSION_KEY, MemoryRevocationStore, clearMfa, getMfaState, recordMfa, revokeUserSessions, signOutRevoked, startSession, userKeyOf } from 'passport-okta-mfa'
import { CookieJar, listenLoopback } from '../helpers/http.js'

/** A @fastify/secure-session-like session: get/set over a private map. */
function secureLike (): { get: (k: string) => unknown, set: (k: string, v: unknown) => void, data: Map<string, unknown> } {
  const data = new Map<string, unknown>()
  return { get: (k) => data.get(k), set: (k, v) => { if (v === undefined) data.delete(k); else data.set(k, v) }, data }
}

await t.test('record, read and clear on both session flavours', async (t) => {
  const flavours = { 'express-session': () => ({}) as Record<string, unknown>, 'secure-session': secureLike }
  for (const [name, make] of Object.entries(flavours)) {
    const req = { session: make() as unknown, user: { id: 7, username: 'ada' } }
    t.equal(getMfaState(req), undefined, `${name}: nothing yet`)
    const state = recordMfa(req, { user: req.user, factorId: 'ost1', method: 'graphql', now: 1234 })
    t.same(state, { userKey: '7', factorId: 'ost1', method: 'graphql', completedAt: 1234 })
    t.same(getMfaState(req), state, `${name}: read back`)
    t.same(getMfaState({ ...req, user: undefined }), undefined, `${name}: no user, no state`)
    t.same(getMfaState(req), state, `${name}: still there for its user`)
    t.same(getMfaState({ ...req, user: { id: 8 } }), undefined, `${name}: another user does not get it`)
    t.same(getMfaState(req), undefined, `${name}: and it is gone: its user signing in again does not bring it back`)
    recordMfa(req, { user: req.user, factorId: 'ost1', method: 'graphql', now: 1234 })
    t.same(getMfaState(req, { user: { id: '7' } }), state, `${name}: explicit user`)
    clearMfa(req)
    t.equal(getMfaState(req), undefined, `${name}: cleared`)
  }
})

await t.test('each session is read its own way, whatever sessions came before it', async (t) => {
  // A class with get/set on its prototype (as secure-session's, also behind a Proxy), a plain object with its own
  // get/set, and plain objects: the flavour learnt from one kind must never apply to another.
  class ClassSession {
    readonly #data = new Map<string, unknown>()
    get (k: string): unknown { return this.#data.get(k) }
    set (k: string, v: unknown): void { if (v === undefined) this.#data.delete(k); else this.#data.set(k, v) }
  }
  const user = { id: 7 }
  const makers: Record<string, () => unknown> = {
    class: () => new ClassSession(),
    'class behind a Proxy': () => new Proxy(new ClassSession(), { get: (target, prop) => { const v = Reflect.get(target, prop) as unknown; return typeof v === 'function' ? v.bind(target) : v } }),
    'own get/set': secureLike,
    plain: () => ({}),
    'plain with data named like the methods': () => ({ get: 'not a method', set: 1 }),
  }
  for (let round = 0; round < 2; round++) {
    for (const [name, make] of Object.entries(makers)) {
      const session = make() as Record<string, unknown>
      const req = { session, user }
      const state = recordMfa(req, { user, factorId: 'ost1', method: 'form', now: 5 + round })
      t.same(getMfaState(req), state, `${name} (round ${round}): read back`)
      if (name.startsWith('plain')) t.same(session[MFA_SESSION_KEY], state, `${name}: stored as a property`)
      else t.equal(session[MFA_SESSION_KEY], undefined, `${name}: stored through set(), not as a property`)
      clearMfa(req)
      t.equal(getMfaState(req), undefined, `${name} (round ${round}): cleared`)
    }
  }
})

await t.test('malformed or foreign state is ignored', async (t) => {
  const bad = [null, 'x', { userKey: 'u', factorId: 'f', method: 'sms', completedAt: 1 }, { userKey: 'u', factorId: 'f', method: 'form', completedAt: '1' }, { userKey: 1, factorId: 'f', method: 'form', completedAt: 1 }]
  for (const value of bad) t.equal(getMfaState({ session: { [MFA_SESSION_KEY]: value }, user: 'u' }), undefined, JSON.stringify(value))
  t.equal(getMfaState({ user: 'u' }), undefined, 'no session at all')
})

await t.test('recordMfa refuses what it cannot bind', async (t) => {
  t.throws(() => recordMfa({ user: 'u' }, { user: 'u', factorId: 'f', method: 'form' }), { name: 'TypeError', message: /session/ })
  t.throws(() => recordMfa({ session: {} }, { user: {}, factorId: 'f', method: 'form' }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /userKey/ })
  t.throws(() => recordMfa({ session: {} }, { user: 'u', factorId: '', method: 'form' }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /factorId/ })
  t.throws(() => recordMfa({ session: {} }, { user: 'u', factorId: 'f', method: 'push' as never }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /method/ })
})

await t.test('userKeyOf', async (t) => {
  t.equal(userKeyOf('ada'), 'ada')
  t.equal(userKeyOf(42), '42')
  t.equal(userKeyOf({ id: 'u1', username: 'ada' }), 'u1')
  t.equal(userKeyOf({ username: 'ada', email: 'a@x' }), 'ada')
  t.equal(userKeyOf({ email: 'a@x' }), 'a@x')
  // A typed name keys its account whatever its case or width (one Okta user, one attempt counter); ids are kept as given.
  t.equal(userKeyOf({ login: 'Ada@Example.COM' }), 'ada@example.com')
  t.equal(userKeyOf({ email: ' ＡＤＡ@x\u200b ' }), 'ada@x')
  t.equal(userKeyOf({ username: 'Ada', login: 'other@x' }), 'ada', 'the first name field, as before')
  t.equal(userKeyOf({ username: '\u200b ', email: 'B@x' }), 'b@x', 'a name that normalizes to nothing is skipped')
  t.equal(userKeyOf({ id: 'AbC', login: 'ada@x' }), 'AbC', 'an id is kept as given')
  t.equal(userKeyOf({ userId: 'U-1' }), 'U-1')
  t.equal(userKeyOf('MixedCase'), 'MixedCase', 'a string user is kept as given')
  t.equal(userKeyOf({ login: 'Ada@x' }, (u) => (u as { login: string }).login), 'Ada@x', 'a userKey function is taken as it answers')
  class ObjectId { constructor (readonly hex: string) {} toString (): string { return this.hex } }
  t.equal(userKeyOf({ _id: new ObjectId('65f0c0ffee') }), '65f0c0ffee')
  t.throws(() => userKeyOf({ _id: { nested: 1 } }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION' }, 'a plain object id would make every user "[object Object]"')
  t.throws(() => userKeyOf({ id: '' }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION' })
  t.equal(userKeyOf({ anything: 1 }, () => 'custom'), 'custom')
  t.throws(() => userKeyOf({}, () => ''), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"userKey"/ })
})

await t.test('requireMfa() also works as a Fastify preHandler (the same guard as requireMfaFastify)', async (t) => {
  const { default: Fastify } = await import('fastify')
  const { requireMfa } = await import('passport-okta-mfa')
  const session = secureLike()
  const app = Fastify()
  t.teardown(async () => { await app.close() })
  app.addHook('onRequest', async (request) => {
    Object.assign(request, { user: { id: 'ada' }, session })
  })
  app.get('/account', { preHandler: requireMfa({ redirectTo: '/mfa' }) }, async (request) => ({ ok: true, mfa: (request as unknown as { mfa?: unknown }).mfa }))
  const api = await app.inject({ url: '/account', headers: { accept: 'application/json' } })
  t.equal(api.statusCode, 401)
  t.match(api.json(), { code: 'MFA_REQUIRED' })
  // HTML is wanted when Accept names text/html with a weight above 0: `q=0` says it is not acceptable (RFC 9110).
  const accepts: Array<[string, number]> = [
    ['application/json, text/html;q=0', 401], ['text/html;q=0', 401], ['text/html ; Q = 0.000', 401], ['*/*', 401],
    ['application/xhtml+xml', 401], ['text/html;q=0.1', 302], ['TEXT/HTML', 302], ['application/json, text/html;level=1', 302],
    ['text/html;q=0, text/html;level=1', 302],
  ]
  for (const [accept, status] of accepts) {
    t.equal((await app.inject({ url: '/account', headers: { accept } })).statusCode, status, `Accept: ${accept}`)
  }
  const page = await app.inject({ url: '/account?tab=keys', headers: { accept: 'text/html' } })
  t.equal(page.statusCode, 302)
  t.equal(page.headers.location, '/mfa')
  // A refusal depends on this session's state: no cache may answer it again once the MFA step is done.
  t.equal(api.headers['cache-control'], 'no-store', 'the 401 is not cached')
  t.equal(page.headers['cache-control'], 'no-store', 'the redirect to the MFA step is not cached')
  t.equal(session.get('returnTo'), '/account?tab=keys', 'the target is remembered')
  recordMfa({ session, user: { id: 'ada' } }, { user: { id: 'ada' }, factorId: 'ost1', method: 'form' })
  const ok = await app.inject({ url: '/account' })
  t.equal(ok.statusCode, 200)
  t.match(ok.json(), { ok: true, mfa: { factorId: 'ost1' } })
})

await t.test('requireMfaFastify remembers the URL the client asked for, before a rewriteUrl (an app served under /base)', async (t) => {
  const { default: Fastify } = await import('fastify')
  const { requireMfaFastify } = await import('passport-okta-mfa')
  const session = secureLike()
  const app = Fastify({ rewriteUrl: (req) => (req.url ?? '/').replace(/^\/base(?=\/|$)/, '') || '/' })
  t.teardown(async () => { await app.close() })
  app.addHook('onRequest', async (request) => { Object.assign(request, { user: { id: 'ada' }, session }) })
  app.get('/reports/:id', { preHandler: requireMfaFastify({ redirectTo: '/base/mfa' }) }, async () => ({ ok: true }))
  const json = await app.inject({ url: '/base/reports/7', headers: { accept: 'application/json, text/html;q=0' } })
  t.equal(json.statusCode, 401, 'HTML refused with q=0: the JSON answer')
  const page = await app.inject({ url: '/base/reports/7?tab=2', headers: { accept: 'text/html' } })
  t.equal(page.headers.location, '/base/mfa')
  t.equal(session.get('returnTo'), '/base/reports/7?tab=2', 'the path with its base, as the browser must come back to it')
})

await t.test('requireMfaFastify given to Express by mistake: an error to next(), not a hung request or a redirect to a status', async (t) => {
  const { default: express } = await import('express')
  const { requireMfaFastify } = await import('passport-okta-mfa')
  const app = express()
  app.use((req, _res, next) => { Object.assign(req, { user: { id: 'ada' }, session: {} }); next() })
  for (const user of ['without MFA', 'with MFA']) {
    app.get(`/${user.replace(/ /g, '-')}`, (req, _res, next) => {
      if (user === 'with MFA') recordMfa(req as never, { user: { id: 'ada' }, factorId: 'ost1', method: 'form' })
      next()
    }, requireMfaFastify() as never, (_req, res) => { res.send('in') })
  }
  let seen: unknown
  app.use((err: Error, _req: unknown, res: { status: (n: number) => { json: (b: unknown) => void } }, _next: unknown) => { seen = err; res.status(500).json({ message: err.message }) })
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  for (const path of ['/without-MFA', '/with-MFA']) {
    const res = await fetch(base + path, { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(5000) })
    t.equal(res.status, 500, `${path}: answered`)
    t.match(await res.json(), { message: /requireMfaFastify\(\) is a Fastify preHandler; with Express use requireMfa\(\)/ })
    t.ok(seen instanceof InvalidOptionError && seen instanceof TypeError, `${path}: passport-okta-mfa's InvalidOptionError, a TypeError, passed to next`)
    t.match(seen, { code: 'OKTA_MFA_PASSPORT_INVALID_OPTION' })
  }
})

await t.test("signOutRevoked forgets a revoked session's MFA step also where the logout keeps the session's data (passport before 0.6)", async (t) => {
  const revocations = new MemoryRevocationStore()
  const app = express()
  app.use(session({ secret: 'x'.repeat(32), resave: false, saveUninitialized: false }))
  // As passport before 0.6 did: req.user from the session, and a synchronous logout that only drops the user (the
  // rest of the session, its MFA step included, stays).
  app.use((req, _res, next) => {
    const r = req as unknown as { user?: object, logout: () => void }
    const uid = (req.session as unknown as { uid?: number }).uid
    if (uid !== undefined) r.user = { id: uid }
    r.logout = function logout () { delete (req.session as unknown as { uid?: number }).uid; delete r.user }
    next()
  })
  app.use(signOutRevoked({ revocations }))
  app.post('/in', (req, res) => {
    ;(req.session as unknown as { uid: number }).uid = 7
    const user = { id: 7 }
    startSession(req, { user })
    recordMfa(req, { user, factorId: 'ost1', method: 'form' })
    res.json({ ok: true })
  })
  app.get('/state', (req, res) => { res.json({ user: (req as unknown as { user?: object }).user ?? null, mfa: getMfaState(req, { user: { id: 7 } }) ?? null }) })
  app.post('/revoke-all', (_req, res, next) => { revokeUserSessions(revocations, userKeyOf({ id: 7 })).then(() => res.json({ ok: true }), next) })
  const jar = new CookieJar(await listenLoopback(t, app))
  await jar.fetch('/in', { method: 'POST' })
  t.match((await jar.fetch('/state')).json(), { mfa: { factorId: 'ost1' } }, 'the MFA step is there')
  await new Promise((resolve) => setTimeout(resolve, 5)) // "sign out everywhere" revokes sessions issued before it
  await new CookieJar(jar.baseUrl).fetch('/revoke-all', { method: 'POST' })
  t.same((await jar.fetch('/state')).json(), { user: null, mfa: null }, 'revoked: signed out, and its MFA step forgotten before the route reads it')
})

await t.test('the Express guard: its 401 and its redirect to the MFA step carry Cache-Control: no-store, as the Fastify one does', async (t) => {
  const { requireMfa } = await import('passport-okta-mfa')
  const app = express()
  app.use((req, _res, next) => { Object.assign(req, { user: { id: 'ada' }, session: {} }); next() })
  app.get('/account', requireMfa({ redirectTo: '/mfa' }), (_req, res) => { res.send('in') })
  const base = await listenLoopback(t, app)
  const api = await fetch(`${base}/account`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(5000) })
  t.equal(api.status, 401)
  t.match(await api.json(), { code: 'MFA_REQUIRED', stepUp: false })
  t.equal(api.headers.get('cache-control'), 'no-store', 'the 401 is not cached')
  const page = await fetch(`${base}/account`, { headers: { accept: 'text/html' }, redirect: 'manual', signal: AbortSignal.timeout(5000) })
  t.equal(page.status, 302)
  t.equal(page.headers.get('location'), '/mfa')
  t.equal(page.headers.get('cache-control'), 'no-store', 'the redirect to the MFA step is not cached')
})

// Guards the gateway plugin on its GraphQL path inside a host app: the app's CORS answers or passes on its preflights
// in whichever hook it runs, HEAD is the coded 405 whatever the app's `exposeHeadRoutes`, the body of a refused
// method is never read, the app's own redaction of its request ids holds on the gateway's log lines, and an app
// parser of the media type mercurius parses does not stop the gateway from registering, a compressed body is refused
// unless the app decodes it. And the plugin on
// @fastify/session (the README's settings: `rolling: false`, `saveUninitialized: false`, a fail-closed store shared by
// two instances): queries in flight beside a verify on the other instance do not undo its MFA step (with `rolling: true`
// they do), wrong codes on both count together, a login regenerates the session and a logout ends it everywhere.
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import { Readable, Writable } from 'node:stream'
import { createGunzip, deflateSync, gzipSync } from 'node:zlib'
import fastifyCookie from '@fastify/cookie'
import secureSession from '@fastify/secure-session'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions, type preParsingHookHandler } from 'fastify'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { MemoryAttemptStore } from '@okta-mfa/core'
import { oktaMfaGateway } from '@okta-mfa/gateway'
import { failClosedSessionStore } from 'passport-okta-mfa'
import { withEmulator, type TestEmulator } from '../helpers/emulator.js'
import { OPS, codeOf, gql } from '../helpers/gateway-app.js'
import { CookieJar } from '../helpers/http.js'
import { totp } from '../helpers/totp.js'

const APP_ORIGIN = 'https://app.example'
/** @fastify/cors's `hook` option: every value it takes. */
const HOOKS = ['onRequest', 'preParsing', 'preValidation', 'preHandler', 'preSerialization'] as const
type CorsHook = typeof HOOKS[number]

/**
 * What @fastify/cors (not a dependency of this workspace) does in the hook its `hook` option names: the allowed
 * origin gets Access-Control-Allow-Origin on every request, and its preflight is answered 204 in the hook, or passed
 * on to the route (`preflightContinue`).
 */
function appCors (app: FastifyInstance, hook: CorsHook, passOn: boolean): void {
  const handled = (request: FastifyRequest, reply: FastifyReply): boolean => {
    if (request.headers.origin !== APP_ORIGIN) return false
    reply.header('access-control-allow-origin', APP_ORIGIN)
    if (request.method !== 'OPTIONS' || request.headers['access-control-request-method'] === undefined || passOn) return false
    void reply.code(204).header('access-control-allow-methods', 'GET,HEAD,POST').header('access-control-allow-headers', 'content-type').send()
    return true
  }
  const next = (request: FastifyRequest, reply: FastifyReply, done: () => void): void => { if (!handled(request, reply)) done() }
  if (hook === 'preParsing') app.addHook('preParsing', (request, reply, payload, done) => { if (!handled(request, reply)) done(null, payload) })
  else if (hook === 'preSerialization') app.addHook('preSerialization', (request, reply, payload, done) => { if (!handled(request, reply)) done(null, payload) })
  else if (hook === 'onRequest') app.addHook('onRequest', next)
  else if (hook === 'preValidation') app.addHook('preValidation', next)
  else app.addHook('preHandler', next)
}

/** A host app with the gateway (after `setup`, which registers the app's own hooks first), listening on loopback. */
async function host (t: Test, setup: (app: FastifyInstance) => void, options: FastifyServerOptions = {}): Promise<{ app: FastifyInstance, url: string }> {
  const app = Fastify(options)
  t.teardown(() => app.close())
  setup(app)
  await app.register(secureSession, { key: randomBytes(32), cookie: { path: '/' } })
  await app.register(oktaMfaGateway, { orgUrl: 'https://dev-1.okta.com', token: 'tok', resolveUser: () => null })
  return { app, url: await app.listen({ port: 0, host: '127.0.0.1' }) }
}

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

async function send (url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const res = await request(`${url}/graphql`, { method: method as 'GET', headers, ...(body === undefined ? {} : { body }) })
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() }
}

/** The coded 405 of the README: `Allow: POST`, the request id in the header and the body. */
function isRefused (t: Test, res: Answer, what: string): void {
  t.equal(res.status, 405, what)
  t.equal(res.headers.allow, 'POST', `${what}: Allow: POST`)
  const id = res.headers['x-request-id']
  t.ok(typeof id === 'string' && id.length > 0, `${what}: X-Request-Id`)
  if (res.body !== '') t.match(JSON.parse(res.body), { data: null, errors: [{ extensions: { code: 'METHOD_NOT_ALLOWED', requestId: id } }] }, `${what}: code and request id`)
}

await t.test("the app's CORS answers or passes on its preflights on the GraphQL path, whichever hook it runs in", async (t) => {
  for (const hook of HOOKS) {
    // A preflight passed on reaches its route's handler before any preSerialization hook: in that hook, @fastify/cors
    // gives its consent to no passed-on preflight, on the app's own routes either.
    for (const passOn of hook === 'preSerialization' ? [false] : [false, true]) {
      const how = `CORS in ${hook}, ${passOn ? 'passed on' : 'answered by the app'}`
      const { url } = await host(t, (app) => { appCors(app, hook, passOn) })
      const preflight = await send(url, 'OPTIONS', { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' })
      t.equal(preflight.status, 204, `${how}: the allowed origin's preflight is answered`)
      t.equal(preflight.headers['access-control-allow-origin'], APP_ORIGIN, `${how}: with its consent`)
      const post = await send(url, 'POST', { origin: APP_ORIGIN, 'content-type': 'application/json' }, JSON.stringify({ query: OPS.viewer }))
      t.equal(post.headers['access-control-allow-origin'], APP_ORIGIN, `${how}: the POST reaches the gateway with the app's consent`)
      t.equal((JSON.parse(post.body) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code, 'UNAUTHENTICATED')
      const other = await send(url, 'OPTIONS', { origin: 'https://evil.example', 'access-control-request-method': 'POST' })
      isRefused(t, other, `${how}: another origin's preflight`)
      t.equal(other.headers['access-control-allow-origin'], undefined)
      isRefused(t, await send(url, 'OPTIONS'), `${how}: an OPTIONS that is no preflight`)
      for (const method of ['GET', 'HEAD', 'PUT', 'DELETE']) isRefused(t, await send(url, method, { origin: APP_ORIGIN }), `${how}: ${method} from the allowed origin`)
      isRefused(t, await send(url, 'DELETE', { origin: APP_ORIGIN, 'content-type': 'application/json' }), `${how}: a DELETE with a content type and no body`)
    }
  }
})

await t.test("HEAD on the GraphQL path is the coded 405 with the app's exposeHeadRoutes off too", async (t) => {
  for (const exposeHeadRoutes of [true, false]) {
    const { url } = await host(t, (app) => { app.get('/own', async () => ({ own: true })) }, { exposeHeadRoutes })
    isRefused(t, await send(url, 'HEAD'), `exposeHeadRoutes ${String(exposeHeadRoutes)}: HEAD`)
    isRefused(t, await send(url, 'GET'), `exposeHeadRoutes ${String(exposeHeadRoutes)}: GET`)
    const own = await request(`${url}/own`, { method: 'HEAD' })
    await own.body.dump()
    t.equal(own.statusCode, exposeHeadRoutes ? 200 : 404, "the app's own routes keep the app's setting")
  }
})

await t.test("an app with its own application/graphql parser: the gateway registers beside it, at the root or under a prefix", async (t) => {
  for (const prefix of ['', '/mfa']) {
    const app = Fastify()
    t.teardown(() => app.close())
    // Registered before the gateway, in a scope the gateway's inherits (mercurius adds one of its own there).
    app.addContentTypeParser('application/graphql', { parseAs: 'string' }, (_request, body, done) => { done(null, { own: body }) })
    app.post('/own', async (request) => request.body)
    await app.register(secureSession, { key: randomBytes(32), cookie: { path: '/' } })
    await app.register(async (scope) => {
      await scope.register(oktaMfaGateway, { orgUrl: 'https://dev-1.okta.com', token: 'tok', resolveUser: () => null })
    }, { prefix })
    const url = await app.listen({ port: 0, host: '127.0.0.1' })
    const post = await request(`${url}${prefix}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: OPS.viewer }) })
    t.equal((await post.body.json() as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code, 'UNAUTHENTICATED', `prefix "${prefix}": the gateway answers`)
    const asGraphql = await request(`${url}${prefix}/graphql`, { method: 'POST', headers: { 'content-type': 'application/graphql', 'mercurius-require-preflight': 'x' }, body: OPS.viewer })
    t.equal((await asGraphql.body.json() as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code, 'UNAUTHENTICATED', `prefix "${prefix}": a GraphQL body still parsed as the query on the gateway's route`)
    const own = await request(`${url}/own`, { method: 'POST', headers: { 'content-type': 'application/graphql' }, body: '{ x }' })
    t.same(await own.body.json(), { own: '{ x }' }, `prefix "${prefix}": the app's route keeps the app's parser`)
  }
})

/**
 * What @fastify/compress (not a dependency of this workspace) does to decode request bodies: a `preParsing` hook put
 * first on every route as it is added, that swaps the payload for a gunzip stream and leaves Content-Encoding as sent.
 */
function appGunzip (app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const decode: preParsingHookHandler = (request, _reply, payload, done) => {
      if (request.headers['content-encoding'] !== 'gzip') return done(null, payload)
      // The bytes received, which Fastify checks against Content-Length, as @fastify/compress counts them.
      const gunzip = Object.assign(createGunzip(), { receivedEncodedLength: 0 })
      payload.on('data', (chunk: Buffer) => { gunzip.receivedEncodedLength += chunk.length })
      done(null, payload.pipe(gunzip))
    }
    route.preParsing = [decode, ...[route.preParsing ?? []].flat()]
  })
}

await t.test('a compressed body is the coded BAD_REQUEST, never parsed as it came, unless the app decodes it', async (t) => {
  const viewer = JSON.stringify({ query: OPS.viewer })
  const codeOfAnswer = (res: Answer): string | undefined => (JSON.parse(res.body) as { errors?: Array<{ extensions: { code: string } }> }).errors?.[0]?.extensions.code
  const plain = await host(t, () => {})
  const bodies: Array<[coding: string, body: string | Buffer, what: string]> = [
    ['gzip', gzipSync(viewer), 'gzip'], ['GZIP', gzipSync(viewer), 'gzip in capitals'], ['deflate', deflateSync(viewer), 'deflate'],
    ['br', viewer, 'plain JSON labelled br'], ['gzip, identity', viewer, 'two codings'],
  ]
  for (const [coding, body, what] of bodies) {
    const res = await send(plain.url, 'POST', { 'content-type': 'application/json', 'content-encoding': coding }, body as string)
    t.equal(res.status, 400, `${what}: 400`)
    t.match(JSON.parse(res.body), { data: null, errors: [{ message: /must not be compressed/, extensions: { code: 'BAD_REQUEST', requestId: res.headers['x-request-id'] } }] }, `${what}: refused before GraphQL runs, with its request id`)
    t.equal(res.headers['accept-encoding'], 'identity', `${what}: Accept-Encoding says what is taken`)
    t.equal(res.headers['cache-control'], 'no-store', `${what}: no-store`)
    t.not(res.headers.connection, 'close', `${what}: a short stated length is read and dropped, the connection kept`)
  }
  const large = await send(plain.url, 'POST', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(randomBytes(20_000)) as unknown as string)
  t.same([large.status, codeOfAnswer(large)], [413, 'PAYLOAD_TOO_LARGE'], 'a compressed body over bodyLimit is the 413 any body over it is')
  for (const coding of ['identity', ' Identity ', '']) {
    const res = await send(plain.url, 'POST', { 'content-type': 'application/json', 'content-encoding': coding }, viewer)
    t.equal(codeOfAnswer(res), 'UNAUTHENTICATED', `Content-Encoding "${coding}" is no coding: the query ran`)
  }
  // A chunked compressed body (no stated length) is refused unread and the connection ended, rather than read to its end.
  const chunked = await request(`${plain.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: Readable.from([gzipSync(viewer)]) })
  t.same([chunked.statusCode, chunked.headers.connection], [400, 'close'], 'a chunked one: 400 and Connection: close')
  await chunked.body.dump()

  const decoding = await host(t, appGunzip)
  const gz = await send(decoding.url, 'POST', { 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(viewer) as unknown as string)
  t.equal(codeOfAnswer(gz), 'UNAUTHENTICATED', 'an app that decodes gzip (as @fastify/compress does, the header left as sent): the query ran')
  const br = await send(decoding.url, 'POST', { 'content-type': 'application/json', 'content-encoding': 'br' }, viewer)
  t.same([br.status, codeOfAnswer(br)], [400, 'BAD_REQUEST'], 'a coding that app does not decode is still refused')
})

/** Sends `method /graphql` announcing a body of 1000 bytes and only its first bytes: the answer, if one comes within 2 s. */
async function withStalledBody (url: string, method: string): Promise<string> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1')
  let answer = ''
  socket.on('data', (d: Buffer) => { answer += d.toString() })
  socket.write(`${method} /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${APP_ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":`)
  const deadline = performance.now() + 2000
  while (!answer.includes('\r\n\r\n') && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
  socket.destroy()
  return answer
}

await t.test('a refused method with a body is answered at once, its body never read', async (t) => {
  const seen: string[] = []
  const { url } = await host(t, (app) => {
    appCors(app, 'preHandler', true)
    app.addHook('preValidation', (request, _reply, done) => { seen.push(request.method); done() })
  })
  for (const method of ['PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    const answer = await withStalledBody(url, method)
    t.match(answer, /^HTTP\/1\.1 405 /, `${method}: 405 before its body arrived`)
    t.match(answer, /\r\nallow: POST\r\n/i)
  }
  t.same(seen, [], "no refused request reached the app's later hooks (its body would have been parsed first)")
})

await t.test("the app's pino redaction of its request id holds on the gateway's log lines", async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, callback) { lines.push(String(chunk)); callback() } })
  const secretId = 'tenant-acme.session-s3cr3t'
  const { app } = await host(t, (app) => { app.get('/own', async (request) => { request.log.info('own route'); return { own: true } }) }, {
    logger: { level: 'info', stream, redact: { paths: ['reqId'], censor: '[app-redacted]' } },
    genReqId: () => secretId,
  })
  t.equal((await app.inject({ method: 'GET', url: '/own' })).statusCode, 200)
  const post = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ query: OPS.viewer }) })
  t.equal(post.json().errors[0].extensions.code, 'UNAUTHENTICATED')
  const parsed = lines.flatMap((l) => l.split('\n')).filter((l) => l !== '').map((l) => JSON.parse(l) as { reqId?: unknown, req?: { url?: string } })
  const bound = parsed.filter((l) => l.reqId !== undefined)
  t.ok(parsed.some((l) => l.req?.url === '/graphql'), 'the GraphQL request was logged')
  t.ok(bound.length >= 4, 'the request lines of both routes carry the id binding')
  t.ok(bound.every((l) => l.reqId === '[app-redacted]'), 'redacted on every line, the gateway\'s included')
  t.notOk(lines.join('').includes('s3cr3t'), 'the id is nowhere in clear')
})

await t.test("an app's own hook that runs before the gateway's and throws: the gateway's coded error, or the app's own answer, still carries X-Request-Id and no-store", async (t) => {
  for (const hook of ['onRequest', 'preParsing', 'preHandler'] as const) {
    const { url } = await host(t, (app) => {
      if (hook === 'preParsing') app.addHook('preParsing', async () => { throw new Error('session store lookup failed') })
      else app.addHook(hook, async () => { throw new Error('session store lookup failed') })
    })
    for (const method of ['POST', 'GET']) {
      const res = await send(url, method, { 'content-type': 'application/json' }, method === 'POST' ? JSON.stringify({ query: OPS.viewer }) : undefined)
      const what = `${hook} throws, ${method}`
      const id = res.headers['x-request-id']
      t.ok(typeof id === 'string' && id.length > 0, `${what}: X-Request-Id`)
      t.equal(res.headers['cache-control'], 'no-store', `${what}: Cache-Control: no-store`)
      // A GET is refused by the gateway's own onRequest hook, before any later hook of the app runs.
      const code = method === 'GET' && hook !== 'onRequest' ? 'METHOD_NOT_ALLOWED' : 'INTERNAL'
      t.match(JSON.parse(res.body), { errors: [{ extensions: { code, requestId: id } }] }, `${what}: ${code}, naming the same request id`)
      t.notMatch(res.body, 'session store', `${what}: the app's text is masked`)
    }
  }
  // An error of the app's with its own status (maintenance) goes to the app's error handler, or Fastify's: the app's
  // answer, with the headers of the GraphQL path.
  for (const handler of [true, false]) {
    const { url } = await host(t, (app) => {
      app.addHook('onRequest', async () => { throw Object.assign(new Error('down for maintenance'), { statusCode: 503 }) })
      if (handler) app.setErrorHandler(async (err, _req, reply) => await reply.code(503).send({ app: (err as Error).message }))
    })
    const res = await send(url, 'POST', { 'content-type': 'application/json' }, JSON.stringify({ query: OPS.viewer }))
    const what = handler ? 'the app\'s error handler' : 'Fastify\'s error handler'
    t.equal(res.status, 503, `${what}: the app's status`)
    t.match(res.body, 'down for maintenance', `${what}: the app's answer`)
    const id = res.headers['x-request-id']
    t.ok(typeof id === 'string' && id.length > 0, `${what}: X-Request-Id`)
    t.equal(res.headers['cache-control'], 'no-store', `${what}: Cache-Control: no-store`)
  }
})

/** @fastify/session's `request.session` as the test uses it (typed loosely: secure-session's types are in this program too). */
interface StoreSession {
  get: (key: string) => unknown
  set: (key: string, value: unknown) => void
  regenerate: () => Promise<void>
  destroy: () => Promise<void>
}
const storeSession = (request: FastifyRequest): StoreSession => (request as unknown as { session: StoreSession }).session

type Callback = (err?: unknown, value?: unknown) => void

/**
 * A session store as connect-redis on a Redis both instances use: sessions kept as JSON, answered on a later turn of
 * the event loop; `down` fails every call as ioredis does with Redis stopped.
 */
class SharedStore {
  readonly data = new Map<string, string>()
  down = false
  private later (cb: Callback, fn: () => unknown): void {
    setImmediate(() => { if (this.down) cb(new Error('Connection is closed.')); else cb(null, fn()) })
  }

  get (id: string, cb: Callback): void { this.later(cb, () => { const v = this.data.get(id); return v === undefined ? null : JSON.parse(v) }) }
  set (id: string, session: unknown, cb: Callback): void { this.later(cb, () => { this.data.set(id, JSON.stringify(session)) }) }
  destroy (id: string, cb: Callback): void { this.later(cb, () => { this.data.delete(id) }) }
}

const SESSION_COOKIE = 'sessionId'

/**
 * One instance of an app on @fastify/session in front of `emu`, as the gateway README sets it up: a login that
 * regenerates the session (as @fastify/passport does) and puts the user in it, a logout that destroys it. `hold`, when
 * it returns a promise, holds a GraphQL answer before @fastify/session's save (its onSend hook runs after this one).
 */
async function sessionHost (t: Test, emu: TestEmulator, shared: { store: SharedStore, attempts: MemoryAttemptStore }, rolling: boolean, hold: () => Promise<void> | undefined): Promise<string> {
  const app = Fastify()
  t.teardown(() => app.close())
  app.addHook('onSend', async (request) => { if (request.url === '/graphql') await hold() })
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: 'a secret of at least 32 characters, shared by both',
    cookieName: SESSION_COOKIE,
    store: shared.store as never,
    rolling,
    saveUninitialized: false,
    cookie: { path: '/', secure: false, httpOnly: true, sameSite: 'lax' },
  })
  app.post('/login', async (request: FastifyRequest<{ Body: { login: string } }>) => {
    await storeSession(request).regenerate()
    storeSession(request).set('user', { id: request.body.login, login: request.body.login })
    return { ok: true }
  })
  app.post('/logout', async (request) => { await storeSession(request).destroy(); return { ok: true } })
  await app.register(oktaMfaGateway, {
    orgUrl: emu.url,
    token: emu.token,
    allowInsecureHttp: true,
    provision: true,
    clock: emu.clock.now,
    attemptStore: shared.attempts,
    resolveUser: (request) => storeSession(request).get('user') ?? null,
  })
  return await app.listen({ port: 0, host: '127.0.0.1' })
}

const MFA = '{ viewer { mfa { completed } } }'

/** The same browser (its session cookie) against the other instance. */
function sameBrowser (jar: CookieJar, url: string): CookieJar {
  const other = new CookieJar(url)
  other.cookies.set(SESSION_COOKIE, jar.cookies.get(SESSION_COOKIE)!)
  return other
}

async function completed (jar: CookieJar): Promise<unknown> {
  const res = await gql(jar, MFA)
  return res.body.data?.viewer?.mfa?.completed ?? codeOf(res)
}

/**
 * Two instances A and B of one app on @fastify/session sharing a store: a user enrolls and activates on A, signs in
 * again (a new session, without the step), then twelve `viewer { mfa }` queries on A read the session, the verify on B
 * records the step and answers, and only then do the queries answer. What the session holds afterwards on both.
 */
async function raceOnSessionStore (t: Test, rolling: boolean): Promise<{ a: CookieJar, b: CookieJar, urlA: string, urlB: string, store: SharedStore, factorId: string, secret: string, emu: TestEmulator }> {
  const emu = await withEmulator(t)
  const shared = { store: failClosedSessionStore(new SharedStore()), attempts: new MemoryAttemptStore({ clock: emu.clock.now }) }
  let gate: { promise: Promise<void>, release: () => void, held: number } | undefined
  const urlA = await sessionHost(t, emu, shared, rolling, () => {
    if (gate === undefined) return undefined
    gate.held++
    return gate.promise
  })
  const urlB = await sessionHost(t, emu, shared, rolling, () => undefined)

  const a = new CookieJar(urlA)
  t.equal((await a.fetch('/login', { json: { login: 'ada@example.com' } })).status, 200)
  const enrolled = await gql(a, OPS.enroll, { input: { factorType: 'TOTP' } })
  const { factor, activation } = enrolled.body.data.enrollFactor as { factor: { id: string }, activation: { sharedSecret: string } }
  const activated = await gql(a, OPS.activate, { factorId: factor.id, passCode: totp(activation.sharedSecret, emu.clock.now()) })
  t.equal(activated.body.data?.activateFactor?.status, 'ACTIVE', JSON.stringify(activated.body.errors))
  t.equal(await completed(sameBrowser(a, urlB)), true, 'the activation on A is the MFA step, on B too (one store)')

  const firstCookie = a.cookies.get(SESSION_COOKIE)!
  t.equal((await a.fetch('/login', { json: { login: 'ada@example.com' } })).status, 200, 'signed in again')
  t.not(a.cookies.get(SESSION_COOKIE), firstCookie, 'the login regenerated the session: a new id')
  t.equal(await completed(a), false, 'the new session has no MFA step')
  const old = new CookieJar(urlB)
  old.cookies.set(SESSION_COOKIE, firstCookie)
  t.equal(await completed(old), 'UNAUTHENTICATED', "the session before the login is gone, on the other instance's side too")
  const b = sameBrowser(a, urlB)
  // The page's factor list, as the sign-in screen loads it: the session's first Okta call (it binds the Okta user).
  t.equal((await gql(b, OPS.factors)).body.data?.factors?.length, 1)

  emu.clock.advance(30_000) // the activation's code is spent
  let release!: () => void
  gate = { promise: new Promise<void>((resolve) => { release = resolve }), release: () => { release() }, held: 0 }
  const queries = Array.from({ length: 12 }, async () => await completed(sameBrowser(a, urlA)))
  const deadline = performance.now() + 30_000
  while (gate.held < 12 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
  t.equal(gate.held, 12, 'the twelve queries have read the session and wait for their answers')
  const verified = await gql(b, OPS.verify, { factorId: factor.id, passCode: totp(activation.sharedSecret, emu.clock.now()) })
  t.match(verified.body.data?.verifyFactor, { result: 'SUCCESS', mfa: { completed: true } }, JSON.stringify(verified.body.errors))
  gate.release()
  t.same(await Promise.all(queries), Array(12).fill(false), 'each query answered what it read: no step yet')
  gate = undefined
  return { a, b, urlA, urlB, store: shared.store, factorId: factor.id, secret: activation.sharedSecret, emu }
}

await t.test('on @fastify/session (rolling: false), queries on one instance beside a verify on the other keep its MFA step; wrong codes on both count together; logout ends the session on both', async (t) => {
  const { a, b, urlA, urlB, store, factorId, secret, emu } = await raceOnSessionStore(t, false)
  t.equal(await completed(a), true, 'A: the step the verify on B recorded')
  t.equal(await completed(b), true, 'B: the same')

  // Wrong codes spread over both instances: one attempt counter (the shared attempt store), as the README promises.
  emu.clock.advance(30_000)
  const right = totp(secret, emu.clock.now())
  const wrong = right === '000000' ? '111111' : '000000'
  const outcomes: unknown[] = []
  for (const jar of [a, b, a, b, a]) {
    const res = await gql(jar, OPS.verify, { factorId, passCode: wrong })
    outcomes.push({ code: codeOf(res), attemptsRemaining: res.body.errors?.[0]?.extensions.attemptsRemaining })
  }
  t.match(outcomes, [
    { code: 'INVALID_PASSCODE', attemptsRemaining: 3 }, { code: 'INVALID_PASSCODE', attemptsRemaining: 2 },
    { code: 'INVALID_PASSCODE', attemptsRemaining: 1 }, { code: 'INVALID_PASSCODE', attemptsRemaining: 0 }, { code: 'LOCKED_OUT' },
  ], 'four wrong codes over A and B, then locked out on A')
  t.equal(codeOf(await gql(b, OPS.verify, { factorId, passCode: right })), 'LOCKED_OUT', 'and on B, the right code too')
  t.equal(await completed(a), true, 'the refused codes did not touch the step')

  // Logout on B destroys the session in the store: the cookie the browser (or a thief) still holds is signed out on both.
  const held = a.cookies.get(SESSION_COOKIE)!
  t.equal((await b.fetch('/logout', { method: 'POST' })).status, 200)
  for (const url of [urlA, urlB]) {
    const copy = new CookieJar(url)
    copy.cookies.set(SESSION_COOKIE, held)
    t.equal(await completed(copy), 'UNAUTHENTICATED', `the old cookie on ${url === urlA ? 'A' : 'B'}`)
  }

  // The store down: with saveUninitialized false, a request without a cookie saves nothing and gets the gateway's
  // answer; one with a cookie is the fail-closed store's STORE_UNAVAILABLE (503), never the store's own text.
  store.down = true
  const fresh = await gql(new CookieJar(urlA), MFA)
  t.equal(codeOf(fresh), 'UNAUTHENTICATED', 'no cookie, store down: the GraphQL envelope')
  const withCookie = await gql(sameBrowser(a, urlB), MFA)
  t.equal(withCookie.status, 503, 'a cookie, store down: 503')
  t.equal(codeOf(withCookie), 'STORE_UNAVAILABLE', "in the gateway's envelope, retryable")
  t.notMatch(JSON.stringify(withCookie.body), 'Connection is closed', "the store's own error stays out of the answer")
  store.down = false
})

await t.test('on @fastify/session with rolling: true (its default), the same queries undo the MFA step: why the README asks for rolling: false', async (t) => {
  const { a, b } = await raceOnSessionStore(t, true)
  t.equal(await completed(b), false, "B: the queries' saves, later than the verify's, put back the session they read")
  t.equal(await completed(a), false, 'A: the same')
})

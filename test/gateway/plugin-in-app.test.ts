// Guards the gateway plugin on its GraphQL path inside a host app: the app's CORS answers or passes on its preflights
// in whichever hook it runs, HEAD is the coded 405 whatever the app's `exposeHeadRoutes`, the body of a refused
// method is never read, the app's own redaction of its request ids holds on the gateway's log lines, and an app
// parser of the media type mercurius parses does not stop the gateway from registering.
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import secureSession from '@fastify/secure-session'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { oktaMfaGateway } from '@okta-mfa/gateway'
import { OPS } from '../helpers/gateway-app.js'

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

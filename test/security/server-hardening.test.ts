// Guards items 8 and 9 of issue 9 and the demo's /dev/outbox: /readyz on the standalone gateway cannot spend the Okta
// quota (one upstream check per cache period, shared by concurrent hits, failures cached too); the session cookie is
// Secure behind a TLS-terminating proxy only when TRUST_PROXY says to trust it, for the gateway and the demo; the
// outbox page exists only while the demo runs its in-process emulator.
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildGatewayServer, loadServerConfig, READY_CACHE_MS, ServerConfigError } from '@okta-mfa/gateway'
import { buildEmulator } from '@okta-mfa/emulator'
import { buildApp, readConfig, ConfigError } from '../../examples/fastify-app/dist/index.js'
import { buildApp as buildExpressApp } from '../../examples/express-app/dist/app.js'
import { createExampleServer } from '../../examples/express-app/dist/server.js'
import { passwordLogin, startE2eApp } from '../helpers/e2e-app.js'
import { userWithTotp, withEmulator } from '../helpers/emulator.js'
import { OPS, gql, startGatewayApp } from '../helpers/gateway-app.js'
import { CookieJar, faultProxy, rawExchange } from '../helpers/http.js'

const HTTPS = { 'x-forwarded-proto': 'https' }

await t.test('/readyz checks Okta at most once per cache period, whatever the traffic', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com' }] })
  let upstream = 0
  let failing = false
  // A counting proxy in front of the emulator: what the org's rate limit would see.
  const proxy = await faultProxy(t, emu.url)
  proxy.hook = (req) => {
    if (req.url?.startsWith('/api/v1/users') === true) upstream++
    return failing ? 503 : undefined
  }
  const gw = await startGatewayApp(t, emu, { env: { OKTA_ORG_URL: proxy.url } })
  const jar = gw.jar()

  const burst = await Promise.all(Array.from({ length: 40 }, async () => await jar.fetch('/readyz')))
  t.ok(burst.every((r) => r.status === 200 && r.json().status === 'ready'), '40 concurrent hits: ready')
  t.equal(upstream, 1, 'one upstream call for the whole burst (they share the in-flight check)')
  for (let i = 0; i < 100; i++) await jar.fetch('/readyz')
  t.equal(upstream, 1, '100 more hits within the cache period: still one call')

  emu.clock.advance(READY_CACHE_MS)
  t.equal((await jar.fetch('/readyz')).status, 200)
  t.equal(upstream, 2, 'after the cache period, one more check')

  failing = true
  emu.clock.advance(READY_CACHE_MS)
  const down = await jar.fetch('/readyz')
  t.equal(down.status, 503, 'Okta failing: unavailable')
  t.same(down.json(), { status: 'unavailable', failed: ['okta'] })
  const afterFailure = upstream
  for (let i = 0; i < 50; i++) t.equal((await jar.fetch('/readyz')).status, 503)
  t.equal(upstream, afterFailure, 'a failure is cached too: hammering a failing org costs nothing more')
})

await t.test('the gateway: TRUST_PROXY decides whether X-Forwarded-Proto makes the cookie Secure', async (t) => {
  t.equal(loadServerConfig({ OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: 'x', SESSION_KEY: randomBytes(32).toString('hex') }).trustProxy, false, 'off by default')
  const base = { OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: 'x', SESSION_KEY: randomBytes(32).toString('hex') }
  t.equal(loadServerConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy, true)
  t.equal(loadServerConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, '10.0.0.0/8,127.0.0.1')
  t.equal(loadServerConfig({ ...base, TRUST_PROXY: '2' }).trustProxy, 2)
  t.throws(() => loadServerConfig({ ...base, TRUST_PROXY: 'everyone' }), ServerConfigError)
  t.throws(() => loadServerConfig({ ...base, TRUST_PROXY: '10.0.0.0/99' }), { message: /TRUST_PROXY must be/ })

  const cookieOf = async (env: Record<string, string>, headers: Record<string, string>): Promise<string> => {
    const gw = await startGatewayApp(t, undefined, { env: { SESSION_COOKIE_SECURE: 'auto', ...env } })
    const res = await new CookieJar(gw.url).fetch('/test/login', { json: { login: 'ada@example.com' }, headers })
    t.equal(res.status, 200)
    return String(res.headers['set-cookie'])
  }
  t.match(await cookieOf({ TRUST_PROXY: 'true' }, HTTPS), /;\s*Secure/i, 'trusted proxy says https: Secure')
  t.match(await cookieOf({ TRUST_PROXY: '127.0.0.1' }, HTTPS), /;\s*Secure/i, 'the proxy by address')
  t.notMatch(await cookieOf({}, HTTPS), /;\s*Secure/i, 'without TRUST_PROXY the forwarded header is ignored')
  t.notMatch(await cookieOf({ TRUST_PROXY: '10.0.0.0/8' }, HTTPS), /;\s*Secure/i, 'a header from a proxy not listed is ignored')
  t.notMatch(await cookieOf({ TRUST_PROXY: 'true' }, {}), /;\s*Secure/i, 'plain http through the proxy: not Secure')
  t.match(await cookieOf({ SESSION_COOKIE_SECURE: 'true' }, {}), /;\s*Secure/i, 'SESSION_COOKIE_SECURE=true: always Secure')
})

await t.test('TRUST_PROXY=true trusts the proxy that connects, one hop: an X-Forwarded-For the client wrote is not the IP Okta hears', async (t) => {
  const emu = await withEmulator(t)
  const { factorId } = await userWithTotp(emu, 'ada@example.com')
  const alice = await userWithTotp(emu, 'alice@example.com') // the demo's alice
  // A tap in front of the emulator: the X-Forwarded-For of each verify Okta receives.
  const heard: string[] = []
  const proxy = await faultProxy(t, emu.url)
  proxy.hook = (req) => {
    if (req.url?.endsWith('/verify') === true) heard.push(String(req.headers['x-forwarded-for']))
    return undefined
  }
  const orgUrl = proxy.url
  // The client wrote 203.0.113.9; the balancer that connects (from 127.0.0.1) appended the client's real address.
  const forwarded = { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' }
  for (const [setting, expected] of [['true', '198.51.100.7'], ['1', '198.51.100.7'], ['2', '203.0.113.9'], ['false', '127.0.0.1']] as const) {
    const gw = await startGatewayApp(t, emu, { env: { OKTA_ORG_URL: orgUrl, TRUST_PROXY: setting } })
    const jar = await gw.signedIn('ada@example.com')
    emu.clock.advance(30_000)
    const res = await gql(jar, OPS.verify, { factorId, passCode: emu.totpCode(factorId) }, forwarded)
    t.equal(res.body.data?.verifyFactor?.result, 'SUCCESS', `TRUST_PROXY=${setting}: verified`)
    t.equal(heard.at(-1), expected, `TRUST_PROXY=${setting}: Okta hears ${expected}`)
    await gw.close()
  }
  // The demo reads TRUST_PROXY alike (`true` one hop): its code form's verify.
  for (const [setting, expected] of [['true', '198.51.100.7'], ['2', '203.0.113.9'], ['false', '127.0.0.1']] as const) {
    const demo = await startE2eApp(t, { orgUrl, token: emu.token, allowInsecureHttp: true, trustProxy: readConfig({ TRUST_PROXY: setting }).trustProxy })
    demo.clock.set(emu.clock.now())
    const jar = demo.jar()
    t.equal((await passwordLogin(jar, 'alice')).status, 303)
    const page = (await jar.fetch('/mfa', { headers: { accept: 'text/html' } })).text
    const hidden = Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]))
    emu.clock.advance(30_000)
    demo.clock.set(emu.clock.now())
    const res = await jar.fetch('/mfa', { form: { ...hidden, passCode: emu.totpCode(alice.factorId) }, headers: forwarded })
    t.equal(res.status, 303, `demo TRUST_PROXY=${setting}: verified`)
    t.equal(heard.at(-1), expected, `demo TRUST_PROXY=${setting}: Okta hears ${expected}`)
  }
})

await t.test('the demo: TRUST_PROXY in the environment, Secure cookies behind a trusted TLS proxy only', async (t) => {
  t.equal(readConfig({}).trustProxy, false, 'off by default')
  t.equal(readConfig({ TRUST_PROXY: 'true' }).trustProxy, true)
  t.equal(readConfig({ TRUST_PROXY: '127.0.0.1' }).trustProxy, '127.0.0.1')
  t.throws(() => readConfig({ TRUST_PROXY: 'sure' }), ConfigError)
  await t.rejects(buildApp({ sessionKey: randomBytes(32), trustProxy: {} as unknown as boolean }), TypeError)

  const plain = await startE2eApp(t)
  t.notMatch(String((await plain.jar().fetch('/login', { headers: HTTPS })).headers['set-cookie']), /;\s*Secure/i, 'forwarded headers ignored by default')
  const behind = await startE2eApp(t, { trustProxy: true })
  t.match(String((await behind.jar().fetch('/login', { headers: HTTPS })).headers['set-cookie']), /;\s*Secure/i, 'trusted proxy, https: Secure')
  t.notMatch(String((await behind.jar().fetch('/login')).headers['set-cookie']), /;\s*Secure/i, 'trusted proxy, plain http: not Secure')
  // A scheme is case-insensitive (RFC 3986 §3.1), as the gateway reads it.
  for (const proto of ['HTTPS', 'Https']) {
    t.match(String((await behind.jar().fetch('/login', { headers: { 'x-forwarded-proto': proto } })).headers['set-cookie']), /;\s*Secure/i, `X-Forwarded-Proto: ${proto} is https`)
  }
  t.notMatch(String((await behind.jar().fetch('/login', { headers: { 'x-forwarded-proto': 'HTTP' } })).headers['set-cookie']), /;\s*Secure/i, 'HTTP is not')
})

await t.test('/dev/outbox exists only while the demo runs its in-process emulator, and says so', async (t) => {
  const inProcess = await startE2eApp(t)
  const carol = inProcess.jar()
  await passwordLogin(carol, 'carol')
  const page = await carol.fetch('/dev/outbox', { headers: { accept: 'text/html' } })
  t.equal(page.status, 200)
  t.match(page.text, /exists only while this app runs its in-process emulator/)

  const emu = await withEmulator(t, { seed: [{ login: 'carol@example.com' }] })
  const external = await startE2eApp(t, { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true })
  const other = external.jar()
  await passwordLogin(other, 'carol')
  t.equal((await other.fetch('/dev/outbox', { headers: { accept: 'text/html' } })).status, 404, 'with an Okta org (even an emulator started apart): gone')
})

/** The Express example as its main.js serves it (its own server: timeouts and coded parser refusals), on loopback. */
async function expressExample (t: { teardown: (fn: () => Promise<void>) => void }): Promise<number> {
  const { app, close } = buildExpressApp({ okta: { orgUrl: 'https://dev-1.okta.com', token: 'x' }, users: [], sessionSecret: 'x'.repeat(32) })
  const server = createExampleServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)); await close() })
  return (server.address() as { port: number }).port
}

await t.test("what Node's parser refuses is answered with its code by the demo and the Express example; the Express example refuses a body declared too large at once", async (t) => {
  const demo = await buildApp({ sessionKey: randomBytes(32), emulator: { quiet: true } })
  t.teardown(() => demo.app.close())
  demo.app.get('/t/slow', async () => { await new Promise((resolve) => setTimeout(resolve, 300)); return 'ok' })
  await demo.app.listen({ port: 0, host: '127.0.0.1' })
  const ports: Array<[string, number]> = [['the demo', (demo.app.server.address() as { port: number }).port], ['the Express example', await expressExample(t)]]
  for (const [name, port] of ports) {
    const huge = await rawExchange(port, `GET /login HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(20_000)}\r\n\r\n`)
    t.match(huge, /^HTTP\/1\.1 431 [^\r]*\r\n/, `${name}: headers over Node's limit, 431`)
    t.match(huge, /\r\nx-error-code: HEADERS_TOO_LARGE\r\n/i, `${name}: coded HEADERS_TOO_LARGE`)
    t.notMatch(huge, 'aaaa', `${name}: nothing of the request in the answer`)
    const garbage = await rawExchange(port, 'GET /login HTTP/1.1\r\nHost x\r\n\r\n')
    t.match(garbage, /^HTTP\/1\.1 400 [^\r]*\r\n/, `${name}: a request that is no HTTP, 400`)
    t.match(garbage, /\r\nx-error-code: BAD_REQUEST\r\n/i, `${name}: coded BAD_REQUEST`)
    // Node's own answer to an HTTP/1.1 request without Host was an empty, uncoded 400; HTTP/1.0 has no Host to give.
    const hostless = await rawExchange(port, 'GET /login HTTP/1.1\r\nConnection: close\r\n\r\n')
    t.match(hostless, /^HTTP\/1\.1 400 [^\r]*\r\n/, `${name}: HTTP/1.1 without Host, 400`)
    t.match(hostless, /\r\nx-error-code: BAD_REQUEST\r\n/i, `${name}: coded BAD_REQUEST`)
    // Without `Connection: close` in the request: the server closes it all the same (rawExchange waits for that).
    t.match(await rawExchange(port, 'GET /login HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 400 [^]*\r\nconnection: close\r\n/i, `${name}: HTTP/1.1 without Host, the connection closed after the 400`)
    t.match(await rawExchange(port, 'GET /login HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200 /, `${name}: HTTP/1.0 without Host is served`)
    // Node hands CONNECT to a 'connect' listener, never to the app: without one it closed the connection unanswered.
    const tunnel = await rawExchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')
    t.match(tunnel, /^HTTP\/1\.1 400 [^\r]*\r\n[^]*\r\nx-error-code: BAD_REQUEST\r\n/i, `${name}: a CONNECT, a coded 400`)
    // An Expect other than 100-continue: Node's own answer was a bare, uncoded 417; the expectation is ignored.
    t.match(await rawExchange(port, 'GET /login HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /, `${name}: an unknown expectation is ignored, the page served`)
  }
  // A target that is no path: express-session reads no session for it, and passport's session middleware threw (500).
  const expressPort = ports[1]![1]
  for (const line of ['OPTIONS * HTTP/1.1', 'GET * HTTP/1.1', 'GET login HTTP/1.1']) {
    const star = await rawExchange(expressPort, `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`)
    t.match(star, /^HTTP\/1\.1 400 [^\r]*\r\n[^]*\r\nx-error-code: BAD_REQUEST\r\n/i, `the Express example, ${line}: a coded 400, not a 500`)
  }
  t.match(await rawExchange(expressPort, 'GET http://x/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /, 'the Express example: an absolute-form target is served')
  // A request that arrives while the demo closes (another still in flight): 503 with its code, not Fastify's JSON.
  const demoPort = ports[0]![1]
  const late = connect(demoPort, '127.0.0.1')
  let lateAnswer = ''
  late.setEncoding('utf8').on('data', (chunk: string) => { lateAnswer += chunk }).on('error', () => {})
  await new Promise<void>((resolve) => late.write('GET /login HTTP/1.1\r\nHost: x\r\n', () => { resolve() }))
  const slow = rawExchange(demoPort, 'GET /t/slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  await new Promise((resolve) => setTimeout(resolve, 100))
  const closed = demo.app.close()
  late.write('\r\n')
  await new Promise((resolve) => late.on('close', resolve))
  t.match(await slow, /^HTTP\/1\.1 200 /, 'the request in flight is answered')
  await closed
  t.match(lateAnswer, /^HTTP\/1\.1 503 /, 'the late request: 503')
  t.match(lateAnswer, /\r\nx-error-code: SHUTTING_DOWN\r\n/i, 'coded SHUTTING_DOWN')
  t.match(lateAnswer, /\r\nretry-after: 60\r\n/i, 'with a Retry-After')
  // A body declared over the 16 KiB limit and never sent: answered 413 (coded) at once, not after the whole body.
  const express = ports[1]![1]
  const started = performance.now()
  const large = await rawExchange(express, 'POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nusername=a')
  t.match(large, /^HTTP\/1\.1 413 [^\r]*\r\n/, 'the Express example: 413')
  t.match(large, /\r\nx-error-code: PAYLOAD_TOO_LARGE\r\n/i, 'coded as what it is')
  t.match(large, 'That form was too large to send', 'and the page says so')
  // Other refusals of the body parser keep their own codes: a charset it cannot read is 415.
  const utf16 = await rawExchange(express, 'POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-16\r\nContent-Length: 3\r\nConnection: close\r\n\r\na=b')
  t.match(utf16, /^HTTP\/1\.1 415 [^]*\r\nx-error-code: UNSUPPORTED_MEDIA_TYPE\r\n/i, 'the Express example: a charset it cannot read, 415 coded as such')
  t.ok(performance.now() - started < 20_000, 'and the connection closed without waiting for the body (a loose bound: Node would wait 30 s)')
})

/** The Fastify servers of the project, built (not listening), each closed when the test ends; the Express example is {@link expressExample}. */
async function fourServers (t: { teardown: (fn: () => Promise<void>) => void }): Promise<{ demo: Awaited<ReturnType<typeof buildApp>>, built: ReturnType<typeof buildEmulator>, gateway: FastifyInstance }> {
  const demo = await buildApp({ sessionKey: randomBytes(32), emulator: { quiet: true } })
  t.teardown(() => demo.app.close())
  const built = buildEmulator({ quiet: true })
  t.teardown(() => built.app.close())
  const gateway = await buildGatewayServer(loadServerConfig({ OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: 'x', SESSION_KEY: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent' }))
  t.teardown(() => gateway.close())
  return { demo, built, gateway }
}

await t.test('a request that stalls mid-headers or mid-body is answered 408 and closed within 30 s: the demo, the emulator, the gateway server, the Express example', async (t) => {
  // Fastify's default requestTimeout (0) switches Node's limit off: a client sending half a body held its socket
  // forever (seen: still open after 330 s). With it at 30 s, Node still checked it only every 30 s, and a stalled
  // body against its 60 s headersTimeout: such a socket was held 60 to 90 s. The whole wait runs once, in parallel.
  const { demo, built, gateway } = await fourServers(t)
  // Timed on the monotonic clock: the wall clock can step (NTP) while the sockets wait (seen: 47 s by Date.now() in a
  // subtest tap timed at 33 s). Time this process did not run (a stalled event loop, a paused machine) is measured
  // and set aside in the upper bound: it is not the servers' doing.
  let paused = 0
  let last = performance.now()
  const watch = setInterval(() => { const now = performance.now(); paused += Math.max(0, now - last - 250); last = now }, 250)
  t.teardown(() => { clearInterval(watch) })
  const stalled = async (port: number, request: string): Promise<{ answer: string, seconds: number }> => await new Promise((resolve) => {
    const started = performance.now()
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    let answer = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => { answer += chunk }).on('error', () => {})
    socket.on('close', () => resolve({ answer, seconds: (performance.now() - started) / 1000 }))
  })
  const servers: Array<[string, FastifyInstance | undefined, string]> = [['the demo', demo.app, '/login'], ['the emulator', built.app, '/api/v1/users'], ['the gateway server', gateway, '/graphql'], ['the Express example', undefined, '/login']]
  const expressPort = await expressExample(t)
  const waits: Array<Promise<void>> = []
  for (const [name, app, path] of servers) {
    await app?.listen({ port: 0, host: '127.0.0.1' })
    const port = app === undefined ? expressPort : (app.server.address() as { port: number }).port
    for (const [part, request] of [
      // (The Express example reads form bodies only: a JSON one is refused from its headers, 403, and the connection closed.)
      ['mid-body', `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${app === undefined ? 'application/x-www-form-urlencoded' : 'application/json'}\r\nContent-Length: 100\r\n\r\n{"query":`],
      ['mid-headers', `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Ty`],
    ] as const) {
      // (The emulator refuses an unauthenticated request at once, from its headers, then times out its body.)
      waits.push(stalled(port, request).then(({ answer, seconds }) => {
        t.match(answer, /(^|\r\n\r\n|\})HTTP\/1\.1 408 /, `${name}, ${part}: 408`)
        if (name === 'the demo' || name === 'the Express example') t.match(answer, /\r\nx-error-code: REQUEST_TIMEOUT\r\n/i, `${name}, ${part}: coded`)
        // A loose bound, not a benchmark: 30 s and the 2 s check, where it was 60 to 90 s.
        const away = paused / 1000
        t.ok(seconds >= 29 && seconds - away < 40, `${name}, ${part}: closed after ${seconds.toFixed(1)} s (${away.toFixed(1)} s of them this process stood still)`)
      }))
    }
  }
  await Promise.all(waits)
})

await t.test('a CONNECT whose client resets the connection at once leaves every server running: the demo, the emulator, the gateway server, the Express example', async (t) => {
  // Node hands a CONNECT's socket to the server's 'connect' listener without an error listener of its own: a reset
  // while the answer is written was an unhandled 'error' event, the whole process down (seen with the emulator).
  const { demo, built, gateway } = await fourServers(t)
  const expressPort = await expressExample(t)
  const resetAfterConnect = async (port: number): Promise<void> => await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n${'A'.repeat(100_000)}`)
      setImmediate(() => { socket.resetAndDestroy(); resolve() })
    })
    socket.on('error', () => { resolve() })
  })
  for (const [name, app] of [['the demo', demo.app], ['the emulator', built.app], ['the gateway server', gateway], ['the Express example', undefined]] as const) {
    await app?.listen({ port: 0, host: '127.0.0.1' })
    const port = app === undefined ? expressPort : (app.server.address() as { port: number }).port
    for (let i = 0; i < 40; i++) await resetAfterConnect(port)
    await new Promise((resolve) => setTimeout(resolve, 50))
    t.match(await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 \d{3} /, `${name}: still answering`)
  }
})

// Guards the Express example behind a load balancer (TRUST_PROXY): a real main.js behind a node:http balancer that
// appends the peer to X-Forwarded-For (as nginx, HAProxy and most cloud balancers do) and sets X-Forwarded-Proto, the
// client connecting from 127.0.0.2 and the balancer from 127.0.0.3, and a tap in front of the emulator keeping the
// X-Forwarded-For each verify carries to Okta. With TRUST_PROXY Okta gets the client's IP and the cookies are Secure
// behind https; without it Okta gets the balancer's, a forged X-Forwarded-For or -Proto changes nothing, and plain
// http on localhost works as before.
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { Agent } from 'undici'
import { parseTrustProxy as gatewayTrustProxy } from '@okta-mfa/gateway'
import { buildApp } from '../../examples/express-app/dist/app.js'
import { ConfigError, readSettings } from '../../examples/express-app/dist/config.js'
import { parseTrustProxy } from '../../examples/express-app/dist/trust-proxy.js'
import { withEmulator } from '../helpers/emulator.js'
import { CookieJar, type JarResponse } from '../helpers/http.js'
import { startProcess } from '../helpers/processes.js'
import { totp } from '../helpers/totp.js'

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const FACTOR_ID = 'ostexample0000000001'
const CLIENT_IP = '127.0.0.2'
const BALANCER_IP = '127.0.0.3'
const FORGED = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' }
/** What these helpers need of a tap test. */
interface Teardown { teardown: (fn: () => unknown) => void }

/** Every request of the client leaves from CLIENT_IP. */
const clientAgent = new Agent({ localAddress: CLIENT_IP })
t.teardown(async () => { await clientAgent.close() })

async function listen (t: Teardown, server: ReturnType<typeof createServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A round-robin balancer of one: forwards from BALANCER_IP with X-Forwarded-For (the peer appended) and -Proto `proto`. */
async function balancer (t: Teardown, target: string, proto: string): Promise<string> {
  const { hostname, port } = new URL(target)
  return await listen(t, createServer((req, res) => {
    const peer = req.socket.remoteAddress ?? ''
    const xff = req.headers['x-forwarded-for']
    const headers = { ...req.headers, 'x-forwarded-for': xff === undefined ? peer : `${String(xff)}, ${peer}`, 'x-forwarded-proto': proto }
    const up = httpRequest({ host: hostname, port, method: req.method, path: req.url, headers, localAddress: BALANCER_IP, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    up.on('error', () => { res.writeHead(502).end() })
    req.pipe(up)
  }))
}

/** The emulator behind a tap that keeps the X-Forwarded-For of every verify: what Okta was told the user's IP is. */
async function oktaWithTap (t: Teardown): Promise<{ url: string, token: string, verifyIps: Array<string | undefined>, now: () => number, nextStep: () => void }> {
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const { port } = new URL(emu.url)
  const verifyIps: Array<string | undefined> = []
  const url = await listen(t, createServer((req, res) => {
    if (req.url?.endsWith('/verify') === true) verifyIps.push(req.headers['x-forwarded-for'] as string | undefined)
    const up = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    req.pipe(up)
  }))
  return { url, token: emu.token, verifyIps, now: emu.clock.now, nextStep: () => { emu.clock.advance(30_000) } }
}

/** The Set-Cookie line of cookie `name` in a response. */
function setCookie (res: JarResponse, name: string): string | undefined {
  const lines = res.headers['set-cookie']
  return (Array.isArray(lines) ? lines : lines === undefined ? [] : [lines]).find((line) => line.startsWith(`${name}=`))
}

/** Posts a form with the CSRF token of the page at `path` (GET first, as a browser would), with `headers` on both. */
async function post (jar: CookieJar, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ page: JarResponse, res: JarResponse }> {
  const page = await jar.fetch(path, { headers: { accept: 'text/html', ...headers } })
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
  return { page, res: await jar.fetch(path, { form: { ...form, _csrf: token }, headers }) }
}

/** The example (main.js) on its own Okta, with `env`, and a balancer in front of it for each scheme. */
async function deployment (t: Teardown, env: Record<string, string>): Promise<{ okta: Awaited<ReturnType<typeof oktaWithTap>>, direct: string, https: string, http: string, HTTPS: string }> {
  const okta = await oktaWithTap(t)
  const app = await startProcess(t, 'express example', 'examples/express-app/dist/main.js', {
    OKTA_ORG_URL: okta.url, OKTA_API_TOKEN: okta.token, SESSION_SECRET: 'p'.repeat(40), ...env,
  }, { readyPath: '/login' })
  return { okta, direct: app.url, https: await balancer(t, app.url, 'https'), http: await balancer(t, app.url, 'http'), HTTPS: await balancer(t, app.url, 'HTTPS') }
}

/** Password, a wrong code (one verify), then the right one with "Remember this device" (a second verify). */
async function signIn (t: Test, jar: CookieJar, now: () => number, headers: Record<string, string> = {}): Promise<JarResponse> {
  const login = await post(jar, '/login', { username: 'ada', password: 'lovelace-1815' }, headers)
  t.equal(login.res.location, '/mfa', 'the password step')
  const right = totp(SECRET, now())
  t.equal((await post(jar, '/mfa', { passCode: right === '000000' ? '111111' : '000000' }, headers)).res.location, '/mfa', 'a wrong code')
  const done = await post(jar, '/mfa', { passCode: right, rememberDevice: 'on' }, headers)
  t.equal(done.res.location, '/account', 'the right code')
  t.equal((await jar.fetch('/account', { headers: { accept: 'text/html', ...headers } })).status, 200, 'signed in')
  return done.res
}

await t.test('TRUST_PROXY=true: Okta gets the client IP (never a forged one), the cookies are Secure behind https', async (t) => {
  const { okta, https, http, HTTPS } = await deployment(t, { TRUST_PROXY: 'true' })
  const jar = new CookieJar(https, clientAgent)
  const first = await jar.fetch('/login', { headers: FORGED })
  t.match(setCookie(first, 'sid'), /; Secure/, 'the session cookie is Secure behind X-Forwarded-Proto: https')
  const done = await signIn(t, jar, okta.now, FORGED)
  t.match(setCookie(done, 'okta_mfa_device'), /; Secure/, 'so is the remembered-device cookie')
  t.same(okta.verifyIps, [CLIENT_IP, CLIENT_IP], "both verifies carry the client's IP: not the balancer's, not the forged X-Forwarded-For")

  t.notMatch(setCookie(await new CookieJar(http, clientAgent).fetch('/login'), 'sid'), /Secure/i, 'behind X-Forwarded-Proto: http, not Secure')
  t.match(setCookie(await new CookieJar(HTTPS, clientAgent).fetch('/login'), 'sid'), /; Secure/, "X-Forwarded-Proto: HTTPS is https (a scheme's case does not matter)")
})

await t.test('TRUST_PROXY unset: Okta gets the balancer IP and forwarded headers change nothing; plain http on localhost works', async (t) => {
  const { okta, direct, https } = await deployment(t, {})
  const jar = new CookieJar(https, clientAgent)
  t.notMatch(setCookie(await jar.fetch('/login', { headers: FORGED }), 'sid'), /Secure/i, 'X-Forwarded-Proto: https is not trusted: no Secure cookie')
  await signIn(t, jar, okta.now, FORGED)
  t.same(okta.verifyIps, [BALANCER_IP, BALANCER_IP], 'Okta gets the connecting peer, the balancer, and never the forged X-Forwarded-For')

  okta.verifyIps.length = 0
  okta.nextStep() // a new code: the last one is used
  const local = new CookieJar(direct, clientAgent)
  t.notMatch(setCookie(await local.fetch('/login', { headers: FORGED }), 'sid'), /Secure/i, 'straight to the app over http: no Secure')
  const done = await signIn(t, local, okta.now, FORGED)
  t.notMatch(setCookie(done, 'okta_mfa_device'), /Secure/i)
  t.same(okta.verifyIps, [CLIENT_IP, CLIENT_IP], 'a forged X-Forwarded-For straight to the app is ignored too')
})

await t.test("TRUST_PROXY as the balancer's address: the same as true behind it", async (t) => {
  const { okta, https } = await deployment(t, { TRUST_PROXY: `${BALANCER_IP}, 10.0.0.0/8` })
  const jar = new CookieJar(https, clientAgent)
  t.match(setCookie(await jar.fetch('/login', { headers: FORGED }), 'sid'), /; Secure/)
  await signIn(t, jar, okta.now, FORGED)
  t.same(okta.verifyIps, [CLIENT_IP, CLIENT_IP])
})

await t.test("TRUST_PROXY accepts the demo's values, and only them; buildApp's trustProxy is checked", async (t) => {
  const values = ['', 'false', 'NO', 'true', 'Yes', '0', '1', '2', '99', '100', '10.0.0.1', ' 10.0.0.0/8 , ::1 ', 'fe80::/10', '10.0.0.0/33', 'loopback', '1.2.3', 'true,1', '-1', '10.0.0.1/8/1']
  for (const value of values) {
    t.equal(parseTrustProxy(value) === undefined, gatewayTrustProxy(value) === undefined, `${JSON.stringify(value)}: accepted by both or neither`)
  }
  t.equal(parseTrustProxy('true'), 1, '"true" is the proxy that connects: one hop, not every hop')
  t.equal(parseTrustProxy('3'), 3)
  t.equal(parseTrustProxy(' 10.0.0.0/8 , ::1 '), '10.0.0.0/8,::1')
  t.equal(readSettings({}).trustProxy, false, 'off by default')
  t.equal(readSettings({ TRUST_PROXY: '' }).trustProxy, false, 'empty is unset')
  t.throws(() => readSettings({ TRUST_PROXY: 'secret-looking-value' }), ConfigError)
  const message = ((): string => { try { readSettings({ TRUST_PROXY: 'secret-looking-value' }); return '' } catch (err) { return (err as Error).message } })()
  t.match(message, /^TRUST_PROXY must be true, false, a hop count, or proxy addresses\/CIDR ranges/, 'names the variable')
  t.notMatch(message, /secret-looking/, 'never its value')
  const base = { okta: { orgUrl: 'http://127.0.0.1:9', token: 'x', allowInsecureHttp: true }, users: [], sessionSecret: 's'.repeat(32) }
  for (const bad of [true, -1, 1.5, 'loopback', '']) t.throws(() => buildApp({ ...base, trustProxy: bad as never }), TypeError, `trustProxy ${JSON.stringify(bad)}`)
  const built = buildApp({ ...base, trustProxy: '10.0.0.1, 10.0.0.2' })
  t.type(built.app.get('trust proxy fn'), 'function')
  await built.close()
})

// Issue 11 item 6, with real processes: one redis-server, one emulator (in this process, real clock), TWO standalone
// gateway servers (packages/gateway/dist/server.js) and ONE strategy app (the demo, examples/fastify-app/dist/main.js),
// all sharing one Redis (REDIS_URL) and one session key (SESSION_KEY). The demo's session cookie is read by the
// gateways as is (the demo mirrors its passport user to the `user` key a standalone gateway reads).
//
// Checked: 20 parallel wrong codes spread over the three processes let exactly maxAttempts (4) reach Okta and the
// rest are LOCKED_OUT, while the Okta user stays ACTIVE; a session logged out on the demo is refused by both gateways;
// with Redis stopped every passcode attempt gets STORE_UNAVAILABLE (a right code too: nothing passes uncounted), no
// process dies, /readyz says `store`; with Redis back, service resumes with nothing restarted. Also: SESSION_KEY
// rotation and REDIS_URL checks; two Express example instances sharing sessions through connect-redis and remembered
// devices (one remembers, the other honours it, and forgets it for both); seeded random sequences of sign-ins, codes,
// logouts and "sign out of all sessions" over the demo and both gateways, checked against a model after every step; a
// gateway that exits by itself on SIGTERM (its Redis client closed).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { startEmulator } from '@okta-mfa/emulator'
import { buildGatewayServer, loadServerConfig, ServerConfigError } from '@okta-mfa/gateway'
import { readConfig } from '../../examples/fastify-app/dist/index.js'
import { readSettings as readExpressSettings } from '../../examples/express-app/dist/config.js'
import { AttemptLimiter, createRedisStores } from '@okta-mfa/core'
import { emuFetch } from '../helpers/emulator.js'
import { codeOf, gql, type GqlResponse } from '../helpers/gateway-app.js'
import { CookieJar, type JarResponse } from '../helpers/http.js'
import { REPO_ROOT, startProcess, type TestProcess } from '../helpers/processes.js'
import { withRedis } from '../helpers/redis.js'
import { codeToSend, expectedOutcome, seeded, wrongCodeNear } from '../helpers/sequence.js'
import { Redis } from 'ioredis'
import { csrfOf } from '../helpers/e2e-app.js'

const LOGIN = 'bob@example.com' // the demo's account "bob" (app user id u2) maps to this Okta login
const PASSWORD = 'correct-horse-battery'
const COOKIE = 'session'
const VERIFY = 'mutation ($f: ID!, $c: String) { verifyFactor(factorId: $f, passCode: $c) { result mfa { completed } } }'

const redis = await withRedis(t)
// Okta's clock: the real one, moved ahead by the sequence test when it has used every code of the moment.
let oktaAhead = 0
const oktaNow = (): number => Date.now() + oktaAhead
const emu = await startEmulator({
  port: 0,
  token: 'test-token',
  quiet: true,
  clock: oktaNow,
  seed: [
    { login: LOGIN, firstName: 'Bob', lastName: 'Example', factors: [{ factorType: 'token:software:totp', provider: 'GOOGLE' }] },
    { login: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', factors: [{ factorType: 'token:software:totp', provider: 'GOOGLE' }] },
    { login: 'carol@example.com', firstName: 'Carol', lastName: 'Example', factors: [{ factorType: 'token:software:totp', provider: 'GOOGLE' }] },
  ],
})
t.teardown(() => emu.close())
const oktaUser = (await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent(LOGIN)}`)).body as { id: string }
const factorId = ((await emuFetch(emu, 'GET', `/api/v1/users/${oktaUser.id}/factors`)).body as Array<{ id: string }>)[0]!.id

const sessionKey = randomBytes(32).toString('hex')
const common = { OKTA_ORG_URL: emu.url, OKTA_API_TOKEN: emu.token, SESSION_KEY: sessionKey, REDIS_URL: redis.url }
const gatewayEnv = { ...common, OKTA_ALLOW_INSECURE_HTTP: 'true', SESSION_COOKIE_SECURE: 'false', LOG_LEVEL: 'fatal' }
const expressEnv = { ...common, OKTA_ALLOW_INSECURE_HTTP: 'true', SESSION_SECRET: randomBytes(32).toString('hex'), DEMO_PASSWORD: 'lovelace-1815' }
const [gwA, gwB, demo, exA, exB] = await Promise.all([
  startProcess(t, 'gateway A', 'packages/gateway/dist/server.js', gatewayEnv, { readyPath: '/healthz' }),
  startProcess(t, 'gateway B', 'packages/gateway/dist/server.js', gatewayEnv, { readyPath: '/healthz' }),
  startProcess(t, 'demo', 'examples/fastify-app/dist/main.js', { ...common, LOG_LEVEL: 'silent' }, { readyPath: '/login' }),
  // The Express example: sessions in Redis through connect-redis, so its two instances are one app.
  startProcess(t, 'express A', 'examples/express-app/dist/main.js', expressEnv, { readyPath: '/login' }),
  startProcess(t, 'express B', 'examples/express-app/dist/main.js', expressEnv, { readyPath: '/login' }),
]) as [TestProcess, TestProcess, TestProcess, TestProcess, TestProcess]
const processes = [gwA, gwB, demo]


/** A session of bob on the demo, on the MFA step: the demo's jar, the CSRF token, and the cookie value. */
async function signIn (): Promise<{ jar: CookieJar, csrf: string, cookie: string }> {
  const jar = new CookieJar(demo.url)
  const form = await jar.fetch('/login')
  const login = await jar.fetch('/login', { form: { username: 'bob', password: PASSWORD, _csrf: csrfOf(form.text) } })
  if (login.status !== 303 || login.location !== '/mfa') throw new Error(`login failed: ${login.status} ${login.location ?? ''}`)
  const page = await jar.fetch('/mfa', { headers: { accept: 'text/html' } })
  if (page.status !== 200) throw new Error(`GET /mfa answered ${page.status}`)
  return { jar, csrf: csrfOf(page.text), cookie: jar.cookies.get(COOKIE)! }
}

/** A jar against `proc` holding `cookie` (the same browser session, sent to another instance). */
function jarWith (proc: TestProcess, cookie: string, name = COOKIE): CookieJar {
  const jar = new CookieJar(proc.url)
  jar.cookies.set(name, cookie)
  return jar
}

/** One passcode attempt on `proc` with the session `cookie`: the outcome code (undefined: accepted). */
async function attempt (proc: TestProcess, cookie: string, csrf: string, passCode: string): Promise<string | undefined> {
  const jar = jarWith(proc, cookie)
  if (proc === demo) {
    const res: JarResponse = await jar.fetch('/mfa', { form: { passCode, factorId, _csrf: csrf }, headers: { accept: 'text/html' } })
    if (res.status === 303) return undefined
    const code = res.headers['x-error-code']
    return typeof code === 'string' ? code : `HTTP ${res.status}`
  }
  const res: GqlResponse = await gql(jar, VERIFY, { f: factorId, c: passCode })
  if (res.body.data?.verifyFactor?.result === 'SUCCESS') return undefined
  return codeOf(res) ?? `HTTP ${res.status}`
}

/** A 6-digit code that is not valid now (nor one step before or after). */
function wrongCode (): string {
  const now = oktaNow()
  const valid = new Set([-30_000, 0, 30_000].map((d) => emu.totpCode(factorId, now + d)))
  for (let n = 100_000; ; n++) if (!valid.has(String(n))) return String(n)
}

async function oktaStatus (): Promise<string> {
  return ((await emuFetch(emu, 'GET', `/api/v1/users/${oktaUser.id}`)).body as { status: string }).status
}

/** A wrong code straight to the emulator (no limiter in front): counts one failed verification at Okta. */
async function wrongAtOkta (): Promise<number> {
  return (await emuFetch(emu, 'POST', `/api/v1/users/${oktaUser.id}/factors/${factorId}/verify`, { passCode: wrongCode() })).status
}

async function unlockAtOkta (): Promise<void> {
  const res = await emuFetch(emu, 'POST', `/api/v1/users/${oktaUser.id}/lifecycle/unlock`)
  if (res.status !== 200) throw new Error(`unlock answered ${res.status}`)
}

/** Polls `fn` every 100 ms until it returns true (at most `ms`). */
async function until (what: string, fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!await fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

async function readyz (proc: TestProcess): Promise<JarResponse> {
  return await new CookieJar(proc.url).fetch('/readyz')
}

await t.test('configuration: SESSION_KEY rotation, REDIS_URL checked without echoing a password', async (t) => {
  const [fresh, old] = [randomBytes(32).toString('hex'), randomBytes(32).toString('base64')]
  const env = { OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: 'tok', LOG_LEVEL: 'silent', SESSION_COOKIE_SECURE: 'false' }
  const build = async (SESSION_KEY: string): Promise<Awaited<ReturnType<typeof buildGatewayServer>>> => {
    const app = await buildGatewayServer(loadServerConfig({ ...env, SESSION_KEY }))
    t.teardown(() => app.close())
    return app
  }
  const [oldOnly, rotated, freshOnly] = [await build(old), await build(` ${fresh} , ${old}`), await build(fresh)]
  const userKeyWith = async (app: typeof rotated, cookie: string): Promise<string | undefined> => {
    const res = await app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ viewer { userKey } }' }, cookies: { [COOKIE]: cookie } })
    return res.json().data?.viewer?.userKey ?? res.json().errors?.[0]?.extensions?.code
  }
  const oldCookie = oldOnly.encodeSecureSession(oldOnly.createSecureSession({ user: { id: 'u9', login: 'u9@example.com' } }))
  t.equal(await userKeyWith(rotated, oldCookie), 'u9', 'a cookie made with the old key is still read after rotation')
  t.equal(await userKeyWith(freshOnly, oldCookie), 'UNAUTHENTICATED', 'and no longer once the old key is dropped')
  const newCookie = rotated.encodeSecureSession(rotated.createSecureSession({ user: { id: 'u8', login: 'u8@example.com' } }))
  t.equal(await userKeyWith(freshOnly, newCookie), 'u8', 'the rotated server encrypts with the first (newest) key')
  t.equal(await userKeyWith(oldOnly, newCookie), 'UNAUTHENTICATED')
  t.same(readConfig({ SESSION_KEY: `${fresh},${old}` }).sessionKeys, [Buffer.from(fresh, 'hex'), Buffer.from(old, 'base64')], 'the demo reads the same list')

  const secret = 'hunter2-redis-password'
  for (const bad of [`http://:${secret}@127.0.0.1:6379`, `redis://:${secret}@/0`, `redis://:${secret}@127.0.0.1:6379/x`, `redis://:${secret}@127.0.0.1:99999`, 'not-a-url', ` redis://:${secret}@127.0.0.1:6379`,
    `redis://:${secret}@127.0.0.1:6379/3.5`, `redis://:${secret}@127.0.0.1:6379?db=x`, `redis://:${secret}@127.0.0.1:6379?family=6`, `redis://:${secret}@127.0.0.1:6379/1#x`]) {
    const err = t.throws(() => loadServerConfig({ ...env, SESSION_KEY: fresh, REDIS_URL: bad })) as ServerConfigError
    t.equal(err.code, 'OKTA_MFA_GATEWAY_CONFIG')
    t.match(err.message, /REDIS_URL(:| must be redis:| holds a space)/, 'the gateway names the variable')
    t.notMatch(err.message, secret, 'and never echoes the password')
    const demoErr = t.throws(() => readConfig({ REDIS_URL: bad })) as Error
    t.match(demoErr.message, /REDIS_URL/, 'so does the demo')
    t.notMatch(demoErr.message, secret)
  }
  t.equal(loadServerConfig({ ...env, SESSION_KEY: fresh, REDIS_URL: `rediss://user:${secret}@redis.internal:6380/2` }).redisUrl, `rediss://user:${secret}@redis.internal:6380/2`)
  t.equal(loadServerConfig({ ...env, SESSION_KEY: fresh }).redisUrl, undefined, 'no REDIS_URL: memory stores')
  // Every form @okta-mfa/core's createRedisStores takes, so the app and the gateway can share one REDIS_URL.
  for (const good of ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379/', 'redis://127.0.0.1:6379/0', 'redis://127.0.0.1:6379/100', 'redis://127.0.0.1:6379?db=3', 'redis://127.0.0.1:6379/?db=3']) {
    t.equal(loadServerConfig({ ...env, SESSION_KEY: fresh, REDIS_URL: good }).redisUrl, good, `the gateway takes ${good}`)
    t.equal(readConfig({ REDIS_URL: good }).redisUrl, good, `the demo takes ${good}`)
    t.equal(readExpressSettings({ REDIS_URL: good }).redisUrl, good, `the Express example takes ${good}`)
    t.doesNotThrow(() => { void createRedisStores(good, { connectTimeoutMs: 1, maxReconnectDelayMs: 1 }).close() }, `and so does createRedisStores: ${good}`)
  }
  t.throws(() => loadServerConfig({ ...env, SESSION_KEY: `${fresh},not-a-key` }), { message: /SESSION_KEY must be 32 bytes/ })
  t.notMatch((t.throws(() => loadServerConfig({ ...env, SESSION_KEY: `${fresh},not-a-key` })) as Error).message, fresh, 'no key is echoed')

  // The bin: a bad REDIS_URL is a start-up error (exit 1) naming the variable, without the password.
  const child = spawn(process.execPath, ['packages/gateway/dist/server.js'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, SESSION_KEY: fresh, REDIS_URL: `redis://:${secret}@127.0.0.1:6379/db` },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const code = await new Promise((resolve) => child.once('exit', resolve))
  t.equal(code, 1, 'the server does not start')
  t.match(stderr, /REDIS_URL: the database after the host must be a number/)
  t.notMatch(stderr, secret)
})

await t.test('20 parallel wrong codes over three processes: exactly the limit reaches Okta, the rest are LOCKED_OUT', async (t) => {
  const { csrf, cookie } = await signIn()
  const code = wrongCode()
  const outcomes = await Promise.all(Array.from({ length: 20 }, async (_, i) => await attempt(processes[i % 3]!, cookie, csrf, code)))
  const count = (c: string): number => outcomes.filter((o) => o === c).length
  t.equal(count('INVALID_PASSCODE'), 4, 'maxAttempts (4) wrong codes were checked by Okta, wherever they landed')
  t.equal(count('LOCKED_OUT'), 16, 'every other attempt was refused by the shared limiter')
  t.equal(outcomes.length, 20)
  t.notOk(outcomes.includes(undefined), 'nothing was accepted')
  t.equal(await oktaStatus(), 'ACTIVE', 'the Okta user is not locked out')
  // Okta locks at 5 consecutive failures: one more wrong code sent straight to it locks the user only if exactly 4
  // reached it (3 would leave it ACTIVE; 5 would have locked it already).
  t.equal(await wrongAtOkta(), 403)
  t.equal(await oktaStatus(), 'LOCKED_OUT', 'so exactly 4 failed verifications reached Okta')
  await unlockAtOkta()
  t.equal(await attempt(gwB, cookie, csrf, emu.totpCode(factorId)), 'LOCKED_OUT', 'even a right code waits for the window on another instance')
})

await t.test('a session logged out on the demo is refused by both gateways', async (t) => {
  const { jar, csrf, cookie } = await signIn()
  const viewer = await gql(jarWith(gwA, cookie), '{ viewer { userKey } }')
  t.equal(viewer.body.data?.viewer?.userKey, 'u2', 'the gateways read the demo\'s session cookie')
  t.equal((await gql(jarWith(gwB, cookie), '{ viewer { userKey } }')).body.data?.viewer?.userKey, 'u2')

  const out = await jar.fetch('/logout', { form: { _csrf: csrf } })
  t.equal(out.status, 303)
  t.equal(out.location, '/login')
  for (const gw of [gwA, gwB]) {
    t.equal(codeOf(await gql(jarWith(gw, cookie), '{ viewer { userKey } }')), 'UNAUTHENTICATED', `${gw.name}: a copy of the cookie taken before logout is signed out`)
    t.equal(await attempt(gw, cookie, csrf, emu.totpCode(factorId)), 'UNAUTHENTICATED', `${gw.name}: and cannot verify`)
  }
  t.equal((await jarWith(demo, cookie).fetch('/account', { headers: { accept: 'text/html' } })).location, '/login', 'the demo refuses it too')
  t.equal(codeOf(await gql(jar, '{ viewer { userKey } }')), 'UNAUTHENTICATED', 'the logged-out cookie itself has no user')
})

await t.test('the Express example: two instances share sessions (connect-redis), the MFA step, logout and remembered devices', async (t) => {
  const ada = (await emuFetch(emu, 'GET', '/api/v1/users/ada%40example.com')).body as { id: string }
  const adaFactor = ((await emuFetch(emu, 'GET', `/api/v1/users/${ada.id}/factors`)).body as Array<{ id: string }>)[0]!.id
  const onA = new CookieJar(exA.url)
  const form = await onA.fetch('/login')
  // A visit to /login stores a session (its CSRF token) for 15 minutes only; a signed-in one for a day.
  const client = new Redis(redis.url)
  t.teardown(() => client.quit())
  const ttlOf = async (jar: CookieJar): Promise<number> => {
    const sid = decodeURIComponent(jar.cookies.get('sid')!).replace(/^s:/, '').split('.')[0]!
    return await client.ttl(`okta-mfa:sess:${sid}`)
  }
  const anonymous = await ttlOf(onA)
  t.ok(anonymous > 0 && anonymous <= 900, `an anonymous session expires within 15 minutes (${anonymous} s)`)
  const login = await onA.fetch('/login', { form: { username: 'ada', password: 'lovelace-1815', _csrf: csrfOf(form.text) } })
  t.equal(login.location, '/mfa', 'signed in on A')
  t.ok(await ttlOf(onA) > 3600, 'a signed-in session lasts a day')
  const cookie = onA.cookies.get('sid')!
  const onB = jarWith(exB, cookie, 'sid')
  t.equal((await onB.fetch('/api/me')).json().code, 'MFA_REQUIRED', 'B knows the session: signed in, MFA to do')
  const mfaPage = await onB.fetch('/mfa')
  t.equal(mfaPage.status, 200)
  const done = await onB.fetch('/mfa', { form: { passCode: emu.totpCode(adaFactor), rememberDevice: 'on', _csrf: csrfOf(mfaPage.text) } })
  t.equal(done.location, '/account', 'the code entered on B')
  const device = onB.cookies.get('okta_mfa_device')
  t.ok(device, 'B remembers this browser ("Remember this device" ticked)')
  const cookie2 = onB.cookies.get('sid')!
  onA.cookies.set('sid', cookie2) // the browser's cookie now (the strategy may give the session a new id)
  const me = await onA.fetch('/api/me')
  t.equal(me.status, 200, 'completes the MFA step on A as well')
  t.equal(me.json().id, 'u1')
  const out = await onA.fetch('/logout', { form: { _csrf: csrfOf((await onA.fetch('/account')).text) } })
  t.equal(out.location, '/login')
  const after = await jarWith(exB, cookie2, 'sid').fetch('/api/me')
  t.equal(after.status, 401, 'a copy of the cookie is signed out on B')
  t.equal(after.json().code, 'UNAUTHENTICATED')

  // The device B remembered, on A (one SESSION_SECRET): the password is enough, no code asked.
  const signInWithDevice = async (proc: TestProcess): Promise<CookieJar> => {
    const jar = jarWith(proc, device!, 'okta_mfa_device')
    const page = await jar.fetch('/login')
    t.equal((await jar.fetch('/login', { form: { username: 'ada', password: 'lovelace-1815', _csrf: csrfOf(page.text) } })).status, 302)
    return jar
  }
  const remembered = await signInWithDevice(exA)
  t.equal((await remembered.fetch('/api/me')).status, 200, 'A honours the device B remembered')
  // "Forget remembered devices" pressed on B: a copy of the device cookie (another browser) is asked for a code on A.
  const onB2 = jarWith(exB, remembered.cookies.get('sid')!, 'sid')
  const forget = await onB2.fetch('/devices/forget', { form: { _csrf: csrfOf((await onB2.fetch('/account')).text) } })
  t.equal(forget.location, '/account', 'forgotten on B')
  const copy = await signInWithDevice(exA)
  t.equal((await copy.fetch('/api/me')).json().code, 'MFA_REQUIRED', 'A asks the forgotten device for a code')
  t.match((await copy.fetch('/mfa')).text, /name="passCode"/, 'the code form')
})

await t.test('seeded sequences over the demo and both gateways: one attempt count, one MFA step, revocations everywhere', async (t) => {
  // A model of what the READMEs promise, checked after every step of random (seeded, so replayable) sequences of what
  // people do: sign in (up to two browsers per user), wrong, right and replayed codes on any of the three processes,
  // reading the session on either gateway, the demo's guarded page, logout, "sign out of all sessions", and an
  // administrator clearing a lockout. Invariants: maxAttempts (4) attempts per user in all, wherever they land, the 5th
  // refused before Okta hears of it (so Okta's own lockout at 5 is never reached); a right code resets the count and
  // completes the MFA step of that browser's session only, which every process then sees; a code is good once; a
  // revoked session is refused by every process; one user's attempts never count against another's.
  interface Person { username: string, key: string, oktaId: string, factorId: string, used: number, attempts: number }
  interface Browser { person: Person, cookie: string, completed: boolean, revoked: boolean }
  const STEP = 30_000
  const stores = createRedisStores(redis.url)
  t.teardown(() => stores.close())
  const limiter = new AttemptLimiter({ store: stores.attempts }) // the README's way to clear a user's counter

  const person = async (username: string, key: string): Promise<Person> => {
    const okta = (await emuFetch(emu, 'GET', `/api/v1/users/${username}%40example.com`)).body as { id: string }
    const factors = (await emuFetch(emu, 'GET', `/api/v1/users/${okta.id}/factors`)).body as Array<{ id: string }>
    return { username, key, oktaId: okta.id, factorId: factors[0]!.id, used: -1, attempts: 0 }
  }
  const people = [await person('bob', 'u2'), await person('carol', 'u3')]
  const codeAt = (p: Person, step: number): string => emu.totpCode(p.factorId, step * STEP + STEP / 2)
  const nowStep = (): number => Math.floor(oktaNow() / STEP)
  /** Clears the user's lockouts: Okta's failure count (unlock, which an ACTIVE user takes too) and our counter. */
  const adminReset = async (p: Person): Promise<void> => {
    t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${p.oktaId}/lifecycle/unlock`)).status, 200)
    await limiter.succeed(p.key)
    p.attempts = 0
  }
  // A known start: counters cleared, and one code used straight at Okta, so the model knows the factor's last step.
  for (const p of people) {
    await adminReset(p)
    for (const step of [nowStep(), nowStep() + 1]) {
      if ((await emuFetch(emu, 'POST', `/api/v1/users/${p.oktaId}/factors/${p.factorId}/verify`, { passCode: codeAt(p, step) })).status === 200) { p.used = step; break }
    }
    if (p.used < 0) throw new Error(`no fresh code for ${p.username}`)
  }

  const keep = (b: Browser, jar: CookieJar): void => { b.cookie = jar.cookies.get(COOKIE) ?? b.cookie }
  const signInAs = async (p: Person): Promise<Browser> => {
    const jar = new CookieJar(demo.url)
    const form = await jar.fetch('/login')
    const login = await jar.fetch('/login', { form: { username: p.username, password: PASSWORD, _csrf: csrfOf(form.text) } })
    if (login.location !== '/mfa') throw new Error(`${p.username}: login answered ${login.status} ${login.location ?? ''}`)
    return { person: p, cookie: jar.cookies.get(COOKIE)!, completed: false, revoked: false }
  }
  /** The demo's CSRF token for this browser, from the page it is on (the code form, or the account page after it). */
  const csrfFor = async (b: Browser): Promise<string> => {
    const jar = jarWith(demo, b.cookie)
    const page = await jar.fetch(b.completed ? '/account' : '/mfa', { headers: { accept: 'text/html' } })
    keep(b, jar)
    if (page.status !== 200) throw new Error(`${b.person.username}: the page for a CSRF token answered ${page.status}`)
    return csrfOf(page.text)
  }
  /** One code on `proc`: the outcome code, undefined when accepted. */
  const send = async (b: Browser, proc: TestProcess, passCode: string): Promise<string | undefined> => {
    if (proc === demo) {
      const csrf = await csrfFor(b)
      const jar = jarWith(demo, b.cookie)
      const res = await jar.fetch('/mfa', { form: { passCode, factorId: b.person.factorId, _csrf: csrf }, headers: { accept: 'text/html' } })
      keep(b, jar)
      if (res.status === 303 && res.location === '/account') return undefined
      const code = res.headers['x-error-code']
      return typeof code === 'string' ? code : `HTTP ${res.status} ${res.location ?? ''}`
    }
    const jar = jarWith(proc, b.cookie)
    const res = await gql(jar, VERIFY, { f: b.person.factorId, c: passCode })
    keep(b, jar)
    if (res.body.data?.verifyFactor?.result === 'SUCCESS') return undefined
    return codeOf(res) ?? `HTTP ${res.status}`
  }
  const wrongFor = (p: Person): string => wrongCodeNear((step) => codeAt(p, step), nowStep())

  for (const seed of [11, 22, 33]) {
    const { pick } = seeded(seed)
    const browsers: Browser[] = []
    const log: string[] = []
    const ACTIONS = ['login', 'wrong', 'wrong', 'wrong', 'wrong', 'right', 'right', 'replay', 'stale', 'viewer', 'viewer', 'page', 'logout', 'everywhere', 'reset'] as const
    for (let i = 0; i < 60; i++) {
      const live = browsers.filter((b) => !b.revoked)
      const revoked = browsers.filter((b) => b.revoked)
      let action: typeof ACTIONS[number] = live.length === 0 ? 'login' : pick(ACTIONS)
      if (action === 'stale' && revoked.length === 0) action = 'wrong'
      const where = `seed ${seed} step ${i}: ${action}`
      if (action === 'login') {
        const p = pick(people)
        if (live.filter((b) => b.person === p).length >= 2) continue
        browsers.push(await signInAs(p))
        log.push(`${where} ${p.username}`)
        continue
      }
      if (action === 'reset') {
        const p = pick(people)
        await adminReset(p)
        log.push(`${where} ${p.username}`)
        continue
      }
      // Any session is read (a revoked one too: a copy of its cookie); a revoked one sends a code in 'stale'; the rest
      // is done by live ones.
      const b = pick(action === 'stale' ? revoked : action === 'viewer' || action === 'page' ? browsers : live)
      const p = b.person
      log.push(`${where} ${p.username} (${b.revoked ? 'revoked' : b.completed ? 'verified' : 'signed in'}, ${p.attempts} attempts)`)
      if (action === 'viewer') {
        const gw = pick([gwA, gwB])
        const jar = jarWith(gw, b.cookie)
        const res = await gql(jar, '{ viewer { userKey mfa { completed } } }')
        keep(b, jar)
        if (b.revoked) t.equal(codeOf(res), 'UNAUTHENTICATED', `${where}: ${gw.name} refuses a revoked session`)
        else t.same(res.body.data?.viewer, { userKey: p.key, mfa: { completed: b.completed } }, `${where}: ${gw.name} sees the session's user and step`)
        continue
      }
      if (action === 'page') {
        const jar = jarWith(demo, b.cookie)
        const res = await jar.fetch('/account', { headers: { accept: 'text/html' } })
        keep(b, jar)
        if (b.revoked) t.match(res.location, /^\/login/, `${where}: the demo sends a revoked session to sign in`)
        else if (b.completed) t.equal(res.status, 200, `${where}: the guard lets the verified session in`)
        else t.match(res.location, /^\/mfa/, `${where}: the guard asks for the code first`)
        continue
      }
      if (action === 'logout') {
        const csrf = await csrfFor(b)
        const res = await jarWith(demo, b.cookie).fetch('/logout', { form: { _csrf: csrf } })
        t.equal(res.location, '/login', `${where}: signed out`)
        b.revoked = true // the cookie it had is kept, as a copy someone took
        continue
      }
      if (action === 'everywhere') {
        if (!b.completed) continue // the demo offers it after the MFA step only
        const csrf = await csrfFor(b)
        const res = await jarWith(demo, b.cookie).fetch('/account/security/sign-out-everywhere', { form: { _csrf: csrf } })
        t.equal(res.status, 303, `${where}: signed out of all sessions`)
        for (const other of browsers) if (other.person === p) other.revoked = true
        continue
      }
      // A passcode: wrong, right (a step Okta has not seen used), or the last one used again.
      const procs = b.revoked || b.completed ? [gwA, gwB] : [gwA, gwB, demo]
      const proc = pick(procs)
      // Okta takes the codes of the steps before, at and after its time, each once: when both codes still unused there
      // have been used, its clock moves on a step, as time would (a code is good once: that is the replay case).
      if (action === 'right' && p.used >= nowStep() + 1) oktaAhead += STEP
      const { kind, step } = codeToSend(p, action === 'stale' ? pick(['wrong', 'right'] as const) : action, nowStep())
      const got = await send(b, proc, kind === 'wrong' ? wrongFor(p) : codeAt(p, step))
      const want = expectedOutcome(p, b, kind, step)
      t.equal(got, want, `${where} (${kind} on ${proc.name}): ${want ?? 'accepted'}`)
      if (got !== want) {
        t.comment(log.join('\n'))
        break
      }
    }
    for (const p of people) t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${p.oktaId}`)).body.status, 'ACTIVE', `seed ${seed}: Okta never locked ${p.username} out`)
  }
  for (const p of people) await adminReset(p)
  // What follows takes the code of Okta's time as unused.
  oktaAhead += STEP * Math.max(0, ...people.map((p) => p.used + 1 - nowStep()))
})

await t.test('Redis stopped: every passcode attempt is STORE_UNAVAILABLE, nothing crashes, /readyz says store; Redis back: service resumes', async (t) => {
  const { csrf, cookie } = await signIn()
  const exJar = new CookieJar(exA.url)
  const exForm = await exJar.fetch('/login')
  t.equal((await exJar.fetch('/login', { form: { username: 'ada', password: 'lovelace-1815', _csrf: csrfOf(exForm.text) } })).location, '/mfa')
  await redis.stop()

  const wrong = wrongCode()
  const outcomes = await Promise.all(Array.from({ length: 12 }, async (_, i) => await attempt(processes[i % 3]!, cookie, csrf, i === 0 ? emu.totpCode(factorId) : wrong)))
  t.same(outcomes, Array.from({ length: 12 }, () => 'STORE_UNAVAILABLE'), 'every attempt on every process, a right code included, is refused with the coded error')
  const demoPage = await jarWith(demo, cookie).fetch('/mfa', { form: { passCode: wrong, factorId, _csrf: csrf }, headers: { accept: 'text/html' } })
  t.equal(demoPage.status, 503, 'the demo answers 503, not 500')

  for (const gw of [gwA, gwB]) {
    await until(`${gw.name} /readyz to report the store`, async () => (await readyz(gw)).status === 503)
    const ready = await readyz(gw)
    t.equal(ready.status, 503)
    t.same(ready.json(), { status: 'unavailable', failed: ['store'] }, `${gw.name}: /readyz names the store (Okta is fine)`)
  }
  const express = await jarWith(exB, exJar.cookies.get('sid')!, 'sid').fetch('/api/me')
  t.equal(express.status, 503, 'the Express example answers 503 while its session store is down, not 500')
  for (const proc of [...processes, exA, exB]) {
    t.ok(proc.alive(), `${proc.name} is still running`)
    if (proc !== exA && proc !== exB) t.equal((await new CookieJar(proc.url).fetch(proc === demo ? '/login' : '/healthz')).status, 200, `${proc.name} still answers`)
  }
  // No attempt reached Okta: 4 wrong codes straight to it leave the user ACTIVE (any one more would have locked it).
  for (let i = 0; i < 4; i++) t.equal(await wrongAtOkta(), 403)
  t.equal(await oktaStatus(), 'ACTIVE', 'no attempt made during the outage reached Okta')
  await unlockAtOkta()

  await redis.start()
  for (const gw of [gwA, gwB]) await until(`${gw.name} /readyz after Redis is back`, async () => (await readyz(gw)).status === 200)
  await until('the demo after Redis is back', async () => (await jarWith(demo, cookie).fetch('/mfa', { headers: { accept: 'text/html' } })).status === 200)
  t.equal(await attempt(demo, cookie, csrf, wrongCode()), 'INVALID_PASSCODE', 'the demo counts and checks codes again')
  t.equal(await attempt(gwA, cookie, csrf, wrongCode()), 'INVALID_PASSCODE', 'gateway A too')
  t.equal(await attempt(gwB, cookie, csrf, emu.totpCode(factorId)), undefined, 'and a right code on gateway B completes the MFA step')
  t.same((await readyz(gwA)).json(), { status: 'ready' })
  // Sessions were in the Redis that stopped (no persistence): the old cookie is simply signed out now.
  await until('the Express example after Redis is back', async () => (await jarWith(exB, exJar.cookies.get('sid')!, 'sid').fetch('/api/me')).status === 401)
  for (const proc of [...processes, exA, exB]) t.ok(proc.alive(), `${proc.name} was never restarted`)
})

await t.test('SIGTERM: a gateway server closes its Redis client and exits by itself', async (t) => {
  const exited = new Promise<{ code: number | null, signal: string | null }>((resolve) => gwB.child.once('exit', (code, signal) => { resolve({ code, signal }) }))
  gwB.child.kill('SIGTERM')
  // A generous bound only to turn a hang (an open Redis connection keeps the event loop alive) into a failure.
  const hang = new Promise<'hang'>((resolve) => setTimeout(() => { resolve('hang') }, 15_000).unref())
  const result = await Promise.race([exited, hang])
  t.same(result, { code: 0, signal: null }, 'it exits with status 0, not killed')
  t.ok(gwA.alive(), 'the other instance keeps running')
})

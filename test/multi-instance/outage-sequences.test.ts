// passport-okta-mfa on every stack, two instances of each over one redis-server and one Okta reached through a proxy
// that can drop it: Redis stopped (not frozen) and started again, Okta unreachable. While Redis is down every code,
// guarded page and sign-out is the coded 503 STORE_UNAVAILABLE (never a 500, never let through, nothing counted);
// once it is back, service resumes where it was: the counter, the revocations and the verified sessions.
import t from 'tap'
import { AttemptLimiter, createRedisStores } from '@okta-mfa/core'
import { withEmulator } from '../helpers/emulator.js'
import { faultProxy, type CookieJar, type Fault } from '../helpers/http.js'
import { untilStoresAnswer, withRedis } from '../helpers/redis.js'
import { totp } from '../helpers/totp.js'
import { FACTORS, STACKS, USERS, seedUsers, wrongCode, type Stack } from '../helpers/strategy-stacks.js'

const redis = await withRedis(t)
const stores = createRedisStores(redis.url)
t.teardown(() => stores.close())
// The emulator's clock is the test's: each stack's first code is the next step's, never one that a step boundary
// crossed between computing it and Okta checking it can turn stale (a stale code, then the failures that follow it,
// would lock ada out in Okta for every later stack).
const emu = await withEmulator(t, { seed: seedUsers() })
const proxy = await faultProxy(t, emu.url)
let okta: Fault
proxy.hook = () => okta
const ada = USERS[0]!

const codeOf = (res: { status: number, json: () => any }): string => {
  if (res.status === 200) return 'OK'
  try { const b = res.json(); return `${res.status} ${b.code ?? b.error ?? '?'}` } catch { return `${res.status} (not json)` }
}

for (const start of STACKS) {
  await t.test(start.name, async (t) => {
    const apps: Stack[] = []
    for (let i = 0; i < 2; i++) {
      apps.push(await start(t, { strategy: { orgUrl: proxy.url, token: emu.token, allowInsecureHttp: true, store: stores.attempts }, revocations: stores.revocations }))
    }
    const [one, two] = apps as [Stack, Stack]
    const login = async (app: Stack): Promise<CookieJar> => {
      const jar = app.jar()
      const res = await jar.fetch('/login-start', { form: { username: ada.username, password: ada.password } })
      t.equal(res.status, 302)
      return jar
    }
    const a = await login(one)
    // verify with a fresh code
    emu.clock.advance(30_000)
    const r0 = await a.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, emu.clock.now()) } })
    t.equal(codeOf(r0), 'OK', 'verified')
    t.equal(codeOf(await a.fetch('/api/data')), 'OK', 'guard passes')
    const b = await login(two)
    // Okta unreachable: a code is UPSTREAM_UNAVAILABLE, coded
    okta = 'lose'
    t.equal(codeOf(await b.fetch('/api/mfa', { form: { passCode: wrongCode(totp(FACTORS.ada.secret, emu.clock.now())) } })), '503 UPSTREAM_UNAVAILABLE', 'okta lost')
    okta = 503
    t.equal(codeOf(await b.fetch('/api/mfa', { form: { passCode: wrongCode(totp(FACTORS.ada.secret, emu.clock.now())) } })), '503 UPSTREAM_UNAVAILABLE', 'okta 503')
    okta = undefined
    t.equal(codeOf(await b.fetch('/api/data')), '401 MFA_REQUIRED', 'b still not verified')
    // Redis stopped
    await redis.stop()
    for (const [name, jar] of [['verified', a], ['unverified', b]] as const) {
      t.equal(codeOf(await jar.fetch('/api/data')), '503 STORE_UNAVAILABLE', `${name}: guard while redis down`)
      t.equal(codeOf(await jar.fetch('/api/mfa', { form: { passCode: wrongCode(totp(FACTORS.ada.secret, emu.clock.now())) } })), '503 STORE_UNAVAILABLE', `${name}: code while redis down`)
    }
    const page = await a.fetch('/account', { headers: { accept: 'text/html' } })
    t.equal(codeOf(page), '503 STORE_UNAVAILABLE', 'a guarded page while down: 503, not the page, not a redirect')
    t.equal(codeOf(await b.fetch('/logout-everywhere', { method: 'POST' })), '503 STORE_UNAVAILABLE', 'logout everywhere while down')
    t.equal(codeOf(await a.fetch('/logout', { method: 'POST' })), '503 STORE_UNAVAILABLE', 'logout while down')
    const c = two.jar()
    t.equal((await c.fetch('/login-start', { form: { username: ada.username, password: ada.password } })).status, 302, 'password login while down')
    t.equal(codeOf(await c.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, emu.clock.now()) } })), '503 STORE_UNAVAILABLE', 'right code while down')
    t.equal(codeOf(await c.fetch('/api/data')), '503 STORE_UNAVAILABLE', 'c guard while down')
    await redis.start()
    await untilStoresAnswer(stores)
    t.equal(codeOf(await a.fetch('/api/data')), 'OK', 'a resumes')
    t.equal(codeOf(await b.fetch('/api/data')), '401 MFA_REQUIRED', 'b resumes unverified')
    t.equal(codeOf(await c.fetch('/api/data')), '401 MFA_REQUIRED', 'c never verified')
    // After the restart (scripts gone: NOSCRIPT), wrong codes count again, on both instances, into one lockout.
    await new AttemptLimiter({ store: stores.attempts }).succeed(ada.id)
    const wrong = (): string => wrongCode(totp(FACTORS.ada.secret, emu.clock.now()))
    const seen: string[] = []
    for (let i = 0; i < 6; i++) seen.push(codeOf(await [b, c][i % 2]!.fetch('/api/mfa', { form: { passCode: wrong() } })))
    t.same(seen.map((x) => x.split(' ')[1]), ['INVALID_PASSCODE', 'INVALID_PASSCODE', 'INVALID_PASSCODE', 'INVALID_PASSCODE', 'LOCKED_OUT', 'LOCKED_OUT'], 'one counter across instances after the restart')
    await new AttemptLimiter({ store: stores.attempts }).succeed(ada.id)
    t.equal(codeOf(await a.fetch('/logout-everywhere', { method: 'POST' })), 'OK', 'logout everywhere')
    for (const jar of [a, b, c]) t.equal(codeOf(await jar.fetch('/api/data')), '401 UNAUTHENTICATED', 'revoked everywhere')
    for (const app of apps) t.same(app.errors.map((e) => (e as { code?: string }).code).filter((c) => c !== 'STORE_UNAVAILABLE' && c !== 'UPSTREAM_UNAVAILABLE'), [], 'no other error reached the app')
    await new AttemptLimiter({ store: stores.attempts }).succeed(ada.id)
  })
}

// passport-okta-mfa on three apps at once (Express + passport, Fastify + @fastify/passport 3, and 4), all three over
// one redis-server through @okta-mfa/core's Redis stores, as instances of one app behind a load balancer share their
// attempt counters and revocations (each keeps its own sessions here, so a browser stays on the app it signed in to).
// Seeded random sequences of what people do — sign in (up to two browsers per user, on any app), wrong, right and
// replayed codes, the guarded API, logout, "sign out of all sessions", an administrator clearing a lockout, and Redis
// freezing for a moment — are checked against a model after every step: maxAttempts (4) per user across all three
// apps, the next refused before Okta hears of it (so Okta's own lockout at 5 is never reached); a right code resets the
// count and completes that session's MFA step only; a code is good once; a revoked session stays refused, and "sign
// out of all sessions" on one app signs the user out on every app; while Redis does not answer every attempt is the coded 503 STORE_UNAVAILABLE and counts nothing; one user's attempts
// never count against another's.
import t from 'tap'
import { AttemptLimiter, createRedisStores } from '@okta-mfa/core'
import { emuFetch, withEmulator, type TestClock } from '../helpers/emulator.js'
import type { CookieJar } from '../helpers/http.js'
import { untilStoresAnswer, withRedis } from '../helpers/redis.js'
import { codeToSend, expectedOutcome, seeded, wrongCodeNear } from '../helpers/sequence.js'
import { totp } from '../helpers/totp.js'
import { FACTORS, STACKS, USERS, seedUsers, type Stack, type StackUser } from '../helpers/strategy-stacks.js'

const STEP = 30_000
const redis = await withRedis(t)
const stores = createRedisStores(redis.url)
t.teardown(() => stores.close())
// Okta's clock: the real one, moved on a step when a sequence has used every code Okta takes at the moment.
let ahead = 0
const clock: TestClock = { now: () => Date.now() + ahead, advance: (ms) => { ahead += ms; return Date.now() + ahead }, set: () => Date.now() + ahead }
const emu = await withEmulator(t, { seed: seedUsers(), clock })
const apps: Stack[] = []
for (const start of STACKS) {
  apps.push(await start(t, {
    strategy: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, store: stores.attempts },
    revocations: stores.revocations,
  }))
}
const limiter = new AttemptLimiter({ store: stores.attempts }) // the README's way to clear a user's counter

interface Person { user: StackUser, oktaId: string, factorId: string, secret: string, used: number, attempts: number }
interface Browser { person: Person, app: Stack, jar: CookieJar, completed: boolean, revoked: boolean }

const [ada, bob] = USERS as [StackUser, StackUser]
const people: Person[] = [
  { user: ada, oktaId: '00uada00000000000001', factorId: FACTORS.ada.id, secret: FACTORS.ada.secret, used: -1, attempts: 0 },
  { user: bob, oktaId: '00ubob00000000000002', factorId: FACTORS.bob.id, secret: FACTORS.bob.secret, used: -1, attempts: 0 },
]
const nowStep = (): number => Math.floor(clock.now() / STEP)
const codeAt = (p: Person, step: number): string => totp(p.secret, step * STEP + STEP / 2)
const wrongFor = (p: Person): string => wrongCodeNear((step) => codeAt(p, step), nowStep())
const stackName = (app: Stack): string => `${app.kind} ${apps.indexOf(app) + 1}`

/** Clears the user's lockouts: Okta's failure count (unlock, which an ACTIVE user takes too) and our counter. */
async function adminReset (p: Person): Promise<void> {
  const res = await emuFetch(emu, 'POST', `/api/v1/users/${p.oktaId}/lifecycle/unlock`)
  if (res.status !== 200) throw new Error(`unlock answered ${res.status}`)
  await limiter.succeed(p.user.id)
  p.attempts = 0
}

async function signIn (p: Person, app: Stack): Promise<Browser> {
  const jar = app.jar()
  const res = await jar.fetch('/login-start', { form: { username: p.user.username, password: p.user.password } })
  if (res.status !== 302 || res.location !== '/mfa') throw new Error(`login of ${p.user.username} on ${stackName(app)}: ${res.status} ${res.location ?? ''}`)
  return { person: p, app, jar, completed: false, revoked: false }
}

/** A copy of the browser's cookies as they are now (what someone who took them holds). */
function copyOf (b: Browser): CookieJar {
  const copy = b.app.jar()
  for (const [k, v] of b.jar.cookies) copy.cookies.set(k, v)
  return copy
}

/** One code through the strategy: the outcome code, undefined when accepted. */
async function send (b: Browser, passCode: string): Promise<string | undefined> {
  const res = await b.jar.fetch('/api/mfa', { form: { passCode } })
  if (res.status === 200) return undefined
  const body = res.json() as { code?: string, error?: string }
  return body.code ?? body.error ?? `HTTP ${res.status}`
}

for (const p of people) {
  await adminReset(p)
  p.used = nowStep() - 1 // no code of the seeded factors was used: any step from now on is fresh
}

for (const seed of [5, 6, 7]) {
  await t.test(`seed ${seed}`, async (t) => {
    const { pick } = seeded(seed)
    const ACTIONS = ['login', 'wrong', 'wrong', 'wrong', 'wrong', 'right', 'right', 'replay', 'stale', 'guard', 'guard', 'logout', 'everywhere', 'reset', 'freeze'] as const
    const browsers: Browser[] = []
    const log: string[] = []
    for (let i = 0; i < 60; i++) {
      const live = browsers.filter((b) => !b.revoked)
      const revoked = browsers.filter((b) => b.revoked)
      let action: typeof ACTIONS[number] = live.length === 0 ? 'login' : pick(ACTIONS)
      if (action === 'stale' && revoked.length === 0) action = 'wrong'
      const where = `step ${i}: ${action}`
      if (action === 'login') {
        const p = pick(people)
        const app = pick(apps)
        if (live.filter((b) => b.person === p).length >= 2) continue
        browsers.push(await signIn(p, app))
        log.push(`${where} ${p.user.username} on ${stackName(app)}`)
        continue
      }
      if (action === 'reset') {
        const p = pick(people)
        await adminReset(p)
        log.push(`${where} ${p.user.username}`)
        continue
      }
      const b = pick(action === 'stale' ? revoked : live)
      const p = b.person
      const what = `${where} ${p.user.username} on ${stackName(b.app)} (${b.revoked ? 'revoked' : b.completed ? 'verified' : 'signed in'}, ${p.attempts} attempts)`
      log.push(what)
      // A revoked session (a copy of its cookie) asks for the guarded API or sends a code: 'stale'.
      const stale = action === 'stale' ? pick(['guard', 'wrong', 'right'] as const) : undefined
      if (action === 'guard' || stale === 'guard') {
        const res = await b.jar.fetch('/api/data')
        if (b.revoked) t.equal(res.json().code, 'UNAUTHENTICATED', `${what}: a revoked session is refused`)
        else if (b.completed) t.equal(res.status, 200, `${what}: the guard lets the verified session in`)
        else t.equal(res.json().code, 'MFA_REQUIRED', `${what}: the guard asks for the code first`)
        continue
      }
      if (action === 'logout') {
        const copy = copyOf(b)
        t.equal((await b.jar.fetch('/logout', { method: 'POST' })).status, 200, `${what}: signed out`)
        b.jar = copy // the cookie it had is kept, as a copy someone took
        b.revoked = true
        continue
      }
      if (action === 'everywhere') {
        if (!b.completed) continue // offered after the MFA step, as on the demo's account page
        t.equal((await b.jar.fetch('/logout-everywhere', { method: 'POST' })).status, 200, `${what}: signed out of all sessions`)
        for (const other of browsers) if (other.person === p) other.revoked = true
        continue
      }
      if (action === 'freeze') {
        // Redis stops answering for a moment: a code sent meanwhile is refused, coded, and counts nothing.
        redis.pause()
        let got: string | undefined
        try { got = await send(b, wrongFor(p)) } finally { redis.resume() }
        t.equal(got, 'STORE_UNAVAILABLE', `${what}: refused while Redis does not answer`)
        await untilStoresAnswer(stores)
        if (got !== 'STORE_UNAVAILABLE') { t.comment(log.join('\n')); break }
        continue
      }
      // A passcode: wrong, right (a step Okta has not seen used), or the last one used again. Okta takes the codes of
      // the steps before, at and after its time, each once: when both unused ones have been used, its clock moves on.
      if (action === 'right' && p.used >= nowStep() + 1) clock.advance(STEP)
      const { kind, step } = codeToSend(p, action === 'stale' ? (stale === 'right' ? 'right' : 'wrong') : action, nowStep())
      const got = await send(b, kind === 'wrong' ? wrongFor(p) : codeAt(p, step))
      const want = expectedOutcome(p, b, kind, step)
      t.equal(got, want, `${what} (${kind}): ${want ?? 'accepted'}`)
      if (got !== want) { t.comment(log.join('\n')); break }
    }
    for (const p of people) {
      t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${p.oktaId}`)).body.status, 'ACTIVE', `Okta never locked ${p.user.username} out`)
      await adminReset(p)
    }
    for (const app of apps) t.same(app.errors.map((e) => (e as { code?: string }).code).filter((c) => c !== 'STORE_UNAVAILABLE'), [], `${stackName(app)}: no other error reached the app`)
  })
}

// Guards passport-okta-mfa's README section "When your app renames or deletes an account", from outside: a real
// Express 5 + passport + express-session app with the strategy, the emulator as Okta, and the README's own
// `oktaUserOf`, `changeEmail` and `deleteAccount` (copied as written). A renamed user's next sign-in stays on their Okta
// user and still needs their factor's code; a deleted account's login, signed up again by someone else, starts with
// enrollment on a fresh Okta user, its attempt counter cleared, while the former owner's old cookie is signed out.
// The README's functions are checked against the ones here line for line, so the two cannot drift apart.
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import express, { type ErrorRequestHandler } from 'express'
import session from 'express-session'
import passport from 'passport'
import { Strategy as LocalStrategy } from 'passport-local'
import { createOktaClient, NotFoundError, ValidationError, type OktaUser } from '@okta-mfa/client'
import {
  AttemptLimiter, MemoryRevocationStore, OktaMfaStrategy, dropCachedFactors, requireMfa, resolveOktaUserId, revokeUserSessions, userKeyOf,
} from 'passport-okta-mfa'
import { userWithTotp, withEmulator, type TestEmulator } from '../helpers/emulator.js'
import { CookieJar, listenLoopback } from '../helpers/http.js'
import { totp } from '../helpers/totp.js'

/** An app user as the quick starts have them; `email` is the Okta login. No `id` when `keyedBy` is the username. */
interface AppUser { id?: string, username: string, password: string, email: string, data: string }

interface App { url: string, users: AppUser[], changeEmail: (user: AppUser, email: string) => Promise<void>, deleteAccount: (user: AppUser) => Promise<void> }

/** The README's app: its client, revocations, limiter and strategy, and its three functions, with a few routes. */
async function startApp (t: Test, emu: TestEmulator, users: AppUser[]): Promise<App> {
  const client = createOktaClient({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true })
  t.teardown(() => client.close())
  const revocations = new MemoryRevocationStore()
  const limiter = new AttemptLimiter()
  const auth = new passport.Passport()
  auth.use(new OktaMfaStrategy({ client, provision: true, revocations, limiter, resolveOktaUser: (user: AppUser) => ({ login: user.email }) }))

  // From the README, as written.
  async function oktaUserOf (user: AppUser): Promise<OktaUser | undefined> {
    // Found as the strategy finds it: Okta fetches no login with a `/` by login, so such a login is searched.
    const id = await resolveOktaUserId(client, (u: AppUser) => ({ login: u.email }), user, undefined).catch((err: unknown) => { if (err instanceof NotFoundError) return undefined; throw err })
    return id === undefined ? undefined : await client.getUser(id)
  }
  async function changeEmail (user: AppUser, email: string): Promise<void> {
    const okta = await oktaUserOf(user)
    if (okta !== undefined) await client.updateUser(okta.id, { profile: { login: email, email } })
    user.email = email // then save it in your database
  }
  async function deleteAccount (user: AppUser): Promise<void> {
    const okta = await oktaUserOf(user)
    if (okta !== undefined) {
      if (okta.status !== 'DEPROVISIONED') await client.deactivateUser(okta.id) // Okta deletes only a deactivated user
      await client.deleteUser(okta.id) // the user and its factors
    }
    const key = userKeyOf(user) // or your strategy's `userKey`
    await revokeUserSessions(revocations, key) // every session of the user so far is signed out
    await limiter.succeed(key) // the strategy's AttemptLimiter (`limiter` option): clears the user's counter
  }

  auth.use(new LocalStrategy((username, password, done) => { done(null, users.find((u) => u.username === username && u.password === password) ?? false) }))
  auth.serializeUser((user, done) => { done(null, userKeyOf(user)) })
  auth.deserializeUser((key, done) => { done(null, users.find((u) => userKeyOf(u) === key) ?? false) })
  const app = express()
  app.use(express.urlencoded({ extended: false }))
  app.use(session({ secret: 'account-lifecycle-test-secret-0123456789', resave: false, saveUninitialized: false }))
  app.use(auth.initialize())
  app.use(auth.session())
  app.post('/login', auth.authenticate('local', { successRedirect: '/mfa', failureRedirect: '/login', keepSessionInfo: true }))
  app.post('/mfa', (req, res, next) => {
    auth.authenticate('okta-mfa', (err: unknown, user: AppUser | false, info: unknown, status?: number) => {
      if (err !== null && err !== undefined) { next(err); return }
      if (user === false) { res.status(status ?? 401).json(info); return }
      req.logIn(user, (e) => { if (e !== null && e !== undefined) next(e); else res.json({ ok: true, info }) })
    })(req, res, next)
  })
  const guard = requireMfa({ revocations })
  app.get('/account', guard, (req, res) => { res.type('text').send(`account of ${(req.user as AppUser).email}: ${(req.user as AppUser).data}`) })
  app.post('/email', guard, (req, res, next) => {
    changeEmail(req.user as AppUser, String(req.body.email)).then(() => res.json({ ok: true }), (err: unknown) => {
      if (err instanceof ValidationError) res.status(409).json({ code: 'EMAIL_TAKEN' })
      else next(err)
    })
  })
  // What an enrollment page of the app's own does after activating a factor with the client (the gateway does it itself).
  app.post('/factors-changed', (req, res) => { dropCachedFactors(req); res.json({ ok: true }) })
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => { res.status(500).json({ error: String((err as { code?: unknown }).code) }) }
  app.use(onError)
  const url = await listenLoopback(t, app)
  return { url, users, changeEmail, deleteAccount }
}

async function signIn (url: string, user: AppUser): Promise<CookieJar> {
  const jar = new CookieJar(url)
  const r = await jar.fetch('/login', { form: { username: user.username, password: user.password } })
  if (r.location !== '/mfa') throw new Error(`password login failed: ${r.status} ${r.location ?? ''}`)
  return jar
}

/** A code that is not the factor's now (an hour away). */
function wrongCode (secret: string, now: number): string {
  const code = totp(secret, now + 3_600_000)
  return code === totp(secret, now) ? String((Number(code) + 1) % 1_000_000).padStart(6, '0') : code
}

for (const login of ['ada@example.com', 'ada/x@example.com']) {
void t.test(`renamed with the README's changeEmail, the user signs in on the same Okta user and still needs their factor (${login})`, async (t) => {
  const emu = await withEmulator(t)
  const { userId, factorId } = await userWithTotp(emu, login)
  const secret = emu.factorSecret(factorId)
  const { url, users } = await startApp(t, emu, [{ id: '1', username: 'ada', password: 'correct horse', email: login, data: 'ada\'s' }])
  const ada = users[0]!

  const browser = await signIn(url, ada)
  t.equal((await browser.fetch('/mfa', { form: { passCode: totp(secret, emu.clock.now()) } })).status, 200, 'MFA done')
  const grace = await userWithTotp(emu, 'grace@example.com')
  const taken = await browser.fetch('/email', { form: { email: 'grace@example.com' } })
  t.same([taken.status, taken.json().code, ada.email], [409, 'EMAIL_TAKEN', login], 'a login another Okta user has: refused before the app changes anything')
  t.equal((await browser.fetch('/email', { form: { email: 'ada.lovelace@example.com' } })).status, 200, 'renamed')
  t.equal(ada.email, 'ada.lovelace@example.com')
  emu.clock.advance(30_000)

  const next = await signIn(url, ada)
  const wrong = await next.fetch('/mfa', { form: { passCode: wrongCode(secret, emu.clock.now()) } })
  t.match([wrong.status, wrong.json()], [401, { code: 'INVALID_PASSCODE' }], 'a wrong code is wrong: no ENROLLMENT_REQUIRED')
  const right = await next.fetch('/mfa', { form: { passCode: totp(secret, emu.clock.now()) } })
  t.equal(right.status, 200, 'the existing factor\'s code passes')
  t.match(right.json().info, { oktaUserId: userId, factorId }, 'on the same Okta user and factor')
  t.equal((await next.fetch('/account')).status, 200)

  const client = createOktaClient({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true })
  t.teardown(() => client.close())
  const logins: string[] = []
  for await (const u of client.listUsers()) logins.push(`${u.profile.login} ${u.id === userId ? 'ada' : u.id === grace.userId ? 'grace' : 'new'}`)
  t.same(logins.sort(), ['ada.lovelace@example.com ada', 'grace@example.com grace'], 'no new Okta user was made')
})
}

for (const login of ['ada@example.com', 'ada/x@example.com']) {
void t.test(`deleted with the README's deleteAccount, the login signed up again starts with enrollment; the old cookie is signed out (${login})`, async (t) => {
  const emu = await withEmulator(t)
  const old = await userWithTotp(emu, login)
  const oldSecret = emu.factorSecret(old.factorId)
  // Keyed by username (no `id`): the key comes back with the next person who takes the username.
  const users: AppUser[] = [{ username: 'ada', password: 'correct horse', email: login, data: 'the former owner\'s' }]
  const app = await startApp(t, emu, users)

  const formerOwner = await signIn(app.url, users[0]!)
  t.equal((await formerOwner.fetch('/mfa', { form: { passCode: totp(oldSecret, emu.clock.now()) } })).status, 200)
  t.equal((await formerOwner.fetch('/account')).text, `account of ${login}: the former owner's`)
  const guesser = await signIn(app.url, users[0]!)
  for (const left of [3, 2]) t.match((await guesser.fetch('/mfa', { form: { passCode: wrongCode(oldSecret, emu.clock.now()) } })).json(), { code: 'INVALID_PASSCODE', attemptsRemaining: left })

  await app.deleteAccount(users[0]!)
  users.length = 0 // then delete the user from your database
  await sleep(5) // the sign-up comes later than the deletion (a revocation covers sessions issued up to its millisecond)
  users.push({ username: 'ada', password: 'another password', email: login, data: 'the NEW person\'s' })

  const stale = await formerOwner.fetch('/account')
  t.equal(stale.status, 401, 'the former owner\'s cookie no longer reaches an account')
  t.notMatch(stale.text, /NEW person/)

  const newcomer = await signIn(app.url, users[0]!)
  const first = await newcomer.fetch('/mfa', { form: { passCode: totp(oldSecret, emu.clock.now() + 30_000) } })
  t.match([first.status, first.json()], [403, { code: 'ENROLLMENT_REQUIRED' }], 'a new account starts with enrollment')
  const client = createOktaClient({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true })
  t.teardown(() => client.close())
  const fresh = await client.getUser(await resolveOktaUserId(client, (l: string) => ({ login: l }), login, undefined))
  t.not(fresh.id, old.userId, 'on a fresh Okta user')
  t.same([fresh.status, await client.listFactors(fresh.id)], ['STAGED', []], 'provisioned, with no factor')
  await t.rejects(client.getUser(old.userId), { code: 'OKTA_NOT_FOUND' }, 'the former owner\'s Okta user is gone')

  // The newcomer's own authenticator (the app's enrollment page), then a wrong code: a full count of attempts.
  const factor = await client.enrollFactor(fresh.id, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  await client.activateFactor(fresh.id, factor.id, { passCode: emu.totpCode(factor.id) })
  await newcomer.fetch('/factors-changed', { method: 'POST' })
  emu.clock.advance(30_000)
  const mine = emu.factorSecret(factor.id)
  t.match((await newcomer.fetch('/mfa', { form: { passCode: wrongCode(mine, emu.clock.now()) } })).json(), { code: 'INVALID_PASSCODE', attemptsRemaining: 3 }, 'the counter was cleared')
  t.match((await newcomer.fetch('/mfa', { form: { passCode: totp(oldSecret, emu.clock.now()) } })).json(), { code: 'INVALID_PASSCODE' }, 'the former owner\'s code does not pass')
  const right = await newcomer.fetch('/mfa', { form: { passCode: totp(mine, emu.clock.now()) } })
  t.match([right.status, right.json().info], [200, { oktaUserId: fresh.id, factorId: factor.id }])
  t.equal((await newcomer.fetch('/account')).text, `account of ${login}: the NEW person's`)
})
}

void t.test('the README\'s functions are the ones tested here, line for line', async (t) => {
  const readme = readFileSync(new URL('../../packages/passport-okta-mfa/README.md', import.meta.url), 'utf8')
  const section = readme.slice(readme.indexOf('## When your app renames or deletes an account'), readme.indexOf('## Attempt limiting'))
  const here = readFileSync(new URL(import.meta.url), 'utf8')
  const fns = [...section.matchAll(/\n(async function [\s\S]*?\n\})\n/g)].map((m) => m[1]!)
  t.same(fns.map((f) => /^async function (\w+)/.exec(f)?.[1]), ['oktaUserOf', 'changeEmail', 'deleteAccount'])
  for (const line of fns.flatMap((f) => f.split('\n'))) {
    const code = line.trim()
    if (code === '' || code.startsWith('//')) continue // a commented line (remembered devices, the database) is the app's
    t.ok(here.includes(code), code)
  }
})

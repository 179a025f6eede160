// Guards the second step end to end on both stacks (Express + passport + express-session, Fastify +
// @fastify/passport + secure-session) against the emulator: login, MFA required (page redirect with
// returnTo, API 401), wrong code, right code surviving passport's login, protected page, replayed code,
// step-up after maxAgeSeconds, logout clearing MFA, and a session whose user changes losing MFA.
import t from 'tap'
import { withEmulator } from '../helpers/emulator.js'
import { totp } from '../helpers/totp.js'
import { FACTORS, STACKS, USERS, passwordLogin, seedUsers, wrongCode } from '../helpers/strategy-stacks.js'

const [ada, bob] = USERS as [typeof USERS[0], typeof USERS[1]]
const PAGE = { accept: 'text/html,application/xhtml+xml' }

for (const start of STACKS) {
  await t.test(`${start.name}: the MFA flow`, async (t) => {
    const emu = await withEmulator(t, { seed: seedUsers() })
    const stack = await start(t, {
      strategy: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now },
      guard: { redirectTo: '/mfa', maxAgeSeconds: 300, clock: emu.clock.now },
    })
    const code = (at = emu.clock.now()): string => totp(FACTORS.ada.secret, at)

    await t.test('without a login the guard answers 401 UNAUTHENTICATED', async (t) => {
      const jar = stack.jar()
      const api = await jar.fetch('/api/data')
      t.equal(api.status, 401)
      t.equal(api.json().code, 'UNAUTHENTICATED')
      const mfa = await jar.fetch('/api/mfa', { form: { passCode: code() } })
      t.equal(mfa.status, 401, 'the strategy fails 401 without a primary login')
      t.equal(mfa.json().code, 'UNAUTHENTICATED')
    })

    const jar = stack.jar()
    await t.test('after the password login, MFA is required: pages redirect, APIs get 401', async (t) => {
      await passwordLogin(jar, ada)
      const page = await jar.fetch('/account?tab=2', { headers: PAGE })
      t.equal(page.status, 302)
      t.equal(page.location, '/mfa')
      const api = await jar.fetch('/api/data')
      t.equal(api.status, 401)
      t.same(api.json(), { code: 'MFA_REQUIRED', message: api.json().message, stepUp: false })
    })

    await t.test('a wrong code is refused with INVALID_PASSCODE and the page shows why', async (t) => {
      const res = await jar.fetch('/mfa', { form: { passCode: wrongCode(code()) } })
      t.equal(res.status, 302)
      t.equal(res.location, '/mfa')
      const page = await jar.fetch('/mfa')
      t.match(page.text, /didn&#39;t match|didn't match/)
      t.equal((await jar.fetch('/api/data')).status, 401, 'still no MFA')
    })

    await t.test('the right code completes MFA, survives the login and returns to the remembered page', async (t) => {
      const res = await jar.fetch('/mfa', { form: { passCode: code() } })
      t.equal(res.status, 302)
      t.equal(res.location, '/account?tab=2', 'returnTo carried across the session regeneration')
      const page = await jar.fetch('/account?tab=2', { headers: PAGE })
      t.equal(page.status, 200)
      t.equal(page.text, 'account of ada')
      const api = await jar.fetch('/api/data')
      t.equal(api.status, 200)
      t.match(api.json(), { user: 'ada', mfa: { userKey: 'u1', factorId: FACTORS.ada.id, method: 'form', completedAt: emu.clock.now() } })
    })

    await t.test('the same code again is refused as replayed', async (t) => {
      const other = stack.jar()
      await passwordLogin(other, ada)
      const res = await other.fetch('/api/mfa', { form: { passCode: code() } })
      t.equal(res.status, 401)
      t.equal(res.json().code, 'PASSCODE_REPLAYED')
      t.equal((await other.fetch('/api/data')).status, 401)
    })

    await t.test('after maxAgeSeconds the guard asks again (step-up)', async (t) => {
      emu.clock.advance(299_000)
      t.equal((await jar.fetch('/api/data')).status, 200, 'still fresh just before the limit')
      emu.clock.advance(1_000)
      const api = await jar.fetch('/api/data')
      t.equal(api.status, 401)
      t.match(api.json(), { code: 'MFA_REQUIRED', stepUp: true })
      const page = await jar.fetch('/account', { headers: PAGE })
      t.equal(page.location, '/mfa')
      const again = await jar.fetch('/api/mfa', { form: { passCode: code() } })
      t.equal(again.status, 200)
      t.equal(again.json().mfa.completedAt, emu.clock.now())
      t.equal((await jar.fetch('/api/data')).status, 200)
    })

    await t.test('logout clears the MFA state', async (t) => {
      t.equal((await jar.fetch('/logout', { method: 'POST' })).status, 200)
      t.equal((await jar.fetch('/api/data')).json().code, 'UNAUTHENTICATED')
      emu.clock.advance(30_000)
      await passwordLogin(jar, ada)
      t.equal((await jar.fetch('/api/data')).json().code, 'MFA_REQUIRED', 'a new login starts without MFA')
    })

    await t.test('a session whose user changes loses the MFA state', async (t) => {
      const shared = stack.jar()
      await passwordLogin(shared, ada)
      emu.clock.advance(30_000)
      t.equal((await shared.fetch('/api/mfa', { form: { passCode: code() } })).status, 200)
      t.equal((await shared.fetch('/api/data')).status, 200)
      // keepSessionInfo keeps every session field, the MFA state of ada included: it must not count for bob.
      const login = await shared.fetch('/login-keep', { form: { username: bob.username, password: bob.password } })
      t.equal(login.status, 302)
      const api = await shared.fetch('/api/data')
      t.equal(api.status, 401)
      t.equal(api.json().code, 'MFA_REQUIRED')
      const own = await shared.fetch('/api/mfa', { form: { passCode: totp(FACTORS.bob.secret, emu.clock.now()) } })
      t.equal(own.status, 200)
      t.equal(own.json().mfa.userKey, 'u2')
    })

    t.same(stack.errors, [], 'nothing reached the error handler')
  })
}

// Audit 12 (admin, finding 2): an administrator renames a person's Okta login between two sign-ins. The demo's pages,
// its no-JavaScript forms, the strategy behind POST /mfa and the gateway's GraphQL must act on ONE Okta user per
// session (the one bound in the session cookie), on any instance and after a restart: the person reaches enrollment
// for the Okta user made for their login, enrolls, verifies, and nothing loops between /mfa and /mfa/enroll.
// Real processes' parts: one emulator (its own server, as an Okta org), two demo instances (buildApp with that org
// and one SESSION_KEY), and a restart of one of them.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { buildApp, demoSeed, DEMO_USERS } from '../../examples/fastify-app/dist/index.js'
import { csrfOf, passwordLogin } from '../helpers/e2e-app.js'
import { emuFetch, testClock, withEmulator } from '../helpers/emulator.js'
import { CookieJar } from '../helpers/http.js'
import { totp } from '../helpers/totp.js'

const HTML = { accept: 'text/html' }
const LOGIN = 'bob@example.com'
const OLD_LOGIN = 'bob.old@example.com'
const clock = testClock()
const seeded = demoSeed(DEMO_USERS)
const emu = await withEmulator(t, { seed: seeded.seed, clock })
const sessionKey = randomBytes(32)

interface Demo { url: string, close: () => Promise<void>, jar: (browser?: CookieJar) => CookieJar }

/** One demo instance on the shared emulator (as an Okta org) and session key; `jar(browser)` is that browser (its cookies) on this instance. */
async function startDemo (rememberDeviceDays = 0): Promise<Demo> {
  const { app } = await buildApp({ sessionKey, clock: clock.now, orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, rememberDeviceDays })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as import('node:net').AddressInfo).port}`
  let closed = false
  const close = async (): Promise<void> => { if (!closed) { closed = true; await app.close() } }
  t.teardown(close)
  return {
    url,
    close,
    // The same browser (one cookie store) talking to this instance.
    jar: (browser) => browser === undefined ? new CookieJar(url) : Object.defineProperty(new CookieJar(url), 'cookies', { value: browser.cookies }),
  }
}

/** The next TOTP step's code (a code is accepted once: each use moves the clock on a step). */
function nextCode (secret: string): string {
  clock.advance(30_000)
  return totp(secret, clock.now())
}

/** Posts the code form of /mfa as the page shows it (its factor, CSRF token and one-time form id). */
async function postCode (jar: CookieJar, passCode: string): Promise<Awaited<ReturnType<CookieJar['fetch']>>> {
  const page = await jar.fetch('/mfa', { headers: HTML })
  const factorId = /name="factorId" value="([^"]+)"/.exec(page.text)?.[1]
  const formId = /name="formId" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
  return await jar.fetch('/mfa', { form: { passCode, _csrf: csrfOf(page.text), formId, ...(factorId === undefined ? {} : { factorId }) }, headers: HTML })
}

/** GraphQL `viewer` and `factors` of a session. */
async function viewerAndFactors (jar: CookieJar): Promise<{ login: string, completed: boolean, factors: string[] }> {
  const res = await jar.fetch('/graphql', { json: { query: '{ viewer { login mfa { completed } } factors { id status } }' } })
  const body = res.json() as { data?: { viewer: { login: string, mfa: { completed: boolean } }, factors: Array<{ id: string, status: string }> }, errors?: unknown }
  if (body.data === undefined) throw new Error(`GraphQL answered ${res.status} ${JSON.stringify(body.errors)}`)
  return { login: body.data.viewer.login, completed: body.data.viewer.mfa.completed, factors: body.data.factors.map((f) => `${f.id}:${f.status}`) }
}

/** The Okta users whose login starts with "bob", as `login STATUS`. */
async function bobs (): Promise<string[]> {
  const users = (await emuFetch(emu, 'GET', '/api/v1/users?limit=200')).body as Array<{ status: string, profile: { login: string } }>
  return users.filter((u) => u.profile.login.startsWith('bob')).map((u) => `${u.profile.login} ${u.status}`).sort()
}

const [a, b] = [await startDemo(), await startDemo()]
const secret = seeded.info.totpUser.sharedSecret

await t.test('a remembered browser whose Okta login is renamed mid-session: its pages keep to the session\'s Okta user; the next sign-in enrolls', async (t) => {
  const c = await startDemo(30)
  const jar = c.jar()
  t.equal((await passwordLogin(jar, 'bob')).location, '/mfa')
  const page = await jar.fetch('/mfa', { headers: HTML })
  const factorId = /name="factorId" value="([^"]+)"/.exec(page.text)?.[1]
  const formId = /name="formId" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
  const verified = await jar.fetch('/mfa', { form: { passCode: nextCode(secret), _csrf: csrfOf(page.text), formId, rememberDevice: '1', ...(factorId === undefined ? {} : { factorId }) }, headers: HTML })
  t.equal(verified.location, '/account')
  t.ok(jar.cookies.has('okta_mfa_device'), 'this browser is remembered')
  const old = (await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent(LOGIN)}`)).body as { id: string }
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${old.id}`, { profile: { login: OLD_LOGIN } })).status, 200, 'an administrator renames his Okta login')
  const security = await jar.fetch('/account/security', { headers: HTML })
  t.equal(security.status, 200)
  t.match(security.text, 'data-testid="this-device-remembered"', 'the Security page judges this browser against the session\'s Okta user')
  t.same(await bobs(), [`${OLD_LOGIN} ACTIVE`], 'and makes no Okta user for the new login mid-session')
  t.equal((await viewerAndFactors(jar)).completed, true)
  t.same(await bobs(), [`${OLD_LOGIN} ACTIVE`], 'nor does GraphQL')
  await jar.fetch('/logout', { form: { _csrf: csrfOf(security.text) }, headers: HTML })
  t.equal((await passwordLogin(jar, 'bob')).location, '/mfa/enroll', 'the next sign-in: the Okta user of his login has no factor, so no device stands in')
  // Put the org back as the next test expects it: the login's new user gone, the renamed one named again.
  const made = (await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent(LOGIN)}`)).body as { id: string }
  t.not(made.id, old.id)
  await emuFetch(emu, 'POST', `/api/v1/users/${made.id}/lifecycle/deactivate`)
  t.equal((await emuFetch(emu, 'DELETE', `/api/v1/users/${made.id}`)).status, 204)
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${old.id}`, { profile: { login: LOGIN } })).status, 200)
  await c.close()
})

await t.test('an Okta login renamed by an administrator: enrollment for the new Okta user, then a code, on every instance and after a restart', async (t) => {
  const first = a.jar()
  t.equal((await passwordLogin(first, 'bob')).location, '/mfa')
  t.equal((await postCode(first, nextCode(secret))).location, '/account', 'bob signs in with his code once')
  const old = (await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent(LOGIN)}`)).body as { id: string }
  const renamed = await emuFetch(emu, 'POST', `/api/v1/users/${old.id}`, { profile: { login: OLD_LOGIN } })
  t.equal(renamed.status, 200, 'an administrator renames his Okta login')
  t.equal((await first.fetch('/logout', { headers: HTML })).location, '/login')

  // A new session on A (the instance that served him before).
  const jar = a.jar()
  t.equal((await passwordLogin(jar, 'bob')).location, '/mfa/enroll', 'sign-in goes to enrollment: the Okta user of his login has no factor')
  const onB = b.jar(jar)
  const oldCode = await postCode(onB, nextCode(secret))
  t.equal(oldCode.status, 303, 'the code of the renamed user\'s factor, on B: not 401 FACTOR_NOT_FOUND')
  t.equal(oldCode.location, '/mfa/enroll', 'the form path sends him to enrollment too')
  t.equal(oldCode.headers['x-error-code'], 'ENROLLMENT_REQUIRED')
  for (const [name, on] of [['A', jar], ['B', onB]] as const) {
    t.same(await viewerAndFactors(on), { login: LOGIN, completed: false, factors: [] }, `GraphQL on ${name}: the new Okta user, no factor`)
    const setup = await on.fetch('/mfa/enroll', { headers: HTML })
    t.equal(setup.status, 200, `${name}: the setup page, not a step-up back to /mfa`)
    t.match(setup.text, 'Set up two-step sign-in')
  }

  // He enrolls without JavaScript, the start on A and the activation on B.
  const csrf = csrfOf((await jar.fetch('/mfa/enroll', { headers: HTML })).text)
  t.equal((await jar.fetch('/mfa/enroll/start', { form: { _csrf: csrf }, headers: HTML })).location, '/mfa/enroll?method=totp')
  const page = (await onB.fetch('/mfa/enroll?method=totp', { headers: HTML })).text
  const key = /data-testid="manual-key"[^>]*>([A-Z2-7 ]+)</.exec(page)![1]!.replace(/ /g, '')
  const factorId = /name="factorId" value="([^"]+)"/.exec(page)![1]!
  const activated = await onB.fetch('/mfa/enroll/activate', { form: { _csrf: csrf, factorId, passCode: nextCode(key) }, headers: HTML })
  t.equal(activated.location, '/mfa/done', 'the first code activates it and is his MFA step')
  const fresh = (await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent(LOGIN)}`)).body as { id: string }
  t.not(fresh.id, old.id, 'on the Okta user made for his login')
  t.same(((await emuFetch(emu, 'GET', `/api/v1/users/${fresh.id}/factors`)).body as Array<{ id: string, status: string }>).map((f) => `${f.id}:${f.status}`), [`${factorId}:ACTIVE`])
  t.same(await viewerAndFactors(onB), { login: LOGIN, completed: true, factors: [`${factorId}:ACTIVE`] }, 'GraphQL agrees')

  // A restarted: the session (its Okta user in the cookie) carries on, and a new sign-in verifies with the new factor.
  await a.close()
  const a2 = await startDemo()
  const again = a2.jar(onB)
  t.equal((await again.fetch('/account', { headers: HTML })).status, 200, 'after a restart: still signed in')
  t.same(await viewerAndFactors(again), { login: LOGIN, completed: true, factors: [`${factorId}:ACTIVE`] })
  for (const [name, demo] of [['A restarted', a2], ['B', b]] as const) {
    const next = demo.jar()
    t.equal((await passwordLogin(next, 'bob')).location, '/mfa', `${name}: a new sign-in asks for the code`)
    const mfaPage = await next.fetch('/mfa', { headers: HTML })
    t.match(mfaPage.text, `name="factorId" value="${factorId}"`, `${name}: the page offers the new factor`)
    t.equal((await postCode(next, nextCode(key))).location, '/account', `${name}: its code signs him in`)
    t.same(await viewerAndFactors(next), { login: LOGIN, completed: true, factors: [`${factorId}:ACTIVE`] }, `${name}: GraphQL agrees`)
  }
  t.same(await bobs(), [`${OLD_LOGIN} ACTIVE`, `${LOGIN} STAGED`].sort(), 'one Okta user made for his login (without credentials), no more')

  // The bound Okta user deleted while signed in: the page looks his login up again, binds the new user, GraphQL agrees.
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${fresh.id}/lifecycle/deactivate`)).status, 200)
  t.equal((await emuFetch(emu, 'DELETE', `/api/v1/users/${fresh.id}`)).status, 204)
  const security = await again.fetch('/account/security', { headers: HTML })
  t.equal(security.status, 200, 'the security page after the deletion')
  const remade = (await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent(LOGIN)}`)).body as { id: string }
  t.not(remade.id, fresh.id, 'made again for his login')
  t.same(await viewerAndFactors(b.jar(again)), { login: LOGIN, completed: true, factors: [] }, 'GraphQL on B: the same (new) Okta user')
})

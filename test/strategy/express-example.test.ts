// Guards examples/express-app: its buildApp walks login -> mfa -> account against the emulator
// (with wrong password, wrong code, step-up and logout), and `node examples/express-app/dist/main.js`
// starts with its own emulator and lets the printed demo user sign in with the printed code.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, createServer, type AddressInfo, type Server } from 'node:net'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import session from 'express-session'
import { buildApp } from '../../examples/express-app/dist/app.js'
import { MemoryRevocationStore, revokeUserSessions, userKeyOf } from 'passport-okta-mfa'
import { emuFetch, withEmulator } from '../helpers/emulator.js'
import { CookieJar, faultProxy, listenLoopback, type Fault } from '../helpers/http.js'
import { freePort, startProcess } from '../helpers/processes.js'
import { withRedis } from '../helpers/redis.js'
import { totp } from '../helpers/totp.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const FACTOR_ID = 'ostexample0000000001'
const PAGE = { accept: 'text/html' }

/** The CSRF token of a page's first form. */
function tokenOf (html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html)
  if (match === null) throw new Error('no CSRF field on this page')
  return match[1]!
}

/** Posts a form with the token of the page at `from` (GET first, as a browser would). */
async function post (jar: CookieJar, path: string, form: Record<string, string>, from = path): Promise<Awaited<ReturnType<CookieJar['fetch']>>> {
  const page = await jar.fetch(from, { headers: PAGE })
  return await jar.fetch(path, { form: { ...form, _csrf: tokenOf(page.text) } })
}

await t.test('buildApp: login, MFA, account, step-up and logout', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'grace@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const { app, close } = buildApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace <Hopper>' }],
    sessionSecret: 'x'.repeat(32),
    mfaMaxAgeSeconds: 600,
    clock: emu.clock.now,
  })
  const jar = new CookieJar(await listenLoopback(t, app, close))
  const code = (): string => totp(SECRET, emu.clock.now())

  const anonymous = await jar.fetch('/account', { headers: PAGE })
  t.equal(anonymous.location, '/login', 'not signed in: to the login page')
  t.match((await jar.fetch('/login')).text, /<form method="post" action="\/login">/)

  const wrong = await post(jar, '/login', { username: 'grace', password: 'nope' })
  t.equal(wrong.location, '/login')
  const again = (await jar.fetch('/login')).text
  t.match(again, /Wrong username or password/)
  t.match(again, /name="username"[^>]* value="grace">/, 'the username typed, shown again (README)')
  t.match(again, /name="password"[^>]* aria-invalid="true" aria-describedby="error" autofocus>/, 'the password field in error, focused')
  t.notMatch((await jar.fetch('/login')).text, /value="grace"/, 'shown once: a later visit starts empty')

  const login = await post(jar, '/login', { username: 'grace', password: 'cobol-1959' })
  t.equal(login.location, '/mfa')
  t.equal((await jar.fetch('/account', { headers: PAGE })).location, '/mfa', 'MFA pending')
  t.equal((await jar.fetch('/login', { headers: PAGE })).location, '/mfa', 'signed in, MFA pending: /login leads to the code form')
  const mfaPage = await jar.fetch('/mfa')
  t.match(mfaPage.text, /Signed in as Grace &#60;Hopper&#62;/, 'escaped')
  // The browser's own check lets through what the server accepts: a code typed in groups, as apps show it.
  const pattern = new RegExp(`^(?:${/name="passCode"[^>]*pattern="([^"]+)"/.exec(mfaPage.text)?.[1] ?? ''})$`, 'v')
  t.same(['123456', '12 34 56', '123 456', '12345', 'abcdef'].map((c) => pattern.test(c)), [true, true, true, false, false], 'the field pattern takes spaced codes')

  t.match(mfaPage.text, /name="passCode"[^>]* title="The 6 digits from your authenticator app"[^>]* autofocus>/, 'the pattern says what it wants; the field is focused')
  const bad = await post(jar, '/mfa', { passCode: '000000' === code() ? '111111' : '000000' })
  t.equal(bad.location, '/mfa')
  const retry = (await jar.fetch('/mfa')).text
  t.match(retry, /<p class="error" role="alert" id="error">That code didn&#39;t match/)
  t.match(retry, /name="passCode"[^>]* aria-invalid="true" aria-describedby="error" autofocus>/, 'the field is tied to the error and focused')

  const good = await post(jar, '/mfa', { passCode: code() })
  t.equal(good.location, '/account')
  const account = await jar.fetch('/account', { headers: PAGE })
  t.equal(account.status, 200)
  t.equal((await jar.fetch('/login', { headers: PAGE })).location, '/account', 'MFA done: /login leads to the account')
  t.match(account.text, new RegExp(`verified with factor <code>${FACTOR_ID}</code>`))
  t.equal(account.headers['cache-control'], 'no-store', 'a signed-in page is not kept: Back after sign-out asks the server')
  t.equal(account.headers['x-frame-options'], 'DENY')
  t.match(account.text, /<link rel="icon" href="data:,">/, 'the account page names the empty icon too')
  t.match((await jar.fetch('/api/me')).json(), { id: 'g1', mfa: { factorId: FACTOR_ID, method: 'form' } })

  emu.clock.advance(601_000)
  t.equal((await jar.fetch('/account', { headers: PAGE })).location, '/mfa', 'step-up after mfaMaxAgeSeconds')
  t.equal((await post(jar, '/mfa', { passCode: code() })).location, '/account')
  t.equal((await jar.fetch('/account', { headers: PAGE })).status, 200)

  t.equal((await jar.fetch('/logout', { method: 'POST' })).status, 403, 'sign-out needs the token')
  t.equal((await post(jar, '/logout', {}, '/account')).location, '/login')
  t.equal((await jar.fetch('/api/me')).json().code, 'UNAUTHENTICATED')
  // A path the app does not serve: its own coded page, and JSON under /api/.
  for (const path of ['/nope', '/logout']) {
    const missing = await jar.fetch(path, { headers: PAGE })
    t.same([missing.status, missing.headers['x-error-code']], [404, 'NOT_FOUND'], path)
    t.match(missing.text, /<title>Page not found<\/title>[\s\S]*<h1>Page not found<\/h1>[\s\S]*<a href="\/">Go to the start<\/a>/)
  }
  // Every page names an empty icon, so a browser never asks for /favicon.ico (a logged 404 NOT_FOUND on each page).
  for (const path of ['/login', '/nope']) t.match((await jar.fetch(path, { headers: PAGE })).text, /<head>[\s\S]*<link rel="icon" href="data:,">[\s\S]*<\/head>/, `${path}: no favicon request`)
  const options = await jar.fetch('/login', { method: 'OPTIONS' })
  t.same([options.status, options.headers['allow']], [200, 'GET, HEAD, POST'], "OPTIONS of a path it serves: Express's own answer")
  t.equal((await jar.fetch('/nope', { method: 'OPTIONS' })).status, 404)
  const api = await jar.fetch('/api/nope')
  t.same([api.status, api.headers['x-error-code'], api.json()], [404, 'NOT_FOUND', { code: 'NOT_FOUND', message: 'There is nothing here.' }])
})

await t.test('buildApp: a user with two authenticator apps chooses the one that shows the code; one app, no choice', async (t) => {
  const OKTA_SECRET = 'MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U'
  const emu = await withEmulator(t, {
    seed: [
      { login: 'grace@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', provider: 'GOOGLE', sharedSecret: SECRET }, { id: 'ostokta00000000000001', factorType: 'token:software:totp', provider: 'OKTA', sharedSecret: OKTA_SECRET }] },
      { login: 'ada@example.com', factors: [{ id: 'ostada00000000000001', factorType: 'token:software:totp', sharedSecret: SECRET }] },
    ],
  })
  const { app, close } = buildApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace' }, { id: 'a1', username: 'ada', password: 'engine-1843', email: 'ada@example.com', displayName: 'Ada' }],
    sessionSecret: 'x'.repeat(32),
    clock: emu.clock.now,
  })
  const url = await listenLoopback(t, app, close)
  const grace = new CookieJar(url)
  t.equal((await post(grace, '/login', { username: 'grace', password: 'cobol-1959' })).location, '/mfa')
  const page = (await grace.fetch('/mfa')).text
  t.match(page, /<fieldset><legend>Which app shows the code\?<\/legend>/, 'the page asks which app')
  t.match(page, new RegExp(`<input type="radio" name="factorId" value="${FACTOR_ID}" required> Google Authenticator`))
  t.match(page, /<input type="radio" name="factorId" value="ostokta00000000000001" required> Okta Verify/)
  // Without the choice (a client that skips it): refused, saying why, no attempt used; with it, the code passes.
  t.equal((await post(grace, '/mfa', { passCode: totp(OKTA_SECRET, emu.clock.now()) })).location, '/mfa')
  t.match((await grace.fetch('/mfa')).text, /You have more than one authenticator app: choose the one this code is from\./)
  // A wrong code with an app chosen and the box ticked: the page shows both as they were.
  t.equal((await post(grace, '/mfa', { passCode: '000000', factorId: 'ostokta00000000000001', rememberDevice: 'on' })).location, '/mfa')
  const refused = (await grace.fetch('/mfa')).text
  t.match(refused, /value="ostokta00000000000001" required checked> Okta Verify/, 'the app chosen stays chosen')
  t.match(refused, new RegExp(`value="${FACTOR_ID}" required> Google Authenticator`))
  t.match(refused, /name="rememberDevice" value="on" checked>/, '"Remember this device" stays ticked')
  t.notMatch((await grace.fetch('/mfa')).text, / checked>/, 'shown once')
  emu.clock.advance(30_000)
  t.equal((await post(grace, '/mfa', { passCode: totp(OKTA_SECRET, emu.clock.now()), factorId: 'ostokta00000000000001' })).location, '/account', "Okta Verify's code, named")
  t.match((await grace.fetch('/api/me')).json(), { mfa: { factorId: 'ostokta00000000000001' } })
  const ada = new CookieJar(url)
  t.equal((await post(ada, '/login', { username: 'ada', password: 'engine-1843' })).location, '/mfa')
  t.notMatch((await ada.fetch('/mfa')).text, /name="factorId"/, 'one app: nothing to choose')
})

await t.test('buildApp: a session revoked with its record kept (sign out of all sessions) is signed out before an unguarded page saves it', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'grace@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const revocations = new MemoryRevocationStore({ clock: emu.clock.now }) // its clock moves the revocation's 25 h on
  // express-session's own store, on the real clock: the record outlives the 25 h the test clock moves (as a Redis
  // record renewed by each save does).
  const grace = { id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace' }
  const { app, close } = buildApp({ okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true }, users: [grace], sessionSecret: 'r'.repeat(32), clock: emu.clock.now, revocations, sessionStore: new session.MemoryStore() })
  const jar = new CookieJar(await listenLoopback(t, app, close))
  t.equal((await post(jar, '/login', { username: 'grace', password: 'cobol-1959' })).location, '/mfa')
  t.equal((await post(jar, '/mfa', { passCode: totp(SECRET, emu.clock.now()) })).location, '/account')
  const copy = new CookieJar(jar.baseUrl)
  for (const [k, v] of jar.cookies) copy.cookies.set(k, v)
  emu.clock.advance(1000)
  await revokeUserSessions(revocations, userKeyOf(grace), { clock: emu.clock.now }) // another instance's "sign out everywhere"
  t.equal((await copy.fetch('/login', { headers: PAGE })).status, 200, 'the login page, which saves the session (its CSRF token)')
  emu.clock.advance(25 * 60 * 60_000 + 60_000) // the revocation is forgotten
  // Saved with the user, the record would be served again now: it was signed out first.
  t.equal((await copy.fetch('/account', { headers: PAGE })).location, '/login', 'the copy stays signed out')
})

await t.test('buildApp: after a sign-out the sign-in page says so, to that browser only, once', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'grace@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const revocations = new MemoryRevocationStore({ clock: emu.clock.now })
  const grace = { id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace' }
  const { app, close } = buildApp({ okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true }, users: [grace], sessionSecret: 'o'.repeat(32), clock: emu.clock.now, revocations })
  const base = await listenLoopback(t, app, close)
  const signIn = async (jar: CookieJar): Promise<void> => {
    t.equal((await post(jar, '/login', { username: 'grace', password: 'cobol-1959' })).location, '/mfa')
    emu.clock.advance(30_000)
    t.equal((await post(jar, '/mfa', { passCode: totp(SECRET, emu.clock.now()) })).location, '/account')
  }
  const NOTICE = /<p role="status">([^<]*)<\/p>/
  const noticeOf = async (jar: CookieJar): Promise<string | undefined> => NOTICE.exec((await jar.fetch('/login', { headers: PAGE })).text)?.[1]

  const jar = new CookieJar(base)
  const other = new CookieJar(base)
  await other.fetch('/login', { headers: PAGE })
  await signIn(jar)
  t.equal((await post(jar, '/logout', {}, '/account')).location, '/login')
  t.equal(await noticeOf(other), undefined, "another browser's sign-in page says nothing")
  const page = (await jar.fetch('/login', { headers: PAGE })).text
  t.match(page, '<p role="status">You signed out.</p>', 'after a logout: "You signed out."')
  t.notMatch(page, /class="error"|aria-invalid/, 'news, not an error')
  t.equal(await noticeOf(jar), undefined, 'said once')

  // "Sign out of all sessions" from elsewhere: signed out on the next request, whatever the page, and told so.
  await signIn(jar)
  emu.clock.advance(1000)
  await revokeUserSessions(revocations, userKeyOf(grace), { clock: emu.clock.now })
  t.equal((await jar.fetch('/account', { headers: PAGE })).location, '/login')
  t.equal(await noticeOf(jar), 'You were signed out. Sign in again.', 'after a revocation: "You were signed out. Sign in again."')
  t.equal(await noticeOf(jar), undefined, 'said once')
  t.equal(await noticeOf(other), undefined, 'and to nobody else')

  // Revoked on the code step: GET /mfa (and /) lead to the sign-in page, not a 500 (the user is null after the logout).
  emu.clock.advance(1000)
  t.equal((await post(jar, '/login', { username: 'grace', password: 'cobol-1959' })).location, '/mfa')
  emu.clock.advance(1000)
  await revokeUserSessions(revocations, userKeyOf(grace), { clock: emu.clock.now })
  t.equal((await jar.fetch('/mfa', { headers: PAGE })).location, '/login', 'revoked at the code step: GET /mfa leads to /login')
  t.equal((await jar.fetch('/', { headers: PAGE })).location, '/login', 'and so does /')
  t.equal(await noticeOf(jar), 'You were signed out. Sign in again.')
  emu.clock.advance(1000)

  // Sign out from a stale tab (signed out in another one): nothing to sign out, so on to the sign-in page, no CSRF page.
  await signIn(jar)
  const staleTab = tokenOf((await jar.fetch('/account', { headers: PAGE })).text)
  t.equal((await post(jar, '/logout', {}, '/account')).location, '/login')
  t.equal(await noticeOf(jar), 'You signed out.')
  const stale = await jar.fetch('/logout', { form: { _csrf: staleTab } })
  t.same([stale.status, stale.location, stale.headers['x-error-code']], [303, '/login', undefined], 'a stale tab\'s Sign out: 303 to /login')
  t.equal(await noticeOf(jar), 'You signed out.', 'saying so')
  const crossSite = await new CookieJar(base).fetch('/logout', { form: {} })
  t.same([crossSite.status, crossSite.location, crossSite.headers['set-cookie']], [303, '/login', undefined], 'a cookie-less post: 303, and no session cookie made')
  await signIn(jar)
  const noToken = await jar.fetch('/logout', { form: {} })
  t.same([noToken.status, noToken.headers['x-error-code']], [403, 'CSRF'], 'a signed-in session still needs the token to sign out')
  t.equal((await jar.fetch('/account', { headers: PAGE })).status, 200, 'and stays signed in')

  // A refused form token: signed in, the page's link leads to where the person is; signed out, no page blames the form.
  const refused = await jar.fetch('/devices/forget', { form: { _csrf: 'x'.repeat(32) } })
  t.same([refused.status, refused.headers['x-error-code']], [403, 'CSRF'])
  t.match(refused.text, '<a href="/account">Go to your account</a>', 'after MFA: back to the account, not to sign-in')
  await post(jar, '/logout', {}, '/account')
  emu.clock.advance(1000)
  t.equal((await post(jar, '/login', { username: 'grace', password: 'cobol-1959' })).location, '/mfa')
  const codeForm = tokenOf((await jar.fetch('/mfa', { headers: PAGE })).text)
  const pending = await jar.fetch('/mfa', { form: { passCode: '123456', _csrf: 'x'.repeat(32) } })
  t.same([pending.status, pending.headers['x-error-code']], [403, 'CSRF'])
  t.match(pending.text, '<a href="/mfa">Go to the code form</a>', 'before MFA: back to the code form')
  emu.clock.advance(1000)
  await revokeUserSessions(revocations, userKeyOf(grace), { clock: emu.clock.now })
  const revoked = await jar.fetch('/mfa', { form: { passCode: '123456', _csrf: codeForm } })
  t.same([revoked.status, revoked.location, revoked.headers['x-error-code']], [303, '/login', undefined], 'a code posted after a revocation: 303 to /login')
  t.equal(await noticeOf(jar), 'You were signed out. Sign in again.', 'saying so, not "This form expired"')
  emu.clock.advance(1000)
  t.equal((await post(jar, '/login', { username: 'grace', password: 'cobol-1959' })).location, '/mfa')
  const expiring = tokenOf((await jar.fetch('/mfa', { headers: PAGE })).text)
  emu.clock.advance(25 * 60 * 60_000) // past a signed-in session's day: the in-process store forgets it
  const expired = await jar.fetch('/mfa', { form: { passCode: '123456', _csrf: expiring } })
  t.same([expired.status, expired.location], [303, '/login'], 'a code posted after the session expired: 303 to /login')
  t.equal(await noticeOf(jar), 'You were signed out. Sign in again.')
  const cookieless = await new CookieJar(base).fetch('/mfa', { form: { passCode: '123456' } })
  t.same([cookieless.status, cookieless.location, cookieless.headers['set-cookie']], [303, '/login', undefined], 'a cookie-less post: no session cookie made')
})

await t.test("buildApp: Okta not answering in time is the outcome table's 504 UPSTREAM_TIMEOUT, Okta down 503 UPSTREAM_UNAVAILABLE, as the demo answers them", async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'grace@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const proxy = await faultProxy(t, emu.url)
  let fault: Fault
  proxy.hook = (req) => req.url?.endsWith('/verify') === true ? fault : undefined
  const { app, close } = buildApp({
    okta: { orgUrl: proxy.url, token: emu.token, allowInsecureHttp: true, timeoutMs: 300 },
    users: [{ id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace' }],
    sessionSecret: 'x'.repeat(32),
    clock: emu.clock.now,
  })
  const jar = new CookieJar(await listenLoopback(t, app, close))
  t.equal((await post(jar, '/login', { username: 'grace', password: 'cobol-1959' })).location, '/mfa')
  const firewall = { status: 403, page: '<html>Request blocked</html>' }
  for (const [what, f, status, code] of [['no answer', 'hang', 504, 'UPSTREAM_TIMEOUT'], ['a 503', 503, 503, 'UPSTREAM_UNAVAILABLE'], ["a firewall's 403 page", firewall, 503, 'UPSTREAM_UNAVAILABLE']] as const) {
    fault = f
    const res = await post(jar, '/mfa', { passCode: totp(SECRET, emu.clock.now()) })
    t.same([res.status, res.headers['x-error-code']], [status, code], `Okta's verify with ${what}: ${status} ${code}`)
    t.match(res.text, /Verification is unavailable right now/)
    t.equal(res.headers['retry-after'], '60', 'the minute the page says, in Retry-After')
    t.match(res.text, '<a href="/mfa">Try again</a>', 'a way back to the code page')
    t.match(res.text, /<form method="post" action="\/logout"><input type="hidden" name="_csrf" value="[^"]+"><button>Sign out<\/button><\/form>/, 'and a way out, with the form token')
  }
  // A sign-out from that page works (its token is the session's).
  const outage = await post(jar, '/mfa', { passCode: totp(SECRET, emu.clock.now()) })
  const token = /name="_csrf" value="([^"]+)"/.exec(outage.text)?.[1]
  fault = undefined
  t.equal((await jar.fetch('/logout', { form: { _csrf: token ?? '' } })).location, '/login', "the outage page's Sign out signs out")
  t.equal((await post(jar, '/login', { username: 'grace', password: 'cobol-1959' })).location, '/mfa')
  fault = undefined
  t.equal((await post(jar, '/mfa', { passCode: totp(SECRET, emu.clock.now()) })).location, '/account', 'and the code is taken once Okta answers')
})

await t.test('buildApp: a refused sign-in names its code in x-error-code and on the message, as the README says', async (t) => {
  const emu = await withEmulator(t)
  const { app, close } = buildApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace' }],
    sessionSecret: 'x'.repeat(32),
  })
  const jar = new CookieJar(await listenLoopback(t, app, close))
  const refusals: Array<[string, Record<string, string>, string]> = [
    ['CREDENTIALS_IN_URL', { username: 'grace', password: 'cobol-1959' }, '/login?username=grace'],
    ['MISSING_CREDENTIALS', { username: '', password: '' }, '/login'],
    ['USERNAME_TOO_LONG', { username: 'g'.repeat(257), password: 'x' }, '/login'],
    ['PASSWORD_TOO_LONG', { username: 'grace', password: 'x'.repeat(1025) }, '/login'],
  ]
  for (const [code, form, path] of refusals) {
    const res = await post(jar, path, form, '/login')
    t.equal(res.status, 400, code)
    t.equal(res.headers['x-error-code'], code, `${code} in the x-error-code header`)
    t.match(res.text, new RegExp(`<p class="error" role="alert" id="error" data-code="${code}">[^<]+</p>`), `${code} on the message`)
  }
  t.equal((await jar.fetch('/api/me')).status, 401, 'nobody signed in')
  // The password with NUL bytes after it (the same key to scrypt's HMAC, given as typed) is a wrong password.
  for (const password of ['cobol-1959\0', 'cobol-1959\0\0']) {
    t.equal((await post(jar, '/login', { username: 'grace', password }, '/login')).location, '/login', `${JSON.stringify(password)} is not the password: back to the sign-in page`)
  }
  t.equal((await jar.fetch('/api/me')).status, 401, 'nobody signed in')
})

await t.test('buildApp: "Remember this device" skips the code at the next sign-in, until it is forgotten', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const built = buildApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'a1', username: 'ada', password: 'engine-1843', email: 'ada@example.com', displayName: 'Ada' }],
    sessionSecret: 'y'.repeat(32),
    rememberDeviceDays: 7,
    clock: emu.clock.now,
  })
  const base = await listenLoopback(t, built.app, built.close)
  const code = (): string => totp(SECRET, emu.clock.now())
  const signIn = async (jar: CookieJar, to = '/mfa'): Promise<void> => {
    t.equal((await post(jar, '/login', { username: 'ada', password: 'engine-1843' })).location, to)
  }

  const first = new CookieJar(base)
  await signIn(first)
  t.match((await first.fetch('/mfa')).text, /name="rememberDevice"[^>]*> Remember this device for 7 days/, 'the box, with its lifetime')
  emu.clock.advance(30_000) // a fresh code for each verify (Okta refuses a code twice)
  const plain = await post(first, '/mfa', { passCode: code() })
  t.equal(plain.location, '/account')
  t.notOk(first.cookies.has('okta_mfa_device'), 'not ticked: no device cookie')
  await post(first, '/logout', {}, '/account')
  await signIn(first)
  t.equal((await first.fetch('/account', { headers: PAGE })).location, '/mfa', 'so the next sign-in asks for a code')

  emu.clock.advance(30_000)
  const rememberedAt = new Date(emu.clock.now()).toISOString()
  const ticked = await post(first, '/mfa', { passCode: code(), rememberDevice: 'on' })
  t.equal(ticked.location, '/account')
  t.match(String(ticked.headers['set-cookie']), /okta_mfa_device=[^;]+;.*Max-Age=604800.*HttpOnly/i, 'ticked: a 7-day device cookie')
  await post(first, '/logout', {}, '/account')
  await signIn(first, '/account') // a remembered browser is not sent to the code form
  const remembered = await first.fetch('/account', { headers: PAGE })
  t.equal(remembered.status, 200, 'the next sign-in on this browser skips the code')
  // getMfaState(req).method is 'remembered': the page says so, and since when, not "verified at" the device's time.
  t.match(remembered.text, `No code was asked for: this device has been remembered since ${rememberedAt} (factor <code>${FACTOR_ID}</code>).`, 'the account page says the device was remembered, and since when')
  t.notMatch(remembered.text, /You verified with factor/)
  t.match((await first.fetch('/api/me')).json(), { id: 'a1', mfa: { factorId: FACTOR_ID } })

  const elsewhere = new CookieJar(base)
  await signIn(elsewhere)
  t.equal((await elsewhere.fetch('/account', { headers: PAGE })).location, '/mfa', 'another browser still needs a code')

  // An administrator suspends the Okta user: Okta still lists the factors, but the device no longer stands in.
  const oktaId = (await emuFetch(emu, 'GET', '/api/v1/users/ada@example.com')).body.id as string
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${oktaId}/lifecycle/suspend`)).status, 200)
  await post(first, '/logout', {}, '/account')
  await signIn(first)
  t.equal((await first.fetch('/account', { headers: PAGE })).location, '/mfa', 'suspended in Okta: the remembered browser is asked for a code')
  emu.clock.advance(30_000)
  const refused = await post(first, '/mfa', { passCode: code() })
  t.equal(refused.location, '/mfa', 'and the code is refused')
  t.match((await first.fetch('/mfa', { headers: PAGE })).text, /This account is locked\. Ask an administrator to unlock it\./, 'saying who ends it, not "try again later"')
  await post(first, '/logout', {}, '/mfa')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${oktaId}/lifecycle/unsuspend`)).status, 200)
  await signIn(first, '/account')
  t.equal((await first.fetch('/account', { headers: PAGE })).status, 200, 'unsuspended: the remembered browser skips the code again')

  const forget = await post(first, '/devices/forget', {}, '/account')
  t.equal(forget.location, '/account')
  t.notOk(first.cookies.has('okta_mfa_device'), 'this browser\'s cookie is cleared')
  t.match((await first.fetch('/account', { headers: PAGE })).text, /Remembered devices forgotten/)
  const copy = ticked.headers['set-cookie']
  const stolen = new CookieJar(base)
  await signIn(stolen)
  stolen.cookies.set('okta_mfa_device', /okta_mfa_device=([^;]+)/.exec(String(copy))![1]!)
  t.equal((await stolen.fetch('/account', { headers: PAGE })).location, '/mfa', 'a copy of the forgotten cookie is refused')

  const stepUp = buildApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'a1', username: 'ada', password: 'engine-1843', email: 'ada@example.com', displayName: 'Ada' }],
    sessionSecret: 'y'.repeat(32),
    mfaMaxAgeSeconds: 600,
  })
  const stepJar = new CookieJar(await listenLoopback(t, stepUp.app, stepUp.close))
  await post(stepJar, '/login', { username: 'ada', password: 'engine-1843' })
  t.notMatch((await stepJar.fetch('/mfa')).text, /rememberDevice/, 'never offered when every step-up asks for a code')
  t.throws(() => buildApp({ okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true }, users: [], sessionSecret: 'y'.repeat(32), rememberDeviceDays: -1 }), { message: /"rememberDeviceDays"/ })
})

await t.test('main.js runs with one command and its printed demo sign-in works', async (t) => {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))

  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) }
  delete env.OKTA_ORG_URL
  const child = spawn(process.execPath, ['examples/express-app/dist/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] })
  t.teardown(() => { child.kill('SIGTERM') })
  const lines: string[] = []
  let codeLine: string | undefined
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (status) => { reject(new Error(`main.js exited with ${String(status)}`)) })
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line)
      codeLine ??= /current code: (\d{6})/.exec(line)?.[1]
      if (line.startsWith('Sign in as')) resolve()
    })
  })
  t.ok(lines.some((l) => l.includes('otpauth://totp/')), 'prints the otpauth URI')
  const password = /with password "([^"]+)"/.exec(lines.join('\n'))?.[1]
  t.ok(codeLine !== undefined && password !== undefined, 'prints a code and the demo password')

  const jar = new CookieJar(`http://127.0.0.1:${port}`)
  t.equal((await post(jar, '/login', { username: 'ada', password: password ?? '' })).location, '/mfa')
  const mfa = await post(jar, '/mfa', { passCode: codeLine ?? '' })
  t.equal(mfa.location, '/account', 'the printed code is accepted')
  t.equal((await jar.fetch('/account', { headers: PAGE })).status, 200)

  // SIGTERM with a connection open that has sent nothing: Node no longer times it out once the server closes, so the
  // process cuts it itself (10 s later) and exits, rather than living as long as the client keeps it.
  const idle = connect(port, '127.0.0.1')
  idle.on('error', () => {})
  await once(idle, 'connect')
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const hangGuard = new Promise((resolve) => { setTimeout(resolve, 40_000).unref() })
  t.ok(await Promise.race([exited.then(() => true), hangGuard.then(() => false)]), 'main.js exits after SIGTERM with an idle connection open')
  idle.destroy()
})

await t.test("the package README's Express and Fastify quick starts are complete, type-correct code", async (t) => {
  const { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const ts = (await import('typescript')).default
  const readme = readFileSync(join(ROOT, 'packages/passport-okta-mfa/README.md'), 'utf8')
  const block = (heading: string): string => {
    const after = readme.slice(readme.indexOf(heading))
    const start = after.indexOf('```ts\n') + 6
    return after.slice(start, after.indexOf('```\n', start))
  }
  const dir = mkdtempSync(join(tmpdir(), 'okta-mfa-readme-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}')
  // "When your app renames or deletes an account": its blocks, on the Express quick start's passport and AppUser.
  const lifecycle = readme.slice(readme.indexOf('## When your app renames or deletes an account'), readme.indexOf('## Attempt limiting'))
  const lifecycleBlocks = [...lifecycle.matchAll(/```ts\n([\s\S]*?)```\n/g)].map((m) => m[1]!)
  t.equal(lifecycleBlocks.length, 3, 'the rename and delete section has its three blocks')
  const files = {
    'express.ts': block('## Quick start: Express'),
    'fastify.ts': block('## Quick start: Fastify'),
    'lifecycle.ts': "import passport from 'passport'\ninterface AppUser { id: string, username: string, password: string, email: string }\n" +
      lifecycleBlocks.join('\n') + 'export { changeEmail, deleteAccount }\n',
  }
  for (const [name, code] of Object.entries(files)) {
    t.ok(code.includes('OktaMfaStrategy'), `${name} found in the README`)
    writeFileSync(join(dir, name), code)
  }
  // The gateway's and the core's option types too, filled from values that may be undefined (env, config files).
  const apps = join(dir, 'options.ts')
  writeFileSync(apps, `import Fastify from 'fastify'
import { oktaMfaGateway, type OktaMfaGatewayOptions } from '@okta-mfa/gateway'
import { AttemptLimiter, MemoryAttemptStore, MemoryRevocationStore, checkPasscode, endUserContext, type PasscodeCheckInput } from '@okta-mfa/core'
const env: Record<string, string | undefined> = process.env
const maybe = env.MAX === undefined ? undefined : Number(env.MAX)
const options: OktaMfaGatewayOptions = { orgUrl: env.OKTA_ORG_URL, token: env.OKTA_API_TOKEN, maxAttempts: maybe, issuer: env.ISSUER, revocations: new MemoryRevocationStore() }
await Fastify().register(oktaMfaGateway, options)
const limiter = new AttemptLimiter({ maxAttempts: maybe, store: new MemoryAttemptStore({ maxKeys: maybe }) })
const context = endUserContext({ ip: env.IP, headers: { 'user-agent': env.UA } })
export const input: Omit<PasscodeCheckInput, 'subject' | 'client'> = { limiter, context, passCode: env.CODE, factorId: env.FACTOR }
export { checkPasscode }
`)
  // Also with exactOptionalPropertyTypes, which today's `tsc --init` turns on (Express's `req.ip` is `string | undefined`).
  for (const exactOptionalPropertyTypes of [false, true]) {
    const program = ts.createProgram([...Object.keys(files).map((f) => join(dir, f)), apps], {
      module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
      strict: true, noEmit: true, skipLibCheck: true, types: ['node'], exactOptionalPropertyTypes,
    })
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    t.same(diagnostics, [], `no type errors (exactOptionalPropertyTypes ${String(exactOptionalPropertyTypes)}): no undefined helper, no untyped user`)
  }
})

await t.test('buildApp: a remembered browser is not asked for a code at GET /mfa nor after the password, and goes on to its deep link', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const users = [{ id: 'a1', username: 'ada', password: 'engine-1843', email: 'ada@example.com', displayName: 'Ada' }]
  const okta = { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true }
  const built = buildApp({ okta, users, sessionSecret: 'z'.repeat(32), clock: emu.clock.now })
  const base = await listenLoopback(t, built.app, built.close)
  const code = (): string => { emu.clock.advance(30_000); return totp(SECRET, emu.clock.now()) }
  const login = async (jar: CookieJar): Promise<string | undefined> => (await post(jar, '/login', { username: 'ada', password: 'engine-1843' })).location

  // A deep link survives the password step (keepSessionInfo) and the code.
  const jar = new CookieJar(base)
  t.equal((await jar.fetch('/account?tab=2', { headers: PAGE })).location, '/login', 'signed out: to the login page')
  t.equal(await login(jar), '/mfa')
  const verified = await post(jar, '/mfa', { passCode: code(), rememberDevice: 'on' })
  t.equal(verified.location, '/account?tab=2', 'after MFA: the page the user asked for')
  const device = jar.cookies.get('okta_mfa_device')
  t.ok(device !== undefined, 'this browser is remembered')

  // The same browser, signed out and in again through a deep link: no code form, straight on.
  await post(jar, '/logout', {}, '/account')
  t.equal((await jar.fetch('/account?tab=3', { headers: PAGE })).location, '/login')
  t.equal(await login(jar), '/account?tab=3', 'the post-login redirect honours the device cookie and goes on to returnTo')
  t.equal((await jar.fetch('/account?tab=3', { headers: PAGE })).status, 200)
  await post(jar, '/logout', {}, '/account')
  t.equal(await login(jar), '/account', 'without a deep link: /account')
  const again = await jar.fetch('/mfa', { headers: PAGE })
  t.equal(again.location, '/account', 'GET /mfa sends a verified session on')
  t.notMatch(again.text, /name="passCode"/)

  // GET /mfa itself honours the cookie (a session that reached /mfa before the browser held it).
  const other = new CookieJar(base)
  t.equal(await other.fetch('/account?tab=4', { headers: PAGE }).then((r) => r.location), '/login')
  t.equal(await login(other), '/mfa', 'no device cookie yet: the code form')
  other.cookies.set('okta_mfa_device', device!)
  const page = await other.fetch('/mfa', { headers: PAGE })
  t.equal(page.status, 302, 'GET /mfa does not show the code form to a remembered browser')
  t.equal(page.location, '/account?tab=4', 'it goes on to returnTo')
  t.match((await other.fetch('/api/me')).json(), { id: 'a1', mfa: { factorId: FACTOR_ID } })

  // SESSION_SECRET rotated (a new secret first, the old one kept): the device stays remembered; dropped, it does not.
  for (const [oldSessionSecrets, expected] of [[['z'.repeat(32)], '/account'], [[], '/mfa']] as const) {
    const rotated = buildApp({ okta, users, sessionSecret: 'n'.repeat(32), oldSessionSecrets, clock: emu.clock.now })
    const browser = new CookieJar(await listenLoopback(t, rotated.app, rotated.close))
    browser.cookies.set('okta_mfa_device', device!)
    t.equal(await login(browser), expected, oldSessionSecrets.length === 1 ? 'the old secret still listed: remembered' : 'the old secret gone: a code')
  }

  // Forgotten devices: the code form again.
  await post(jar, '/devices/forget', {}, '/account')
  const forgotten = new CookieJar(base)
  t.equal(await login(forgotten), '/mfa')
  forgotten.cookies.set('okta_mfa_device', device!)
  t.match((await forgotten.fetch('/mfa', { headers: PAGE })).text, /name="passCode"/, 'a forgotten device cookie is not honoured')

  // Step-up (mfaMaxAgeSeconds): a code every time, remembered browser or not.
  const stepUp = buildApp({ okta, users, sessionSecret: 'z'.repeat(32), mfaMaxAgeSeconds: 600, clock: emu.clock.now })
  const stepBase = await listenLoopback(t, stepUp.app, stepUp.close)
  const fresh = new CookieJar(base)
  t.equal(await login(fresh), '/mfa')
  t.equal((await post(fresh, '/mfa', { passCode: code(), rememberDevice: 'on' })).location, '/account')
  const stepJar = new CookieJar(stepBase)
  stepJar.cookies.set('okta_mfa_device', fresh.cookies.get('okta_mfa_device')!)
  t.equal(await login(stepJar), '/mfa', 'step-up: the password leads to the code form')
  const stepPage = await stepJar.fetch('/mfa', { headers: PAGE })
  t.equal(stepPage.status, 200)
  t.match(stepPage.text, /name="passCode"/, 'step-up: GET /mfa asks for a code')
})

interface MainRun {
  port: number
  status: Promise<number | null>
  stdout: () => string
  stderr: () => string
  /** Resolves true once the banner's last line is out, false when the process exited first (or after 20 s). */
  ready: Promise<boolean>
}

/** Runs main.js with only PATH and `env` (PORT a free port unless given), killed at teardown. */
async function runMain (t: { teardown: (fn: () => unknown) => void }, env: Record<string, string>): Promise<MainRun> {
  const port = env.PORT === undefined ? await freePort() : Number(env.PORT)
  const child = spawn(process.execPath, ['examples/express-app/dist/main.js'], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const status = new Promise<number | null>((resolve) => child.once('exit', (code) => { resolve(code) }))
  t.teardown(async () => { if (child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await status } })
  const ready = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => { resolve(false) }, 20_000)
    child.stdout.on('data', () => { if (/^(Sign in as|Listening on) /m.test(stdout)) { clearTimeout(timer); resolve(true) } })
    void status.then(() => { clearTimeout(timer); resolve(false) })
  })
  return { port, status, stdout: () => stdout, stderr: () => stderr, ready }
}

/** The exit status, or 'still running' after `ms` (then it is killed). */
async function exitWithin (run: MainRun, ms = 30_000): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'still running'>((resolve) => { timer = setTimeout(() => { resolve('still running') }, ms) })
  const result = await Promise.race([run.status, late])
  clearTimeout(timer)
  return result
}

await t.test('main.js: a busy PORT or a HOST not of this machine is one line on stderr naming PORT and HOST (a busy EMULATOR_PORT: naming it), exit 1, and no banner', async (t) => {
  const blocker: Server = createServer((socket) => { socket.end() })
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => blocker.close(resolve)))
  const port = (blocker.address() as AddressInfo).port
  // 192.0.2.1 (TEST-NET-1) is on no interface here: binding it fails at once (EADDRNOTAVAIL), nothing is sent.
  const [busy, badHost, busyEmulator] = await Promise.all([runMain(t, { PORT: String(port) }), runMain(t, { HOST: '192.0.2.1' }), runMain(t, { EMULATOR_PORT: String(port) })])
  for (const [label, run, line] of [
    ['busy PORT', busy, new RegExp(`^Port ${port} on 127\\.0\\.0\\.1 is already in use: set PORT .*HOST`)],
    ['busy EMULATOR_PORT', busyEmulator, new RegExp(`^Port ${port} on 127\\.0\\.0\\.1 \\(the Okta emulator, OKTA_ORG_URL unset\\) is already in use: set EMULATOR_PORT to a free port`)],
    ['bad HOST', badHost, /^Port \d+ on 192\.0\.2\.1 cannot be used: HOST is not an address of this machine/],
  ] as const) {
    t.equal(await exitWithin(run), 1, `${label}: exits 1 instead of running without a server`)
    const lines = run.stderr().trim().split('\n')
    t.equal(lines.length, 1, `${label}: one line, no stack`)
    t.match(lines[0], line, `${label}: names the port and the variable to change`)
    // Not the emulator's URL, the otpauth:// URI with the demo secret, nor a current code: the server never listened.
    t.equal(run.stdout(), '', `${label}: no banner at all`)
    t.notMatch(run.stdout() + run.stderr(), /lovelace-1815|otpauth:|secret=|current code|Okta emulator on/, `${label}: no password, no secret`)
  }
})

await t.test('main.js: a bad setting is one "Configuration error" line naming the variable, never its value, and exit 1', async (t) => {
  const cases: Array<{ name: string, value: string }> = [
    { name: 'SESSION_SECRET', value: 'short-but-secret-value' },
    { name: 'SESSION_SECRET', value: `${'long-enough-secret-'.repeat(2)},short-old-secret` },
    { name: 'SESSION_SECRET', value: ', ,' },
    { name: 'MFA_MAX_AGE_SECONDS', value: 'abc' },
    { name: 'MFA_MAX_AGE_SECONDS', value: '-5' },
    { name: 'REMEMBER_DEVICE_DAYS', value: 'abc' },
    { name: 'REMEMBER_DEVICE_DAYS', value: '401' },
    { name: 'PORT', value: 'abc' },
    { name: 'PORT', value: '70000' },
    { name: 'EMULATOR_PORT', value: 'xyz' },
    { name: 'TRUST_PROXY', value: 'proxy.internal' },
  ]
  const runs = await Promise.all(cases.map(async (c) => ({ c, run: await runMain(t, c.name === 'PORT' ? { PORT: c.value } : { [c.name]: c.value }) })))
  for (const { c, run } of runs) {
    const label = `${c.name}=${JSON.stringify(c.value)}`
    t.equal(await exitWithin(run), 1, `${label}: exits 1`)
    const lines = run.stderr().trim().split('\n')
    t.equal(lines.length, 1, `${label}: one line, no stack`)
    t.match(lines[0], new RegExp(`^Configuration error: ${c.name} must be `), `${label}: names the variable`)
    t.notOk((run.stdout() + run.stderr()).includes(c.value), `${label}: the value is not shown`)
    t.equal(run.stdout(), '', `${label}: nothing started`)
  }
})

await t.test('main.js: empty settings count as unset', async (t) => {
  const empty = await runMain(t, { HOST: '', SESSION_SECRET: '', MFA_MAX_AGE_SECONDS: '', REMEMBER_DEVICE_DAYS: '', DEMO_PASSWORD: '', REDIS_URL: '', EMULATOR_PORT: '' })
  t.ok(await empty.ready, 'started')
  t.equal(empty.stderr(), '', 'nothing on stderr')
  t.match(empty.stdout(), /^Express example on http:\/\/127\.0\.0\.1:/m, 'HOST="": loopback')
  t.match(empty.stdout(), /Sign in as "ada" with password "lovelace-1815"/, 'DEMO_PASSWORD="": the well-known password in local mode')
  t.match(empty.stdout(), /^Okta emulator on http:\/\/127\.0\.0\.1:\d+ \(OKTA_ORG_URL unset: an org of this process only; for several instances start one and set OKTA_ORG_URL, see the README\)$/m,
    'the banner says its emulator is its own org, not one for several instances')
  const jar = new CookieJar(`http://127.0.0.1:${empty.port}`)
  t.equal((await post(jar, '/login', { username: 'ada', password: 'lovelace-1815' })).location, '/mfa', 'and it signs in (SESSION_SECRET="": a random one)')
  t.match((await jar.fetch('/mfa', { headers: PAGE })).text, /name="rememberDevice"[^>]*> Remember this device for 30 days/, 'MFA_MAX_AGE_SECONDS="" and REMEMBER_DEVICE_DAYS="" are unset')
})

await t.test('main.js: only the built-in demo password is ever printed, and the banner says what is true', async (t) => {
  const [chosen, elsewhere, elsewhereChosen] = await Promise.all([
    runMain(t, { DEMO_PASSWORD: 'chosen-Pa55word-xyz', REMEMBER_DEVICE_DAYS: '1' }),
    runMain(t, { HOST: '127.0.0.2' }),
    runMain(t, { HOST: '127.0.0.2', DEMO_PASSWORD: 'chosen-Pa55word-xyz' }),
  ])
  for (const run of [chosen, elsewhere, elsewhereChosen]) {
    t.ok(await run.ready, 'started')
    t.equal(run.stderr(), '', 'nothing on stderr')
  }
  t.notOk(chosen.stdout().includes('chosen-Pa55word-xyz'), 'local mode: a chosen DEMO_PASSWORD is never printed')
  t.match(chosen.stdout(), /Sign in as "ada" with the password in DEMO_PASSWORD \(not printed\)/)
  const chosenJar = new CookieJar(`http://127.0.0.1:${chosen.port}`)
  t.equal((await post(chosenJar, '/login', { username: 'ada', password: 'chosen-Pa55word-xyz' })).location, '/mfa', 'and it is the password')
  t.match((await chosenJar.fetch('/mfa', { headers: PAGE })).text, /> Remember this device for 1 day<\/label>/, 'REMEMBER_DEVICE_DAYS=1: one day, in the singular')

  t.notMatch(elsewhere.stdout(), /in DEMO_PASSWORD|lovelace-1815|with password "/, 'HOST set, no DEMO_PASSWORD: no claim that the password is in DEMO_PASSWORD')
  t.match(elsewhere.stdout(), /random password that nobody knows; set DEMO_PASSWORD to choose one/, 'says what is true')
  t.notOk(elsewhereChosen.stdout().includes('chosen-Pa55word-xyz'), 'HOST set: a chosen DEMO_PASSWORD is not printed either')
  t.match(elsewhereChosen.stdout(), /with the password in DEMO_PASSWORD \(not printed\)/)
})

await t.test('README "Several instances": the emulator started once (pnpm emulator, emulator-seed.json), two main.js with one OKTA_ORG_URL, REDIS_URL and SESSION_SECRET are one app', async (t) => {
  const dir = join(ROOT, 'examples/express-app')
  const readme = readFileSync(join(dir, 'README.md'), 'utf8')
  t.match(readme, /## Several instances[\s\S]*pnpm emulator[\s\S]*OKTA_ORG_URL=http:\/\/127\.0\.0\.1:7070 OKTA_API_TOKEN=dev-token/, 'the README shows it')
  // The package's own `pnpm emulator` command, on a free port instead of 7070.
  const script = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.emulator!
  const [bin, ...args] = script.split(' ')
  t.equal(bin, 'okta-emulator')
  const emuPort = await freePort()
  const emu = spawn(process.execPath, [join(ROOT, 'packages/okta-emulator/dist/cli.js'), ...args.map((a) => a === '7070' ? String(emuPort) : a), '--quiet'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] })
  const emuExit = new Promise((resolve) => emu.once('exit', resolve))
  t.teardown(async () => { if (emu.exitCode === null && emu.signalCode === null) { emu.kill('SIGTERM'); await emuExit } })
  const orgUrl = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: emu.stdout })
    lines.on('line', (line) => { const m = /^okta-emulator listening url=(\S+)/.exec(line); if (m !== null) resolve(m[1]!) })
    void emuExit.then(() => { reject(new Error('the emulator exited')) })
  })
  const token = args[args.indexOf('--token') + 1]!
  const seed = JSON.parse(readFileSync(join(dir, 'emulator-seed.json'), 'utf8')) as Array<{ login: string, factors: Array<{ sharedSecret: string }> }>
  t.equal(seed[0]!.login, 'ada@example.com', 'the seed has the demo user')
  const secret = seed[0]!.factors[0]!.sharedSecret

  const redis = await withRedis(t)
  const env = { OKTA_ORG_URL: orgUrl, OKTA_API_TOKEN: token, REDIS_URL: redis.url, SESSION_SECRET: 'r'.repeat(40) }
  const [one, two] = await Promise.all([
    startProcess(t, 'express instance 1', 'examples/express-app/dist/main.js', env, { readyPath: '/login' }),
    // Instance 2 deployed with a rotated secret (newest first): the sessions instance 1 signed go on there.
    startProcess(t, 'express instance 2', 'examples/express-app/dist/main.js', { ...env, SESSION_SECRET: `${'n'.repeat(40)}, ${'r'.repeat(40)},` }, { readyPath: '/login' }),
  ])
  const jar = new CookieJar(one.url)
  t.equal((await post(jar, '/login', { username: 'ada', password: 'lovelace-1815' })).location, '/mfa')
  const used = totp(secret, Date.now())
  t.equal((await post(jar, '/mfa', { passCode: used })).location, '/account', 'a code from the seeded key signs in on instance 1')
  const same = new CookieJar(two.url)
  for (const [k, v] of jar.cookies) same.cookies.set(k, v)
  t.equal((await same.fetch('/account', { headers: PAGE })).status, 200, 'and the session goes on on instance 2, whose SESSION_SECRET is "<new>, <old>"')
  const other = new CookieJar(two.url)
  t.equal((await post(other, '/login', { username: 'ada', password: 'lovelace-1815' })).location, '/mfa')
  const again = await post(other, '/mfa', { passCode: used })
  t.not(again.location, '/account', 'the code used on instance 1 is refused on instance 2: one org')
})

await t.test('main.js with REDIS_URL answers its first requests, right after it says it listens: it waits for Redis first', async (t) => {
  const redis = await withRedis(t)
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const env = { OKTA_ORG_URL: emu.url, OKTA_API_TOKEN: emu.token, REDIS_URL: redis.url, SESSION_SECRET: 'w'.repeat(40) }
  const first = await runMain(t, env)
  t.ok(await first.ready, 'the first instance says it listens')
  const jar = new CookieJar(`http://127.0.0.1:${first.port}`)
  t.equal((await post(jar, '/login', { username: 'ada', password: 'lovelace-1815' })).location, '/mfa', 'its very first requests are served')
  // A second instance (a deploy, a restart): its first request, with that session, the moment it says it listens.
  for (let i = 0; i < 3; i++) {
    const next = await runMain(t, env)
    t.ok(await next.ready)
    const same = new CookieJar(`http://127.0.0.1:${next.port}`)
    for (const [k, v] of jar.cookies) same.cookies.set(k, v)
    const res = await same.fetch('/mfa', { headers: PAGE })
    t.equal(res.status, 200, `instance ${i + 2}: the session read from Redis at once (${String(res.headers['x-error-code'] ?? '')})`)
  }
})

await t.test('main.js with REDIS_URL: while Redis is down pages answer 503 before rendering (JSON for /api), no stack, and it recovers', async (t) => {
  const redis = await withRedis(t)
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const app = await startProcess(t, 'express example', 'examples/express-app/dist/main.js', {
    OKTA_ORG_URL: emu.url, OKTA_API_TOKEN: emu.token, REDIS_URL: redis.url, SESSION_SECRET: 's'.repeat(40),
  }, { readyPath: '/login' })
  const signedIn = new CookieJar(app.url)
  t.equal((await post(signedIn, '/login', { username: 'ada', password: 'lovelace-1815' })).location, '/mfa')
  const signedInToken = tokenOf((await signedIn.fetch('/mfa', { headers: PAGE })).text)

  await redis.stop()
  // A post whose address is no page: Try again leads to the page its form is on, not to a GET that does not exist.
  for (const [path, said] of [['/logout', 'Signing out is unavailable right now.'], ['/devices/forget', 'Forgetting remembered devices is unavailable right now.']] as const) {
    const failed = await signedIn.fetch(path, { form: { _csrf: signedInToken } })
    t.equal(failed.status, 503, `POST ${path}: 503`)
    t.match(failed.text, said, `POST ${path}: says what could not be done`)
    t.match(failed.text, '<a href="/account">Try again</a>', `POST ${path}: Try again is the account page`)
  }
  const fresh = new CookieJar(app.url)
  const login = await fresh.fetch('/login', { headers: PAGE })
  t.equal(login.status, 503, 'GET /login: 503, not a form for a session that cannot be kept')
  t.equal(login.headers['set-cookie'], undefined, 'no cookie for a session never saved')
  t.notMatch(login.text, /name="_csrf"/)
  // The guard's redirect to /login remembers the page in a new session: saved first, so the store's failure is a 503.
  const guarded = await fresh.fetch('/account', { headers: PAGE })
  t.equal(guarded.status, 503, 'GET /account without a cookie: 503, not a redirect with a cookie for a session never saved')
  t.equal(guarded.headers['set-cookie'], undefined, 'no cookie')
  t.equal(guarded.location, undefined, 'no Location')
  t.match(guarded.text, /Sign-in is unavailable right now/)
  const anonymousApi = await new CookieJar(app.url).fetch('/api/me')
  t.equal(anonymousApi.status, 401, 'GET /api/me without a cookie: not signed in, whatever the store (the README says so)')
  t.match(anonymousApi.json(), { code: 'UNAUTHENTICATED' })
  t.equal(anonymousApi.headers['set-cookie'], undefined)
  const mfa = await signedIn.fetch('/mfa', { headers: PAGE })
  t.equal(mfa.status, 503, 'GET /mfa with a session: 503')
  t.equal(mfa.headers['set-cookie'], undefined)
  const api = await signedIn.fetch('/api/me')
  t.equal(api.status, 503, 'GET /api/me: 503')
  t.match(String(api.headers['content-type']), /application\/json/)
  t.match(api.json(), { code: 'STORE_UNAVAILABLE', message: String })

  await redis.start()
  const deadline = Date.now() + 15_000
  let status = 0
  while ((status = (await new CookieJar(app.url).fetch('/login', { headers: PAGE })).status) !== 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.equal(status, 200, 'Redis back: pages answer again, nothing restarted')
  const after = new CookieJar(app.url)
  t.equal((await post(after, '/login', { username: 'ada', password: 'lovelace-1815' })).location, '/mfa')
  t.equal((await post(after, '/mfa', { passCode: totp(SECRET, emu.clock.now()) })).location, '/account')
  t.equal((await after.fetch('/account', { headers: PAGE })).status, 200)
  t.equal((await signedIn.fetch('/account', { headers: PAGE })).status, 302, 'the Try again of a failed sign-out leads to a page (here: the code step is still due)')

  t.ok(app.alive(), 'still running')
  const log = app.output()
  t.notMatch(log, /ERR_HTTP_HEADERS_SENT/, 'no answer after the headers')
  t.notMatch(log, /^\s+at /m, 'no stack trace in the log')
  t.match(log, /request failed: STORE_UNAVAILABLE \((not connected|timed out)\)/, 'one line per refused request, with the store\'s reason')
  t.notMatch(log, /after its response/, 'every refusal answered before anything was sent')
  t.notOk(log.includes('s'.repeat(40)), 'no secret in the log')
})

await t.test('buildApp: failed sign-ins that never read the page keep only the last few messages in the session', async (t) => {
  const emu = await withEmulator(t)
  const { default: session } = await import(createRequire(new URL('../../examples/express-app/package.json', import.meta.url)).resolve('express-session')) as { default: typeof import('express-session') }
  const sessionStore = new session.MemoryStore()
  const { app, close } = buildApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace' }],
    sessionSecret: 'm'.repeat(32),
    sessionStore,
    maxLoginAttempts: 1000,
  })
  const jar = new CookieJar(await listenLoopback(t, app, close))
  const csrf = tokenOf((await jar.fetch('/login', { headers: PAGE })).text)
  for (let i = 0; i < 12; i++) t.equal((await jar.fetch('/login', { form: { username: 'grace', password: `wrong-${i}`, _csrf: csrf } })).location, '/login')
  const stored = Object.values((sessionStore as unknown as { sessions: Record<string, string> }).sessions).map((s) => JSON.parse(s) as { messages?: string[] })
  t.equal(stored.length, 1)
  t.ok((stored[0]!.messages?.length ?? 0) <= 4, `messages kept: ${String(stored[0]!.messages?.length)}`)
  t.match((await jar.fetch('/login')).text, /Wrong username or password/, 'the page still says what happened')
})

await t.test('buildApp: the session store failing as the MFA step is saved is a 503, never a redirect to a page that asks for the code again', async (t) => {
  // Found by sequences with Redis going down mid-request: passport's login saves the new session, then the strategy
  // puts the MFA step in it; that second save ran after the 302 to /account had gone out, so a store that failed then
  // lost the step behind an answer that said it passed (and /account sent the browser back to /mfa, its code now used).
  const emu = await withEmulator(t, { seed: [{ login: 'grace@example.com', factors: [{ id: FACTOR_ID, factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const { default: session } = await import(createRequire(new URL('../../examples/express-app/package.json', import.meta.url)).resolve('express-session')) as { default: typeof import('express-session') }
  const { failClosedSessionStore } = await import('passport-okta-mfa')
  let down = false
  // The store goes down once the MFA step is in the session (as Redis dying between the two saves of the request).
  class FlakyStore extends session.MemoryStore {
    override set (sid: string, sess: import('express-session').SessionData, cb?: (err?: unknown) => void): void {
      if (down && 'oktaMfa' in sess) { cb?.(Object.assign(new Error('Connection is closed.'), { code: 'ECONNRESET' })); return }
      super.set(sid, sess, cb)
    }
  }
  const { app, close } = buildApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace' }],
    sessionSecret: 'f'.repeat(32),
    sessionStore: failClosedSessionStore(new FlakyStore()),
    clock: emu.clock.now,
  })
  const jar = new CookieJar(await listenLoopback(t, app, close))
  t.equal((await post(jar, '/login', { username: 'grace', password: 'cobol-1959' })).location, '/mfa')
  const page = await jar.fetch('/mfa', { headers: PAGE })
  down = true
  const answer = await jar.fetch('/mfa', { form: { passCode: totp(SECRET, emu.clock.now()), _csrf: tokenOf(page.text) } })
  t.equal(answer.status, 503, 'the step could not be saved: 503, not a 302 to /account')
  t.equal(answer.location, undefined)
  down = false
  // The 503 sets no cookie (nothing of a failed request is kept), and passport's login had replaced the session: this
  // browser signs in again, and its next code passes.
  t.equal((await jar.fetch('/api/me')).json().code, 'UNAUTHENTICATED', 'no session holds the step')
  t.equal((await post(jar, '/login', { username: 'grace', password: 'cobol-1959' })).location, '/mfa')
  emu.clock.advance(30_000)
  t.equal((await post(jar, '/mfa', { passCode: totp(SECRET, emu.clock.now()) })).location, '/account', 'the store back, the next code passes')
  t.equal((await jar.fetch('/api/me')).status, 200)
})

await t.test('buildApp without a session store: a flood of cookie-less GET /login stays under the cap, a session in use survives, idle ones expire', async (t) => {
  const emu = await withEmulator(t)
  const cap = 20
  const built = buildApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace' }],
    sessionSecret: 'b'.repeat(32),
    maxSessions: cap,
    clock: emu.clock.now,
  })
  const store = built.memorySessions
  if (store === undefined) throw new Error('buildApp made no in-process session store')
  t.equal(store.maxSessions, cap, 'the in-process store is the bounded one, with the cap given')
  const base = await listenLoopback(t, built.app, built.close)

  const user = new CookieJar(base)
  t.equal((await post(user, '/login', { username: 'grace', password: 'cobol-1959' })).location, '/mfa', 'signed in before the flood')
  const early = new CookieJar(base)
  const earlyToken = tokenOf((await early.fetch('/login', { headers: PAGE })).text)
  let largest = 0
  for (let i = 0; i < 3 * cap; i++) {
    const visit = await fetch(`${base}/login`, { headers: PAGE }) // no cookie: a new session each time
    t.equal(visit.status, 200)
    t.match(String(visit.headers.get('set-cookie')), /^sid=/)
    largest = Math.max(largest, store.size)
    // The signed-in user keeps using the site (GET / changes nothing in the session: express-session touches it).
    if (i % 5 === 4) t.equal((await user.fetch('/', { headers: PAGE })).location, '/account', 'still signed in')
  }
  t.equal(largest, cap, `the store filled up to the cap (${cap}) and never held more`)
  t.equal(store.size, cap)
  t.match((await user.fetch('/mfa', { headers: PAGE })).text, /name="passCode"/, 'the session in use survived the flood (least recently used goes first)')
  const evicted = await early.fetch('/login', { form: { username: 'grace', password: 'cobol-1959', _csrf: earlyToken } })
  t.equal(evicted.status, 403, 'the oldest idle session was dropped: its form token is refused')

  // Idle lifetime: 15 minutes before sign-in, a day after.
  const idle = new CookieJar(base)
  const idleToken = tokenOf((await idle.fetch('/login', { headers: PAGE })).text)
  emu.clock.advance(15 * 60_000 + 1000)
  t.equal((await idle.fetch('/login', { form: { username: 'grace', password: 'cobol-1959', _csrf: idleToken } })).status, 403, 'an anonymous session idle for 15 minutes is gone')
  t.match((await user.fetch('/mfa', { headers: PAGE })).text, /name="passCode"/, 'a signed-in one is not')
  t.equal((await fetch(`${base}/login`, { headers: PAGE })).status, 200)
  t.equal(store.size, 2, 'the expired sessions were swept: only the signed-in one and the newest visit are held')
  emu.clock.advance(86_400_000 + 1000)
  t.equal((await user.fetch('/mfa', { headers: PAGE })).location, '/login', 'a signed-in session idle for a day is gone')

  t.throws(() => buildApp({ okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true }, users: [], sessionSecret: 'b'.repeat(32), maxSessions: 0 }), new TypeError('"maxSessions" option must be a whole number above 0'))
})

// Guards item 4 of issue 9: every redirect after sign-in stays on this origin and no control character reaches a
// header. One shared check (passport-okta-mfa's isSafeReturnTo / safeReturnTo) is used by the guards, the demo and the
// Express example; here it is tried with every spelling of "another host" we know, then through real servers.
import express from 'express'
import session from 'express-session'
import t from 'tap'
import { MAX_RETURN_TO_LENGTH, isSafeReturnTo, requireMfa, safeReturnTo } from 'passport-okta-mfa'
import { buildApp as buildExpressApp } from '../../examples/express-app/dist/app.js'
import { csrfOf, passwordLogin, startE2eApp } from '../helpers/e2e-app.js'
import { withEmulator } from '../helpers/emulator.js'
import { CookieJar, listenLoopback } from '../helpers/http.js'
import { totp } from '../helpers/totp.js'

/** Each of these, as a Location, would take a browser elsewhere, or cannot go in a header at all. */
const REFUSED: readonly unknown[] = [
  '//evil.example', '//evil.example/phish', '/\\evil.example', '\\/evil.example', '\\\\evil.example',
  '/\t/evil.example/phish', '/\n/evil.example', '/\r\n/evil.example', '/\u0000/evil', '/\u000b/evil', '/\u007f', '/\u0085x',
  '/account\nSet-Cookie: x=1', '/account\r\nLocation: https://evil.example', '/account\u2028', '/caf\u00e9', '/\uff0f\uff0fevil.example',
  '/%09/evil.example', '/%0a/evil.example', '/%0D%0ASet-Cookie:x=1', '/%2F%2Fevil.example', '/%2f/evil.example', '/%5Cevil.example',
  '/%5cevil.example', '/%255Cevil.example', '/%252F%252Fevil.example', '/%25252F%25252F%25252Fevil', '/%E2%80%A8x', '/%C2%85x', '/%00',
  '/%', '/%zz', '/.//evil.example', '/./\\evil.example', '/..//evil.example', '/%2e%2e//evil.example', '/%252e%252e//evil.example',
  '/%2e//evil.example', '/a/../..//evil.example', '/a//b', '/reports//7', '/a/%2F%2Fb', '/a%2F%2Fb', '/a%252F%252Fb', '/a//b?x=1', '/a/b//', '/a%3F%2F%2Fb', '/a%23%2F%2Fb', '/a%253F%252F%252Fb',
  'https://evil.example', 'http:/evil.example', 'http:evil.example', 'javascript:alert(1)', 'data:text/html,x', '///evil.example',
  ' /account', '/account ', '/ /evil', 'account', '', `/${'a'.repeat(3000)}`, `/${'a'.repeat(MAX_RETURN_TO_LENGTH)}`,
  // Still changing after the four rounds looked through: refused, not taken as it is (its fifth decoding is "//evil.example").
  '/%252525252F%252525252Fevil.example',
  undefined, null, 42, ['/account'], { toString: () => '/account' },
]
const ALLOWED: readonly string[] = ['/', '/account', '/account?tab=2&x=%2F', '/a/b#frag', '/files/a%2Fb', '/search?q=a%20b', '/@evil.example', '/mfa?next=//x', '/go?to=https://example.org/a//b', '/a/b#x//y', '/go?to=https%3A%2F%2Fexample.org', '/a%3Fb', `/${'a'.repeat(MAX_RETURN_TO_LENGTH - 1)}`]

/** A test name in printable ASCII (a raw U+2028 would break the TAP stream), long values cut short. */
const named = (value: unknown): string => String(JSON.stringify(value)).replace(/^(.{40}).{40,}$/s, (_all, start: string) => `${start}... (${String(value).length} characters)`).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)

await t.test('isSafeReturnTo: every spelling of another host, a control character or a header break is refused', async (t) => {
  for (const value of REFUSED) t.notOk(isSafeReturnTo(value), `refused: ${named(value)}`)
  for (const value of ALLOWED) t.ok(isSafeReturnTo(value), `allowed: ${named(value)}`)
  t.equal(safeReturnTo('/\t/evil.example', '/account'), '/account')
  t.equal(safeReturnTo('/account/security', '/account'), '/account/security')
  t.throws(() => safeReturnTo('/x', '//evil.example'), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION' }, 'a bad fallback is a programmer mistake')
  t.throws(() => requireMfa({ redirectTo: '//evil.example' }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION' }, 'the guards check their own targets the same way')
})

await t.test('the demo: a returnTo that leaves the origin is dropped, a newline gives no 500, a local one is followed', async (t) => {
  const app = await startE2eApp(t)
  const secret = app.demo!.totpUser.sharedSecret
  const signIn = async (returnTo: string): Promise<{ login: number, location: string | undefined }> => {
    const jar = app.jar()
    const first = await jar.fetch(`/login?returnTo=${encodeURIComponent(returnTo)}`)
    const login = await passwordLogin(jar, 'bob')
    const page = await jar.fetch('/mfa', { headers: { accept: 'text/html' } })
    const done = await jar.fetch('/mfa', { form: { passCode: totp(secret, app.clock.now()), _csrf: csrfOf(page.text) } })
    app.clock.advance(30_000) // a TOTP code works once: the next sign-in uses the next one
    return { login: Math.max(first.status, login.status), location: done.location }
  }
  for (const bad of ['/\t/evil.example/phish', '/\n/evil.example', '/%0d%0aSet-Cookie:%20x=1', '//evil.example', '/%2F%2Fevil.example', '/\\evil.example', 'https://evil.example/']) {
    const res = await signIn(bad)
    t.ok(res.login < 500, `no 500 for ${named(bad)}`)
    t.equal(res.location, '/account', `after MFA, not to ${named(bad)}`)
  }
  t.equal((await signIn('/account/security?x=1')).location, '/account/security?x=1', 'a local path is where the user goes')
})

await t.test('requireMfa (Express) remembers only safe paths', async (t) => {
  const app = express()
  app.use(session({ secret: 'x'.repeat(32), resave: false, saveUninitialized: false }))
  app.get('/peek', (req, res) => { res.json({ returnTo: (req.session as unknown as { returnTo?: string }).returnTo ?? null }) })
  app.use((req, _res, next) => { (req as unknown as { user: unknown }).user = { id: 'u1' }; next() })
  app.use(requireMfa({ redirectTo: '/mfa' }))
  const base = await listenLoopback(t, app)
  for (const path of ['/%2F%2Fevil.example/x', '/%5Cevil.example', '/%09/evil.example', '/.//evil.example', '/a%0d%0aSet-Cookie:x']) {
    const jar = new CookieJar(base)
    const res = await jar.fetch(path, { headers: { accept: 'text/html' } })
    t.equal(res.status, 302, `${path}: redirected to MFA`)
    t.equal(res.location, '/mfa')
    t.same((await jar.fetch('/peek')).json(), { returnTo: null }, `${path}: not remembered`)
  }
  // A form posted to a protected page: going back there after MFA would be a GET of what was a POST (README: GET/HEAD only).
  const posted = new CookieJar(base)
  const post = await posted.fetch('/account/delete', { method: 'POST', headers: { accept: 'text/html' } })
  t.equal(post.status, 302, 'a page POST without MFA is redirected to MFA')
  t.equal(post.location, '/mfa')
  t.same((await posted.fetch('/peek')).json(), { returnTo: null }, 'the path of a POST is not remembered')
  const jar = new CookieJar(base)
  await jar.fetch('/account?tab=2', { headers: { accept: 'text/html' } })
  t.same((await jar.fetch('/peek')).json(), { returnTo: '/account?tab=2' }, 'a local path is remembered')
})

await t.test('the Express example goes back to the (safe) page that asked for MFA', async (t) => {
  const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
  const emu = await withEmulator(t, { seed: [{ login: 'grace@example.com', factors: [{ factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const { app, close } = buildExpressApp({
    okta: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true },
    users: [{ id: 'g1', username: 'grace', password: 'cobol-1959', email: 'grace@example.com', displayName: 'Grace' }],
    sessionSecret: 'x'.repeat(32),
    clock: emu.clock.now,
  })
  const jar = new CookieJar(await listenLoopback(t, app, close))
  const login = await jar.fetch('/login')
  t.equal((await jar.fetch('/login', { form: { username: 'grace', password: 'cobol-1959', _csrf: csrfOf(login.text) } })).location, '/mfa')
  t.equal((await jar.fetch('/account?tab=2', { headers: { accept: 'text/html' } })).location, '/mfa', 'MFA first')
  const mfa = await jar.fetch('/mfa')
  const done = await jar.fetch('/mfa', { form: { passCode: totp(SECRET, emu.clock.now()), _csrf: csrfOf(mfa.text) } })
  t.equal(done.location, '/account?tab=2', 'back where the user was going')
})

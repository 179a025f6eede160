// States of the example app (examples/fastify-app) that used to go wrong, over HTTP with a cookie jar against the
// real app, its in-process emulator and a real redis-server: an account whose only active factors are of kinds the
// pages cannot verify (a security question) gets a page that says so instead of a redirect loop, and no way around
// MFA; Redis down answers with the store's own words (not "Okta is unavailable") and Sign out still signs the browser
// out; the README's state table quotes what the /mfa page of a text-message user really says; Okta's rate limit (429) and an Okta answer the pages
// cannot use (400) get their own coded pages, never a 500; and at LOG_LEVEL=trace a request Node's parser refuses
// leaves no cookie, password or query string in the log; and a phone number is masked after its whole country calling
// code (+44, +353, +971…), never showing more than its last 4 national digits.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import { Writable } from 'node:stream'
import t, { type Test } from 'tap'
import { csrfOf, errorText, pageText, passwordLogin, startE2eApp, type E2eApp } from '../helpers/e2e-app.js'
import { emuFetch, withEmulator } from '../helpers/emulator.js'
import { DEMO_USERS } from '../../examples/fastify-app/dist/index.js'
import { rawExchange, type CookieJar, type JarResponse } from '../helpers/http.js'
import { withRedis } from '../helpers/redis.js'
import { totp } from '../helpers/totp.js'

const HTML = { accept: 'text/html' }
const README = new URL('../../examples/fastify-app/README.md', import.meta.url)

function h1 (html: string): string | undefined {
  const m = /<h1>([\s\S]*?)<\/h1>/.exec(html)
  return m === null ? undefined : pageText(m[1]!)
}

/** The active factors of an Okta user of the emulator, by login. */
async function oktaFactors (app: E2eApp, login: string): Promise<Array<{ factorType: string, status: string }>> {
  const user = await emuFetch(app.emulator!, 'GET', `/api/v1/users/${encodeURIComponent(login)}`)
  return (await emuFetch(app.emulator!, 'GET', `/api/v1/users/${(user.body as { id: string }).id}/factors`)).body as Array<{ factorType: string, status: string }>
}

/** Alice (no factor yet) signs in and starts the authenticator setup: her jar, the form's CSRF token, the key and the factor. */
async function startTotpSetup (t: Test, app: E2eApp, jar = app.jar()): Promise<{ jar: CookieJar, csrf: string, key: string, factorId: string }> {
  t.equal((await passwordLogin(jar, 'alice')).location, '/mfa/enroll')
  const csrf = csrfOf((await jar.fetch('/mfa/enroll', { headers: HTML })).text)
  t.equal((await jar.fetch('/mfa/enroll/start', { form: { _csrf: csrf }, headers: HTML })).location, '/mfa/enroll?method=totp')
  const page = (await jar.fetch('/mfa/enroll?method=totp', { headers: HTML })).text
  const key = /data-testid="manual-key"[^>]*>([A-Z2-7 ]+)</.exec(page)![1]!.replace(/ /g, '')
  const factorId = /name="factorId" value="([^"]+)"/.exec(page)![1]!
  return { jar, csrf, key, factorId }
}

/** Follows redirects (at most 6), and fails the test on a loop: the same location twice. */
async function follow (t: Test, jar: CookieJar, first: JarResponse): Promise<JarResponse> {
  const seen: string[] = []
  let res = first
  while (res.location !== undefined) {
    t.notOk(seen.includes(res.location), `no redirect loop (${[...seen, res.location].join(' -> ')})`)
    if (seen.includes(res.location) || seen.length > 5) break
    seen.push(res.location)
    res = await jar.fetch(res.location, { headers: HTML })
  }
  return res
}

await t.test('only a security question active: /mfa and /mfa/enroll say so plainly, with Sign out; no loop, no way around MFA', async (t) => {
  const app = await startE2eApp(t)
  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'alice')).location, '/mfa/enroll', 'no factor yet: enrollment')
  // A password-only session may enroll a first factor of any type through the gateway: a question is ACTIVE at once.
  const enrolled = (await jar.fetch('/graphql', { json: { query: 'mutation { enrollFactor(input: { factorType: QUESTION, question: "disliked_food", answer: "broccoli pie" }) { factor { status } } }' } })).json()
  t.equal(enrolled.data?.enrollFactor?.factor?.status, 'ACTIVE', 'the question factor is active')

  const again = app.jar()
  const landed = await follow(t, again, await passwordLogin(again, 'alice'))
  t.equal(landed.status, 403, 'sign-in ends on a page, not in a loop')
  t.equal(landed.headers['x-error-code'], 'FACTORS_UNSUPPORTED')
  for (const path of ['/mfa', '/mfa/enroll', '/mfa/enroll?method=sms', '/mfa/enroll?method=totp']) {
    const page = await again.fetch(path, { headers: HTML })
    t.equal(page.status, 403, `${path}: the page itself, no redirect`)
    t.equal(h1(page.text), "This app can't use your sign-in methods", `${path}: says what is wrong`)
    const text = pageText(page.text)
    t.match(text, /set up with: Security question/, `${path}: names the kind of method the account has`)
    t.match(text, /This app can only check a code from an authenticator app, a text message, a voice call or an e-mail, so it cannot use that method/)
    t.match(text, /ask an administrator to reset your sign-in methods/, `${path}: says what to do`)
    t.match(page.text, /<a class="button primary" href="\/logout" data-testid="unusable-logout">Sign out<\/a>/, `${path}: offers Sign out`)
    t.notMatch(page.text, /name="passCode"|data-testid="enroll-link"|\/mfa\/enroll\/start/, `${path}: no code field and no setup link`)
  }

  // No way around MFA: a code posted anyway, starting an enrollment, the protected pages, the gateway.
  const csrf = csrfOf((await again.fetch('/mfa', { headers: HTML })).text)
  const posted = await again.fetch('/mfa', { form: { passCode: '123456', _csrf: csrf } })
  t.equal(posted.headers['x-error-code'], 'ENROLLMENT_REQUIRED')
  t.equal((await follow(t, again, posted)).status, 403, 'a posted code ends on the same page')
  const start = await again.fetch('/mfa/enroll/start', { form: { _csrf: csrf } })
  t.equal(start.location, '/mfa', 'starting an enrollment asks for a step-up first')
  t.equal((await follow(t, again, start)).status, 403, 'which ends on the same page')
  const activate = await again.fetch('/mfa/enroll/activate', { form: { _csrf: csrf, factorId: 'x', passCode: '123456' } })
  t.equal(activate.location, '/mfa', 'so does activating one')
  for (const path of ['/account', '/account/security']) t.equal((await again.fetch(path, { headers: HTML })).location, '/mfa', `${path} still needs MFA`)
  const viaGateway = (await again.fetch('/graphql', { json: { query: 'mutation { enrollFactor(input: { factorType: TOTP }) { factor { id } } }' } })).json()
  t.equal(viaGateway.errors?.[0]?.extensions?.code, 'MFA_REQUIRED', 'the gateway asks for a fresh MFA step before a second factor')
  t.same((await oktaFactors(app, 'alice@example.com')).map((f) => `${f.factorType}:${f.status}`), ['question:ACTIVE'], 'nothing was added to the account')

  // Sign out works from there.
  const out = await again.fetch('/logout', { headers: HTML })
  t.equal(out.location, '/login')
  t.equal((await again.fetch('/mfa', { headers: HTML })).location, '/login', 'signed out')
})

await t.test("Okta Verify's code pending beside an active Google Authenticator: Finish setup shows its key, not the phone form; removing the last factor the pages can check says what it strands", async (t) => {
  const emu = await withEmulator(t)
  const app = await startE2eApp(t, { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, users: DEMO_USERS, clock: emu.clock.now })
  t.equal((await passwordLogin(app.jar(), 'alice')).location, '/mfa/enroll', 'alice, made in Okta at her first sign-in')
  const userId = (await emuFetch(emu, 'GET', '/api/v1/users/alice%40example.com')).body.id as string
  const google = (await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body.id as string
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${google}/lifecycle/activate`, { passCode: emu.totpCode(google) })).status, 200)
  const okta = (await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'token:software:totp', provider: 'OKTA' })).body.id as string
  emu.clock.advance(30_000)
  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'alice')).location, '/mfa')
  const mfa = (await jar.fetch('/mfa', { headers: HTML })).text
  t.equal((await jar.fetch('/mfa', { form: { _csrf: csrfOf(mfa), factorId: google, passCode: emu.totpCode(google) }, headers: HTML })).status, 303)
  const setup = await jar.fetch('/mfa/enroll', { headers: HTML })
  t.equal(setup.status, 200)
  t.match(setup.text, new RegExp(`name="factorId" value="${okta}"`), "the pending Okta Verify factor's own setup")
  t.match(setup.text, /data-testid="manual-key"/, 'with its key')
  t.notMatch(setup.text, /id="sms-enroll"|Mobile phone number/, 'not the text-message setup')
  t.notMatch(setup.text, /data-testid="strands"/)

  const only = (await jar.fetch(`/account/security/remove/${google}`, { headers: HTML })).text
  t.match(pageText(only), /This is your only factor\. At your next sign-in you will set up a new one\./)
  t.notMatch(only, /data-testid="strands"/, 'no other active factor: nothing stranded')
  t.match(only, /id="passCode"[^>]*aria-describedby="remove-last code-help"/, 'the code field is described by the warning, which a screen reader says where the focus is')
  t.match(only, /<button type="submit" class="primary" aria-describedby="remove-last">Remove factor</, 'so is the button')
  // A security question beside it: the pages cannot check it, so without Google Authenticator the account is stuck.
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'broccoli pie' } })).status, 200)
  const stranding = (await jar.fetch(`/account/security/remove/${google}`, { headers: HTML })).text
  t.match(pageText(stranding), /This is the last factor this app can check\. Without it, your next sign-in here will need an administrator/, 'says what removing it strands')
  t.notMatch(pageText(stranding), /This is your only factor/)
  t.match(stranding, /<p class="notice notice-error" id="remove-strands"/)
  t.match(stranding, /id="passCode"[^>]*aria-describedby="remove-strands code-help"/, 'the field is described by what removing it strands')
  t.match(stranding, /<button type="submit" class="primary" aria-describedby="remove-strands">Remove factor</)

  // Both apps active: the code step names the one it is for, and Okta Verify's help names Okta Verify.
  emu.clock.advance(30_000)
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${okta}/lifecycle/activate`, { passCode: emu.totpCode(okta) })).status, 200)
  const again = app.jar()
  t.equal((await passwordLogin(again, 'alice')).location, '/mfa')
  const forOkta = (await again.fetch(`/mfa?factor=${okta}`, { headers: HTML })).text
  t.match(forOkta, /data-testid="selected-method">Authenticator app · Okta Verify</, 'the selected app is named')
  t.match(pageText(forOkta), /Open Okta Verify and enter the 6-digit code it shows for this account\./)
  const forGoogle = (await again.fetch(`/mfa?factor=${google}`, { headers: HTML })).text
  t.match(forGoogle, /data-testid="selected-method">Authenticator app · time-based codes</)
  t.match(pageText(forGoogle), /Open your authenticator app and enter the 6-digit code it shows for “okta-mfa demo”\./)
  // On the Security page each Remove link says which app it removes: the two are not one name for two places.
  emu.clock.advance(30_000) // the code that activated it is spent
  t.equal((await again.fetch('/mfa', { form: { _csrf: csrfOf(forOkta), factorId: okta, passCode: emu.totpCode(okta) }, headers: HTML })).status, 303)
  const security = (await again.fetch('/account/security', { headers: HTML })).text
  t.same([...security.matchAll(/class="remove" href="[^"]+" aria-label="([^"]+)"/g)].map((m) => m[1]).sort(),
    ['Remove Authenticator app · Okta Verify', 'Remove Authenticator app · time-based codes', 'Remove Security question'])
})

await t.test('an authenticator app and text messages both active: nothing left to add, said on the Security page, and /mfa/enroll leads there', async (t) => {
  const SECRET = 'JBSWY3DPEHPK3PXP'
  const emu = await withEmulator(t, { seed: [{ login: 'alice@example.com', factors: [{ id: 'ostalice000000000001', factorType: 'token:software:totp', sharedSecret: SECRET }, { factorType: 'sms', phoneNumber: '+15555550101' }] }] })
  const app = await startE2eApp(t, { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, users: DEMO_USERS, clock: emu.clock.now })
  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'alice')).location, '/mfa')
  const mfa = (await jar.fetch('/mfa', { headers: HTML })).text
  t.equal((await jar.fetch('/mfa', { form: { _csrf: csrfOf(mfa), factorId: 'ostalice000000000001', passCode: totp(SECRET, emu.clock.now()) }, headers: HTML })).status, 303)
  const security = (await jar.fetch('/account/security', { headers: HTML })).text
  t.notMatch(security, /href="\/mfa\/enroll">Add a factor/, 'no Add a factor that could only answer "already set up"')
  t.match(pageText(security), /Your authenticator app and text messages are both set up: there is nothing more to add here\./)
  const enroll = await jar.fetch('/mfa/enroll', { headers: HTML })
  t.equal(enroll.location, '/account/security', '/mfa/enroll (an old link, Back) leads to the Security page')
  t.match(pageText((await jar.fetch('/account/security', { headers: HTML })).text), /nothing more to add here/)
  // One of them removed (here in Okta): Add a factor is back.
  const userId = (await emuFetch(emu, 'GET', '/api/v1/users/alice%40example.com')).body.id as string
  const sms = ((await emuFetch(emu, 'GET', `/api/v1/users/${userId}/factors`)).body as Array<{ id: string, factorType: string }>).find((f) => f.factorType === 'sms')!.id
  await emuFetch(emu, 'DELETE', `/api/v1/users/${userId}/factors/${sms}`)
  t.match((await jar.fetch('/account/security', { headers: HTML })).text, /href="\/mfa\/enroll">Add a factor/)
})

await t.test('Redis down: the 503 page names the sign-in store, not Okta, after a code and on any page', async (t) => {
  const redis = await withRedis(t)
  const lines: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString('utf8')); done() } })
  const app = await startE2eApp(t, { redisUrl: redis.url, logger: { level: 'info', stream } })
  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'bob')).location, '/mfa')
  const csrf = csrfOf((await jar.fetch('/mfa', { headers: HTML })).text)
  await redis.stop()

  const code = await jar.fetch('/mfa', { form: { passCode: '123456', _csrf: csrf }, headers: HTML })
  t.equal(code.status, 503)
  t.equal(code.headers['x-error-code'], 'STORE_UNAVAILABLE')
  t.equal(code.headers['retry-after'], '60', 'when to try again, as the page says: in a minute')
  t.equal(h1(code.text), 'Sign-in is briefly unavailable', 'a fitting title')
  t.equal(errorText(code.text), "Sign-in is briefly unavailable, so we can't check your code. Try again in a minute.", "the store's own sentence")
  t.notMatch(pageText(code.text), /Okta|sign-in methods/, 'Okta is not blamed')
  t.match(code.text, 'data-testid="error-logout"', 'with Sign out')

  const page = await jar.fetch('/mfa', { headers: HTML })
  t.equal(page.status, 503)
  t.equal(page.headers['x-error-code'], 'STORE_UNAVAILABLE')
  t.equal(page.headers['retry-after'], '60')
  t.equal(h1(page.text), 'Sign-in is briefly unavailable')
  t.equal(errorText(page.text), "Sign-in is briefly unavailable, so we can't open this page. Try again in a minute.")
  t.notMatch(pageText(page.text), /Okta/)
  const failed = lines.join('').split('\n').filter((l) => l.includes('"msg":"request failed"') || l.includes('"msg":"attempt store unavailable during MFA"'))
  t.ok(failed.length >= 2, 'each refusal is logged')
  t.ok(failed.every((l) => /"code":"STORE_UNAVAILABLE"/.test(l) && /"reason":"(not connected|timed out)"/.test(l)), `with the store's reason: ${failed.join(' | ')}`)

  // The revocation check cannot be made, yet a page that needs no sign-in is served, and Sign out signs out. The
  // session goes out as it came (a write would renew a copy of a revoked cookie), the sign-out's emptied one excepted.
  const login = await jar.fetch('/login?returnTo=/account/security', { headers: HTML })
  t.equal(login.status, 200, 'the login page is served')
  t.equal(login.headers['set-cookie'], undefined, 'and the session is not written (no returnTo, no renewal)')
  const out = await jar.fetch('/logout', { headers: HTML })
  t.equal(out.status, 503, 'Sign out: this browser is signed out, the page says it could not be recorded')
  t.equal(h1(out.text), 'You are signed out in this browser')
  t.match(String(out.headers['set-cookie']), /^session=;/, 'its cookie is emptied')
  t.equal((await jar.fetch('/mfa', { headers: HTML })).location, '/login', 'signed out: no 503 any more, the login page')
})

await t.test('an answer carrying a session cookie is never kept by a shared cache (the icon and scripts during a key rotation)', async (t) => {
  const oldKey = randomBytes(32)
  const before = await startE2eApp(t, { sessionKey: oldKey })
  const jar = before.jar()
  t.equal((await passwordLogin(jar, 'bob')).location, '/mfa')
  // The key rotated: every request re-seals a session sealed with the old key, the icon's and the scripts' too.
  const after = await startE2eApp(t, { sessionKey: randomBytes(32), oldSessionKeys: [oldKey] })
  for (const path of ['/favicon.ico', '/assets/forms.js']) {
    const copy = after.jar()
    for (const [k, v] of jar.cookies) copy.cookies.set(k, v)
    const res = await copy.fetch(path)
    t.equal(res.status, 200)
    t.match(String(res.headers['set-cookie']), /^session=/, `${path}: the session cookie, re-sealed`)
    t.equal(res.headers['cache-control'], 'private, no-store', `${path}: for this browser only`)
  }
  const anonymous = await after.jar().fetch('/favicon.ico')
  t.equal(anonymous.headers['set-cookie'], undefined)
  t.equal(anonymous.headers['cache-control'], 'public, max-age=86400', 'the icon without a cookie stays cacheable')
})

await t.test('Redis down: Activate without JavaScript answers as /mfa does, 503 STORE_UNAVAILABLE after the code (nothing activated)', async (t) => {
  const redis = await withRedis(t)
  const app = await startE2eApp(t, { redisUrl: redis.url })
  const { jar, csrf, key, factorId } = await startTotpSetup(t, app)
  await redis.stop()
  const res = await jar.fetch('/mfa/enroll/activate', { form: { _csrf: csrf, factorId, passCode: totp(key, app.clock.now()) }, headers: HTML })
  t.equal(res.status, 503, 'the page itself, not a redirect with a note')
  t.equal(res.headers['x-error-code'], 'STORE_UNAVAILABLE')
  t.equal(errorText(res.text), "Sign-in is briefly unavailable, so we can't check your code. Try again in a minute.", "the store's own sentence, as on /mfa")
  const factors = await app.client.listFactors((await app.client.getUser('alice@example.com')).id)
  t.equal(factors.find((f) => f.id === factorId)?.status, 'PENDING_ACTIVATION', 'Okta never heard the uncounted code')
})

await t.test('Redis down: Sign out (the link and the form) still signs this browser out, 503 saying the sign-out was not recorded; still out once Redis is back', async (t) => {
  const redis = await withRedis(t)
  const app = await startE2eApp(t, { redisUrl: redis.url })
  const signedIn = async (): Promise<{ jar: CookieJar, csrf: string }> => {
    const jar = app.jar()
    t.equal((await passwordLogin(jar, 'bob')).location, '/mfa')
    const csrf = csrfOf((await jar.fetch('/mfa', { headers: HTML })).text)
    app.clock.advance(30_000) // a code of its own, not the other browser's (a replay)
    t.equal((await jar.fetch('/mfa', { form: { passCode: totp(app.demo!.totpUser.sharedSecret, app.clock.now()), _csrf: csrf } })).location, '/account')
    return { jar, csrf: csrfOf((await jar.fetch('/account', { headers: HTML })).text) }
  }
  const viaLink = await signedIn()
  const viaForm = await signedIn()
  const everywhere = await signedIn()
  const securityCsrf = csrfOf((await everywhere.jar.fetch('/account/security', { headers: HTML })).text)
  await redis.stop()

  const outage = await viaLink.jar.fetch('/account', { headers: HTML })
  t.equal(outage.headers['x-error-code'], 'STORE_UNAVAILABLE')
  t.match(outage.text, /<a class="button secondary" href="\/logout" data-testid="error-logout">Sign out<\/a>/, 'the outage page offers Sign out')
  const answers = [
    await viaLink.jar.fetch('/logout', { headers: HTML }),
    await viaForm.jar.fetch('/logout', { form: { _csrf: viaForm.csrf }, headers: HTML }),
  ]
  for (const [i, out] of answers.entries()) {
    const how = i === 0 ? 'GET /logout' : 'POST /logout'
    t.equal(out.status, 503, `${how}: the store is still down, and the answer says so`)
    t.equal(out.headers['x-error-code'], 'STORE_UNAVAILABLE')
    t.match(String(out.headers['set-cookie']), /^session=;/, `${how}: the session cookie is emptied`)
    t.equal(h1(out.text), 'You are signed out in this browser')
    t.equal(errorText(out.text), 'You are signed out in this browser. Sign-in is briefly unavailable, so the sign-out could not be recorded: ' +
      'a copy of this session saved before now would still work. To end every copy, sign in again in a minute and use Sign out of all sessions on the Security page.')
    t.match(out.text, 'href="/login"', `${how}: with a way on (Sign in)`)
  }
  t.notOk(viaLink.jar.cookies.has('session') || viaForm.jar.cookies.has('session'), 'neither browser keeps a session cookie')
  // Sign out of all sessions (the button the page above names): this browser is signed out, the others could not be.
  const all = await everywhere.jar.fetch('/account/security/sign-out-everywhere', { form: { _csrf: securityCsrf }, headers: HTML })
  t.equal(all.status, 503)
  t.equal(all.headers['x-error-code'], 'STORE_UNAVAILABLE')
  t.match(String(all.headers['set-cookie']), /^session=;/, 'Sign out of all sessions: this browser\'s cookie is emptied')
  t.equal(errorText(all.text), 'You are signed out in this browser. Sign-in is briefly unavailable, so your other sessions could not be signed out. ' +
    'Sign in again in a minute and use Sign out of all sessions on the Security page again.')

  await redis.start()
  for (const { jar } of [viaLink, viaForm, everywhere]) {
    let back = await jar.fetch('/account', { headers: HTML })
    for (let i = 0; i < 50 && back.status === 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      back = await jar.fetch('/account', { headers: HTML })
    }
    t.equal(back.location, '/login', 'Redis back: the browser is still signed out')
  }
})

await t.test("the README's /mfa rows for a text-message user quote what the page says", async (t) => {
  const app = await startE2eApp(t)
  const readme = readFileSync(README, 'utf8').split('\n')
  const row = (state: string): string => {
    const line = readme.find((l) => l.startsWith(`| \`/mfa\` | ${state} |`))
    t.ok(line, `the README has the row "${state}"`)
    return (line ?? '').split(' | ')[2] ?? ''
  }
  const quotes = (cell: string): string[] => [...cell.matchAll(/"([^"]+)"|\*([^*]+)\*/g)].map((m) => m[1] ?? m[2]!)

  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'carol')).location, '/mfa')
  const before = await jar.fetch('/mfa', { headers: HTML })
  const onlySms = quotes(row('text message only'))
  t.ok(onlySms.length >= 2, `quotes: ${onlySms.join(' | ')}`)
  for (const quote of onlySms) t.match(pageText(before.text), quote, `the page says ${JSON.stringify(quote)}`)

  const factorId = /name="factorId" value="([^"]+)"/.exec(before.text)?.[1] ?? ''
  const sent = await jar.fetch('/mfa/challenge', { form: { factorId, returnTo: '/mfa', _csrf: csrfOf(before.text) } })
  const after = await jar.fetch(sent.location ?? '/mfa', { headers: HTML })
  // The first two quotes of the row are on the page right after sending; the others come later (countdown, resend).
  const afterSend = quotes(row('after *Send a code*')).slice(0, 2)
  t.equal(afterSend.length, 2, `quotes: ${afterSend.join(' | ')}`)
  for (const quote of afterSend) t.match(pageText(after.text), quote, `the page says ${JSON.stringify(quote)}`)
})

/** The log's text, with every logged Buffer (`{ type: 'Buffer', data: [...] }`) decoded beside it. */
function logText (lines: string[]): string {
  const decoded: string[] = []
  const walk = (v: unknown, depth: number): void => {
    if (typeof v !== 'object' || v === null || depth > 20) return
    const o = v as { type?: unknown, data?: unknown }
    if (o.type === 'Buffer' && Array.isArray(o.data)) decoded.push(Buffer.from(o.data as number[]).toString('latin1'))
    for (const child of Object.values(v)) walk(child, depth + 1)
  }
  for (const line of lines.join('').split('\n')) {
    if (line.trim() === '') continue
    try { walk(JSON.parse(line), 0) } catch { decoded.push(line) }
  }
  return [...lines, ...decoded].join('\n')
}

await t.test('LOG_LEVEL=trace: a request the HTTP parser refuses leaves no cookie, password or query string in the log', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _enc, done) { lines.push(chunk.toString('utf8')); done() } })
  const app = await startE2eApp(t, { logger: { level: 'trace', stream } })
  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'bob')).location, '/mfa', 'signed in: the jar holds a session cookie')
  const session = jar.cookies.get('session')
  t.ok(session !== undefined && session.length > 20, 'a session cookie to look for')
  const cookie = jar.header()
  const body = 'username=bob&password=SECRETPASS7391'

  // Both Content-Length and Transfer-Encoding: Node refuses it (400), Fastify logs the "client error" at trace.
  const smuggled = await rawExchange(app.url, `POST /login?password=QUERYSECRET42 HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}\r\n` +
    `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body}`)
  t.match(smuggled, /^HTTP\/1\.1 400 /, 'answered 400')
  // A browser's big cookie jar beside the session cookie: a header block over 16 KiB (431).
  const overflow = await rawExchange(app.url, `GET /account?password=QUERYSECRET42 HTTP/1.1\r\nHost: x\r\nCookie: ${cookie}; prefs=${'p'.repeat(17_000)}\r\n\r\n`)
  t.match(overflow, /^HTTP\/1\.1 431 /, 'answered 431')

  const log = logText(lines)
  t.match(log, /"msg":"client error"/, 'the refused request was logged (at trace)')
  t.match(log, /"msg":"client header_overflow"/, 'so was the header overflow')
  t.notOk(log.includes(session!), 'the session cookie is nowhere in the log')
  t.notOk(log.includes('SECRETPASS7391'), 'nor the password of the form body')
  t.notOk(log.includes('QUERYSECRET42'), 'nor the query string')
  t.notOk(log.includes('correct-horse-battery'), "nor the password of the real sign-in")
  t.notOk(log.includes('rawPacket'), 'no raw request bytes at all')
})

await t.test("Okta's rate limit (429): every page answers 429 with when to try again, never a 500", async (t) => {
  // Bob's factor list is read at sign-in and by the pages: 8 lists a minute, and no verify at all.
  const app = await startE2eApp(t, { emulator: { quiet: true, rateLimits: { limits: { factors: 8, verify: 0 } } } })
  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'bob')).location, '/mfa')
  let page = await jar.fetch('/mfa', { headers: HTML })
  let csrf = ''
  for (let i = 0; i < 12 && page.status === 200; i++) {
    csrf = csrfOf(page.text)
    page = await jar.fetch('/mfa', { headers: HTML })
  }
  t.ok(csrf !== '', 'the code page was shown while Okta had room')

  const check = (res: JarResponse, label: string, sentence: RegExp): void => {
    t.equal(res.status, 429, `${label}: 429 (got ${res.status})`)
    t.equal(res.headers['x-error-code'], 'RATE_LIMITED', `${label}: coded`)
    const wait = Number(res.headers['retry-after'])
    t.ok(Number.isInteger(wait) && wait > 0 && wait <= 60, `${label}: Retry-After in seconds (${String(res.headers['retry-after'])})`)
    t.equal(h1(res.text), 'Okta is busy', `${label}: a fitting title`)
    const said = errorText(res.text) ?? ''
    t.match(said, sentence, `${label}: says what is wrong`)
    t.match(said, new RegExp(`Try again in ${wait} seconds?\\.$`), `${label}: and when to try again, as Retry-After says`)
    t.notMatch(pageText(res.text), /Something went wrong/, `${label}: not the generic failure page`)
    t.match(res.text, 'data-testid="error-logout"', `${label}: with Sign out`)
  }
  const loads = /^Okta is getting too many requests right now, so we can't load your sign-in methods\./
  check(page, 'GET /mfa', loads)
  check(await jar.fetch('/mfa/enroll', { headers: HTML }), 'GET /mfa/enroll', loads)
  check(await jar.fetch('/mfa/enroll/start', { form: { _csrf: csrf }, headers: HTML }), 'POST /mfa/enroll/start', loads)
  const posted = await jar.fetch('/mfa', { form: { _csrf: csrf, passCode: '123456' }, headers: HTML })
  check(posted, 'POST /mfa', /^Okta is getting too many requests right now, so we can't check your code\./)

  // A new minute: the list can be read again, verify still cannot: the code page itself, 429, with the same words,
  // and its re-render reads the list once (the bucket's X-Rate-Limit-Remaining, read before and after, counts them).
  app.clock.advance(60_000)
  const fresh = await jar.fetch('/mfa', { headers: HTML })
  t.equal(fresh.status, 200, 'the page is back')
  const bobId = ((await emuFetch(app.emulator!, 'GET', '/api/v1/users/bob%40example.com')).body as { id: string }).id
  const remaining = async (): Promise<number> => Number((await emuFetch(app.emulator!, 'GET', `/api/v1/users/${bobId}/factors`)).headers.get('x-rate-limit-remaining'))
  const before = await remaining()
  const again = await jar.fetch('/mfa', { form: { _csrf: csrfOf(fresh.text), passCode: '123456', formId: /name="formId" value="([^"]+)"/.exec(fresh.text)?.[1] ?? '' }, headers: HTML })
  t.equal(before - (await remaining()) - 1, 2, "the refused code read the factor list twice: the strategy's check and the page (whose text and form share one)")
  t.equal(again.status, 429, 'a code Okta would not verify: 429')
  t.equal(again.headers['x-error-code'], 'RATE_LIMITED')
  t.ok(Number(again.headers['retry-after']) > 0, 'with Retry-After')
  t.match(again.text, /name="passCode"/, 'the code page, ready for the next try')
  t.match(errorText(again.text) ?? '', /^Okta is getting too many requests right now, so we can't check your code\. Try again in \d+ seconds?\.$/)
})

await t.test("Okta's rate limit a few seconds before its reset: the page says so at once, it does not wait for the reset", async (t) => {
  const okta = await fakeOkta(t)
  const app = await startE2eApp(t, { orgUrl: okta.url, token: 'fake-token', allowInsecureHttp: true })
  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'bob')).location, '/mfa')
  // Okta's 429 with its reset 5 s away: within the 10 s the client would otherwise wait, then ask again.
  const b0 = okta.calls.factors
  t.equal((await jar.fetch('/mfa', { headers: HTML })).status, 200)
  t.equal(okta.calls.factors - b0, 1, 'a page reads the factor list once')
  okta.mode.factors = '429'
  const before = okta.calls.factors
  const busy = await jar.fetch('/mfa', { headers: HTML })
  t.equal(busy.status, 429, 'the page answers 429')
  t.equal(busy.headers['x-error-code'], 'RATE_LIMITED')
  t.ok(Number(busy.headers['retry-after']) >= 4 && Number(busy.headers['retry-after']) <= 6, `with the seconds to the reset (${String(busy.headers['retry-after'])})`)
  t.equal(okta.calls.factors - before, 1, 'Okta was asked once: the page did not wait for the reset to ask again')
})

/** What {@link fakeOkta} answers for the factor list: bob's factor, an error, or a pending TOTP factor with `activation`. */
interface FakeOktaMode { factors: 'ok' | '400' | '401' | '429' | 'pendingTotp', activation: Record<string, unknown> }

/** A tiny "Okta" on loopback: bob's user, and his factor list as `mode` says (Okta's envelopes and headers). */
async function fakeOkta (t: Test): Promise<{ url: string, mode: FakeOktaMode, calls: { factors: number } }> {
  const mode: FakeOktaMode = { factors: 'ok', activation: {} }
  const calls = { factors: 0 }
  const user = { id: '00uFAKEUSER000000001', status: 'ACTIVE', profile: { login: 'bob@example.com', email: 'bob@example.com' }, _links: {} }
  const factor = { id: 'ostFAKEFACTOR0000001', factorType: 'token:software:totp', provider: 'GOOGLE', status: 'ACTIVE', created: '2030-01-01T00:00:00.000Z', _links: {} }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '599', 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 60) })
      res.end(JSON.stringify(body))
    }
    if (!(req.url ?? '').endsWith('/factors')) return json(200, user)
    calls.factors++
    if (mode.factors === 'ok') return json(200, [factor])
    // A pending TOTP factor with the activation the test sets (Okta documents no bounds on its fields).
    if (mode.factors === 'pendingTotp') return json(200, [{ ...factor, status: 'PENDING_ACTIVATION', _embedded: { activation: mode.activation } }])
    if (mode.factors === '429') {
      res.writeHead(429, { 'content-type': 'application/json', 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 5) })
      res.end(JSON.stringify({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.', errorLink: 'E0000047', errorId: 'oaeFAKE', errorCauses: [] }))
      return
    }
    if (mode.factors === '401') return json(401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided OKTASECRETECHO', errorLink: 'E0000011', errorId: 'oaeFAKE', errorCauses: [] })
    json(400, { errorCode: 'E0000001', errorSummary: 'Api validation failed: OKTASECRETECHO', errorLink: 'E0000001', errorId: 'oaeFAKE', errorCauses: [{ errorSummary: 'OKTASECRETECHO' }] })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  const address = server.address()
  if (address === null || typeof address !== 'object') throw new Error('not listening')
  return { url: `http://127.0.0.1:${address.port}`, mode, calls }
}

await t.test('Okta answers 400 (or 401) on the factor list: a coded 502 page, not a 500, and nothing of its answer shown', async (t) => {
  const okta = await fakeOkta(t)
  const app = await startE2eApp(t, { orgUrl: okta.url, token: 'fake-token', allowInsecureHttp: true })
  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'bob')).location, '/mfa')
  const page = await jar.fetch('/mfa', { headers: HTML })
  t.equal(page.status, 200, 'the code page while Okta answers')
  const csrf = csrfOf(page.text)
  for (const mode of ['400', '401'] as const) {
    okta.mode.factors = mode
    for (const [label, res] of [
      ['GET /mfa', await jar.fetch('/mfa', { headers: HTML })],
      ['GET /mfa/enroll', await jar.fetch('/mfa/enroll', { headers: HTML })],
      ['POST /mfa/enroll/start', await jar.fetch('/mfa/enroll/start', { form: { _csrf: csrf }, headers: HTML })],
      ['POST /mfa', await jar.fetch('/mfa', { form: { _csrf: csrf, passCode: '123456' }, headers: HTML })],
    ] as const) {
      t.equal(res.status, 502, `Okta ${mode}, ${label}: 502 (got ${res.status})`)
      t.equal(res.headers['x-error-code'], 'UPSTREAM_REFUSED', `${label}: coded`)
      t.equal(h1(res.text), 'Okta answered something we could not use', `${label}: a fitting title`)
      t.match(errorText(res.text) ?? '', /^Okta answered something we could not use, so we can't open this page\. Try again later/)
      t.notMatch(res.text, /OKTASECRETECHO/, `${label}: nothing of Okta's answer`)
    }
  }
})

await t.test("Okta's pending TOTP activation no authenticator app can use (a shared secret longer than a QR code holds, a timeStep of 0, codes of 8 digits the demo cannot take): the setup page is a coded 503, not a 500", async (t) => {
  const okta = await fakeOkta(t)
  const app = await startE2eApp(t, { orgUrl: okta.url, token: 'fake-token', allowInsecureHttp: true })
  const jar = app.jar()
  okta.mode.factors = 'pendingTotp'
  t.equal((await passwordLogin(jar, 'bob')).location, '/mfa/enroll')
  for (const activation of [{ sharedSecret: 'A'.repeat(5000), timeStep: 30, keyLength: 6 }, { sharedSecret: 'JBSWY3DPEHPK3PXP', timeStep: 0, keyLength: 6 }, { sharedSecret: 'JBSWY3DPEHPK3PXP', timeStep: 30, keyLength: 8 }]) {
    okta.mode.activation = activation
    const page = await jar.fetch('/mfa/enroll', { headers: HTML })
    t.same([page.status, page.headers['x-error-code']], [503, 'UPSTREAM_UNAVAILABLE'], JSON.stringify(activation).slice(0, 60))
  }
  okta.mode.activation = { sharedSecret: 'JBSWY3DPEHPK3PXP', timeStep: 30, keyLength: 6 }
  t.equal((await jar.fetch('/mfa/enroll', { headers: HTML })).status, 200, 'a usable one is shown')
})

await t.test('an Okta user deleted and re-created under a new id: the next sign-in looks it up again instead of a 502 until a restart', async (t) => {
  const app = await startE2eApp(t)
  t.equal((await passwordLogin(app.jar(), 'bob')).location, '/mfa', 'the Okta id of bob is cached')
  const gone = await app.client.getUser('bob@example.com')
  await app.client.deactivateUser(gone.id)
  await app.client.deleteUser(gone.id)
  const again = await app.client.createUser({ profile: { login: 'bob@example.com', email: 'bob@example.com', firstName: 'Bob', lastName: 'Example' } }, { activate: true })
  t.not(again.id, gone.id, 'a new Okta id')
  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'bob')).location, '/mfa/enroll', 'the new Okta user (no factor yet): enrollment, not a 502')
  const page = await jar.fetch('/mfa/enroll', { headers: HTML })
  t.equal(page.status, 200)
  t.equal(h1(page.text), 'Set up two-step sign-in')
  await jar.fetch('/mfa/enroll/start', { form: { _csrf: csrfOf(page.text) }, headers: HTML })
  t.equal((await app.client.listFactors(again.id)).length, 1, 'the setup acts on the new Okta user')
})

await t.test('two tabs pressing "Show my QR code" at the same moment both get the same key, not the 502 page', async (t) => {
  const app = await startE2eApp(t)
  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'alice')).location, '/mfa/enroll')
  const csrf = csrfOf((await jar.fetch('/mfa/enroll', { headers: HTML })).text)
  for (let round = 0; round < 3; round++) {
    const starts = await Promise.all([1, 2, 3].map(async () => await jar.fetch('/mfa/enroll/start', { form: { _csrf: csrf }, headers: HTML })))
    t.same(starts.map((r) => [r.status, r.location]), starts.map(() => [303, '/mfa/enroll?method=totp']), `round ${round}: every tab goes to its QR code`)
  }
  const factors = await oktaFactors(app, 'alice@example.com')
  t.same(factors.map((f) => `${f.factorType}:${f.status}`), ['token:software:totp:PENDING_ACTIVATION'], 'one pending factor')
  const keys = await Promise.all([1, 2].map(async () => /data-testid="manual-key"[^>]*>([A-Z2-7 ]+)</.exec((await jar.fetch('/mfa/enroll?method=totp', { headers: HTML })).text)?.[1]))
  t.ok(keys[0] !== undefined && keys[0] === keys[1], 'the same key in every tab')
})

await t.test('the phone step sent twice at once (a double click, two tabs) goes on to one code step, not the 502 page', async (t) => {
  const app = await startE2eApp(t)
  const jar = app.jar()
  t.equal((await passwordLogin(jar, 'alice')).location, '/mfa/enroll')
  const csrf = csrfOf((await jar.fetch('/mfa/enroll?method=sms', { headers: HTML })).text)
  for (const numbers of [['+15550100001', '+15550100001', '+15550100001', '+15550100001'], ['+15550100002', '+15550100003', '+15550100004']]) {
    const posts = await Promise.all(numbers.map(async (phoneNumber) => await jar.fetch('/mfa/enroll/sms', { form: { _csrf: csrf, phoneNumber }, headers: HTML })))
    t.same(posts.map((r) => [r.status, r.location]), posts.map(() => [303, '/mfa/enroll?method=sms']), `${numbers.length} posts: every one goes to the code step`)
    const sms = (await oktaFactors(app, 'alice@example.com')).filter((f) => f.factorType === 'sms')
    t.same(sms.map((f) => f.status), ['PENDING_ACTIVATION'], 'one pending text-message factor')
  }
})

await t.test('signed in on the way to setting up a factor: once it is set up, the Security page says it was added, not the setup page again', async (t) => {
  const app = await startE2eApp(t)
  const jar = app.jar()
  for (const start of ['/mfa/enroll', '/mfa/%65nroll?method=totp']) {
    const asked = await jar.fetch(start, { headers: HTML })
    t.equal(asked.location, '/login', `${start}, signed out: sign in first`)
  }
  const { csrf, key, factorId } = await startTotpSetup(t, app, jar)
  const activated = await jar.fetch('/mfa/enroll/activate', { form: { _csrf: csrf, factorId, passCode: totp(key, app.clock.now()) }, headers: HTML })
  t.equal(activated.location, '/mfa/done')
  const done = await jar.fetch('/mfa/done', { headers: HTML })
  t.equal(done.location, '/account/security?added=1', 'the page that says the authenticator was added')
  t.match((await jar.fetch(done.location!, { headers: HTML })).text, 'Factor added.')
})

await t.test('a right first code without JavaScript gives its attempt back even once made-up factor ids spent the refund budget', async (t) => {
  const app = await startE2eApp(t)
  const { jar, csrf, key, factorId } = await startTotpSetup(t, app)
  // The gateway beside the pages counts in the same limiter: 32 (8 × 4 attempts) refusals that judged no code.
  const verify = 'mutation ($f: ID!) { verifyFactor(factorId: $f, passCode: "123456") { result } }'
  for (let i = 0; i < 32; i++) {
    const madeUp = (await jar.fetch('/graphql', { json: { query: verify, variables: { f: `ost${String(i).padStart(17, '0')}` } } })).json()
    if (madeUp.errors?.[0]?.extensions?.code !== 'FACTOR_NOT_FOUND') t.fail(`made-up id ${i + 1}: ${JSON.stringify(madeUp.errors)}`)
  }
  const activated = await jar.fetch('/mfa/enroll/activate', { form: { _csrf: csrf, factorId, passCode: totp(key, app.clock.now()) }, headers: HTML })
  t.equal(activated.location, '/mfa/done')
  app.clock.advance(30_000)
  const wrong = String((Number(totp(key, app.clock.now())) + 1) % 1_000_000).padStart(6, '0')
  const judged = (await jar.fetch('/graphql', { json: { query: verify.replace('"123456"', `"${wrong}"`), variables: { f: factorId } } })).json()
  t.match(judged.errors?.[0]?.extensions, { code: 'INVALID_PASSCODE', attemptsRemaining: 3 }, 'the next wrong code has the three attempts after it: the right code took nothing')
})

await t.test('Activate without JavaScript answers as /mfa: x-error-code on a wrong code, 429 with Retry-After and the paused page for the code that starts the pause and any code during it', async (t) => {
  const app = await startE2eApp(t)
  const { jar, csrf, key, factorId } = await startTotpSetup(t, app)
  const wrong = (): string => String((Number(totp(key, app.clock.now())) + 1) % 1_000_000).padStart(6, '0')
  const activate = async (passCode: string): Promise<JarResponse> => await jar.fetch('/mfa/enroll/activate', { form: { _csrf: csrf, factorId, passCode }, headers: HTML })
  const PAUSED = /Too many attempts with a wrong code, so sign-in is paused for this account until \d\d:\d\d UTC \(in about 15 minutes\)\.$/

  for (let i = 1; i <= 3; i++) {
    const res = await activate(wrong())
    t.equal(res.location, '/mfa/enroll?method=totp', `wrong code ${i}: back to the setup, which says how many attempts are left`)
    t.equal(res.headers['x-error-code'], 'INVALID_PASSCODE', `wrong code ${i}: coded, as on /mfa`)
  }
  const starts = await activate(wrong())
  t.equal(starts.status, 429, 'the code that starts the pause: 429, as on /mfa')
  t.equal(starts.headers['x-error-code'], 'INVALID_PASSCODE')
  const wait = Number(starts.headers['retry-after'])
  t.ok(Number.isInteger(wait) && wait > 840 && wait <= 900, `Retry-After: the pause (${String(starts.headers['retry-after'])})`)
  t.equal(h1(starts.text), 'Set up two-step sign-in', 'the setup page itself')
  t.match(errorText(starts.text) ?? '', /^That code didn't match\./, 'it says the code did not match')
  t.match(errorText(starts.text) ?? '', PAUSED, 'and until when sign-in is paused')
  t.notMatch(starts.text, /name="passCode"|data-testid="manual-key"/, 'no code field nor key while paused')

  for (const [label, passCode] of [['a wrong code', wrong()], ['the right code', totp(key, app.clock.now())]] as const) {
    const during = await activate(passCode)
    t.equal(during.status, 429, `${label} during the pause: 429`)
    t.equal(during.headers['x-error-code'], 'LOCKED_OUT')
    const left = Number(during.headers['retry-after'])
    t.ok(Number.isInteger(left) && left >= 1 && left <= wait, `with Retry-After (${String(during.headers['retry-after'])})`)
    t.match(errorText(during.text) ?? '', PAUSED, `${label}: the page says until when`)
    t.notMatch(during.text, /name="passCode"/)
  }
  t.same((await oktaFactors(app, 'alice@example.com')).map((f) => f.status), ['PENDING_ACTIVATION'], 'nothing activated during the pause')
})

await t.test("Activate without JavaScript refused by Okta's rate limit: 429 with Retry-After, the authenticator's setup page itself, its code field kept", async (t) => {
  const app = await startE2eApp(t, { emulator: { quiet: true, rateLimits: { limits: { factors: 40 } } } })
  const { jar, csrf, key, factorId } = await startTotpSetup(t, app)
  // Room for one more call in the factors bucket: the handler's list of factors passes, its activation is refused.
  const aliceId = ((await emuFetch(app.emulator!, 'GET', '/api/v1/users/alice%40example.com')).body as { id: string }).id
  let left = Infinity
  while (left > 1) left = Number((await emuFetch(app.emulator!, 'GET', `/api/v1/users/${aliceId}/factors`)).headers.get('x-rate-limit-remaining'))
  const res = await jar.fetch('/mfa/enroll/activate', { form: { _csrf: csrf, factorId, passCode: totp(key, app.clock.now()) }, headers: HTML })
  t.equal(res.status, 429)
  t.equal(res.headers['x-error-code'], 'RATE_LIMITED')
  const wait = Number(res.headers['retry-after'])
  t.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `Retry-After in seconds (${String(res.headers['retry-after'])})`)
  const said = /id="activate-error">([^<]*)</.exec(res.text)?.[1] ?? ''
  t.match(said, /^Okta is getting too many requests right now/, 'under the code field, what is wrong')
  t.match(said, new RegExp(`Try again in ${wait} seconds?\\.$`), 'and the same wait')
  t.match(res.text, 'data-testid="manual-key"', "the authenticator's step (its key), not the text-message step")
  t.match(res.text, /name="passCode"/, 'the code field kept: the code was not judged')
})

await t.test('a username of only invisible characters is an empty username: said, marked and focused, as spaces are', async (t) => {
  const app = await startE2eApp(t)
  for (const username of ['', '   ', '\u200b', '\u200b \u2060\ufeff']) {
    const jar = app.jar()
    const form = await jar.fetch('/login', { headers: HTML })
    const res = await jar.fetch('/login', { form: { username, password: 'some-password', _csrf: csrfOf(form.text) }, headers: HTML })
    t.equal(res.status, 400, JSON.stringify(username))
    t.equal(errorText(res.text), 'Enter your username.', `${JSON.stringify(username)}: names the empty field`)
    t.match(res.text, /<input id="username"[^>]*autofocus\s+aria-describedby="login-error" aria-invalid="true">/, `${JSON.stringify(username)}: the username marked and focused`)
  }
})

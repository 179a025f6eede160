// How the demo (examples/fastify-app) answers the outcomes it used to word wrongly, over HTTP against the real app:
// Okta's own lockout and a suspended user (403, "ask an administrator", no Retry-After: no wait ends them), an Okta
// that answers 503 to an activation (the attempts given back) or does not answer at all (504 UPSTREAM_TIMEOUT, in its
// own words, as does every page whose list of factors Okta does not give in time), a replayed code that uses the last
// attempt (no advice to wait for the next code), "Send a code" pressed too soon (the session's own wait, not Okta's
// rounded one), and /mfa without a factor (its title is its heading). The sends (Send a code, the setup's texts) and
// the activation without JavaScript answer Okta's lockout as a code does.
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import t, { type Test } from 'tap'
import { RateLimitedError } from '@okta-mfa/client'
import { DEMO_USERS } from '../../examples/fastify-app/dist/index.js'
import { resendWaitSeconds } from '../../examples/fastify-app/dist/routes/mfa.js'
import { csrfOf, errorText, pageText, passwordLogin, startE2eApp, type E2eApp } from '../helpers/e2e-app.js'
import { emuFetch, withEmulator } from '../helpers/emulator.js'
import { faultProxy, type CookieJar, type JarResponse } from '../helpers/http.js'
import { totp } from '../helpers/totp.js'

const HTML = { accept: 'text/html' }
const LOCKED = 'Your account is locked. Ask an administrator to unlock it.'

/** The page's <title> and <h1>, tags dropped. */
function titles (html: string): { title: string | undefined, h1: string | undefined } {
  const strip = (m: RegExpExecArray | null): string | undefined => m?.[1]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()
  // As read (entities decoded): the title is escaped where the heading's literal apostrophe is not.
  return { title: strip(/<title>([\s\S]*?)<\/title>/.exec(html))?.replace(/&#39;/g, "'"), h1: strip(/<h1>([\s\S]*?)<\/h1>/.exec(html))?.replace(/&#39;/g, "'") }
}

/** Posts a code to `path` from the page as served (its CSRF token and form id). */
async function postCode (jar: CookieJar, path: string, passCode: string, extra: Record<string, string> = {}): Promise<JarResponse> {
  const page = await jar.fetch(path, { headers: HTML })
  const formId = /name="formId" value="([^"]+)"/.exec(page.text)?.[1]
  return await jar.fetch(path, { form: { passCode, _csrf: csrfOf(page.text), ...(formId === undefined ? {} : { formId }), ...extra }, headers: HTML })
}

/** What an answer to a code shows when Okta itself locked the account: no wait, an administrator. */
function assertAdminLocked (t: Test, res: JarResponse, label: string): void {
  t.equal(res.status, 403, `${label}: 403, not 429`)
  t.equal(res.headers['x-error-code'], 'LOCKED_OUT', `${label}: coded LOCKED_OUT`)
  t.equal(res.headers['retry-after'], undefined, `${label}: no Retry-After (no wait ends it)`)
  t.equal(errorText(res.text), LOCKED, `${label}: says an administrator unlocks it`)
  // What the page shows: not the table of sentences it gives its script (the setup page's #messages).
  const shown = res.text.replace(/<script type="application\/json"[\s\S]*?<\/script>/g, '')
  t.notMatch(shown, /paused|in \d+ seconds|Too many attempts/, `${label}: no pause, no countdown`)
  t.notMatch(res.text, 'name="passCode"', `${label}: no code field`)
  t.match(res.text, 'href="/logout"', `${label}: a way out`)
}

/** The Okta user's id in the emulator, by login. */
async function oktaUserId (emu: { url: string, token: string }, login: string): Promise<string> {
  return ((await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent(login)}`)).body as { id: string }).id
}

await t.test("Okta's own lockout and a suspended user: 403 and \"ask an administrator\", no Retry-After, on /mfa and the remove page", async (t) => {
  // Okta locks a user at the second wrong code in a row (E0000069); our pause comes at the fourth.
  const app = await startE2eApp(t, { emulator: { quiet: true, lockoutThreshold: 2 } })
  const secret = app.demo!.totpUser.sharedSecret
  const code = (): string => totp(secret, app.clock.now())
  const wrong = (): string => code() === '000000' ? '111111' : '000000'
  const bob = app.jar()
  await passwordLogin(bob, 'bob')
  t.equal((await postCode(bob, '/mfa', code())).status, 303, 'bob signs in with his code')
  const security = await bob.fetch('/account/security', { headers: HTML })
  const removePath = /<a [^>]*class="remove"[^>]*href="([^"]+)"|<a [^>]*href="([^"]+)"[^>]*class="remove"/.exec(security.text)
  const remove = removePath?.[1] ?? removePath?.[2]
  t.ok(remove, 'the Security page links the removal')
  app.clock.advance(30_000)
  // Two wrong codes on the removal step-up: Okta locks bob.
  for (let i = 0; i < 2; i++) t.equal((await postCode(bob, remove!, wrong())).status, 401, `wrong code ${i + 1}: 401`)
  const id = await oktaUserId(app.emulator!, 'bob@example.com')
  t.equal(((await emuFetch(app.emulator!, 'GET', `/api/v1/users/${id}`)).body as { status: string }).status, 'LOCKED_OUT', 'Okta locked the user')
  const removal = await postCode(bob, remove!, code())
  assertAdminLocked(t, removal, 'remove page, right code')
  t.match(removal.text, 'data-testid="locked-way-out"', 'remove page: come back once an administrator unlocked it')
  // A new sign-in: the code page says so at once, before any code; and a code posted anyway is refused the same way.
  const again = app.jar()
  await passwordLogin(again, 'bob')
  const atOnce = await again.fetch('/mfa', { headers: HTML })
  assertAdminLocked(t, atOnce, '/mfa, signing in again')
  t.match(atOnce.text, 'once an administrator has unlocked your account')
  app.clock.advance(30_000)
  const mfa = await again.fetch('/mfa', { form: { passCode: code(), _csrf: csrfOf(atOnce.text) }, headers: HTML })
  assertAdminLocked(t, mfa, '/mfa, right code')
  t.match(mfa.text, 'once an administrator has unlocked your account')
  // Unlocked by an administrator, once the app's own pause (the codes refused meanwhile counted) is over: the code
  // field is back, and the right code signs in.
  await emuFetch(app.emulator!, 'POST', `/api/v1/users/${id}/lifecycle/unlock`)
  app.clock.advance(16 * 60_000)
  const unlocked = await again.fetch('/mfa', { headers: HTML })
  t.equal(unlocked.status, 200, 'unlocked: 200')
  t.match(unlocked.text, 'name="passCode"', 'unlocked: the code field is back')
  app.clock.advance(30_000)
  t.equal((await postCode(again, '/mfa', code())).status, 303, 'unlocked: the right code signs in')

  // A suspended user (E0000038), who typed no wrong code: the same answer, never "too many attempts". His browser
  // was remembered before: Okta still lists his factors, but the device no longer stands in for the code.
  const other = await startE2eApp(t)
  const remembered = other.jar()
  await passwordLogin(remembered, 'bob')
  t.equal((await postCode(remembered, '/mfa', totp(other.demo!.totpUser.sharedSecret, other.clock.now()), { rememberDevice: '1' })).status, 303)
  t.ok(remembered.cookies.has('okta_mfa_device'), 'this browser is remembered')
  await remembered.fetch('/logout', { form: { _csrf: csrfOf((await remembered.fetch('/account', { headers: HTML })).text) } })
  await passwordLogin(remembered, 'bob')
  t.equal((await remembered.fetch('/account', { headers: HTML })).status, 200, 'remembered: no code at the next sign-in')
  await remembered.fetch('/logout', { form: { _csrf: csrfOf((await remembered.fetch('/account', { headers: HTML })).text) } })
  await emuFetch(other.emulator!, 'POST', `/api/v1/users/${await oktaUserId(other.emulator!, 'bob@example.com')}/lifecycle/suspend`)
  await passwordLogin(remembered, 'bob')
  const stopped = await remembered.fetch('/account', { headers: HTML })
  t.not(stopped.status, 200, 'suspended: the remembered browser does not reach the account page')
  t.equal(stopped.location, '/mfa', 'it is sent to the code')
  const susp = other.jar()
  await passwordLogin(susp, 'bob')
  const suspended = await susp.fetch('/mfa', { headers: HTML })
  assertAdminLocked(t, suspended, 'suspended, /mfa at once')
  assertAdminLocked(t, await susp.fetch('/mfa', { form: { passCode: totp(other.demo!.totpUser.sharedSecret, other.clock.now()), _csrf: csrfOf(suspended.text) }, headers: HTML }), 'suspended, /mfa, a code')

  // A user with no active factor yet (alice's setup started: a pending one), whom an administrator deactivated: /mfa
  // and the setup say so at once, with the way out, not "set up an authenticator" and a QR code that cannot be used.
  const alice = other.jar()
  t.equal((await passwordLogin(alice, 'alice')).location, '/mfa/enroll')
  const start = await alice.fetch('/mfa/enroll', { headers: HTML })
  t.equal((await alice.fetch('/mfa/enroll/start', { form: { _csrf: csrfOf(start.text) } })).status, 303, 'the setup started')
  await emuFetch(other.emulator!, 'POST', `/api/v1/users/${await oktaUserId(other.emulator!, 'alice@example.com')}/lifecycle/deactivate`)
  const noFactor = await alice.fetch('/mfa', { headers: HTML })
  assertAdminLocked(t, noFactor, 'deactivated, no active factor, /mfa at once')
  t.notMatch(noFactor.text, 'data-testid="enroll-link"', '/mfa: no invitation to a setup')
  t.match(noFactor.text, 'data-testid="locked-way-out"', '/mfa: sign out, once an administrator')
  const setup = await alice.fetch('/mfa/enroll', { headers: HTML })
  assertAdminLocked(t, setup, 'deactivated, the setup at once')
  t.notMatch(setup.text, 'id="qr"', 'the setup: no QR code')
  t.notMatch(setup.text, 'id="manual-key"', 'the setup: no key')
})

await t.test('Okta answers 503 to an activation: each attempt is given back; no answer at all: 504 UPSTREAM_TIMEOUT in its own words', async (t) => {
  const emu = await withEmulator(t)
  const proxy = await faultProxy(t, emu.url)
  const app = await startE2eApp(t, { orgUrl: proxy.url, token: emu.token, allowInsecureHttp: true, users: DEMO_USERS, clock: emu.clock.now })
  const alice = app.jar()
  t.equal((await passwordLogin(alice, 'alice')).location, '/mfa/enroll', 'alice has no factor yet')
  const start = await alice.fetch('/mfa/enroll', { headers: HTML })
  t.equal((await alice.fetch('/mfa/enroll/start', { form: { _csrf: csrfOf(start.text) } })).status, 303)
  const page = await alice.fetch('/mfa/enroll', { headers: HTML })
  const factorId = /name="factorId" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
  const activate = async (): Promise<JarResponse> => await alice.fetch('/mfa/enroll/activate', { form: { _csrf: csrfOf(page.text), factorId, passCode: emu.totpCode(factorId) }, headers: HTML })

  proxy.hook = (req) => req.method === 'POST' && /\/lifecycle\/activate$/.test(req.url ?? '') ? 503 : undefined
  for (let i = 1; i <= 4; i++) {
    const res = await activate()
    t.same([res.status, res.headers['x-error-code']], [503, 'UPSTREAM_UNAVAILABLE'], `Okta's 503, attempt ${i}: Okta is unavailable`)
  }
  // Okta did not answer in time: it may have judged the code, so the attempt stays counted; the page says what happened.
  proxy.hook = (req) => req.method === 'POST' && /\/lifecycle\/activate$/.test(req.url ?? '') ? 'hang' : undefined
  const slow = await activate()
  t.equal(slow.status, 504, 'a timeout: 504')
  t.equal(slow.headers['x-error-code'], 'UPSTREAM_TIMEOUT', 'coded UPSTREAM_TIMEOUT, not UPSTREAM_UNAVAILABLE')
  t.equal(titles(slow.text).h1, 'Okta is taking too long')
  t.equal(errorText(slow.text), "Okta is taking too long to answer, so we can't check your code. Try again in a minute.")
  t.notMatch(slow.text, /can(?:'|&#39;)t reach it/, 'not "we can\'t reach it"')
  // Okta hangs on the factor list the activation reads first: the same 504 as /mfa gives when its list hangs (it was
  // answered 503 "Okta is unavailable", found by sequences with Okta held between the QR code and the code).
  proxy.hook = (req) => req.method === 'GET' && /\/factors$/.test(req.url ?? '') ? 'hang' : undefined
  const listHangs = await activate()
  t.same([listHangs.status, listHangs.headers['x-error-code']], [504, 'UPSTREAM_TIMEOUT'], 'the list times out: 504 UPSTREAM_TIMEOUT')
  t.equal(errorText(listHangs.text), "Okta is taking too long to answer, so we can't check your code. Try again in a minute.")

  // Okta is back: the right code is taken (the four 503s were given back: no pause for a person who typed no wrong code).
  proxy.hook = () => undefined
  emu.clock.advance(30_000)
  const done = await activate()
  t.equal(done.status, 303, 'the right code is taken')
  t.equal(done.location, '/mfa/done', 'the setup is done')

  // The sign-in form too: a verify Okta does not answer is 504 UPSTREAM_TIMEOUT with the same words.
  const again = app.jar()
  await passwordLogin(again, 'alice')
  proxy.hook = (req) => req.method === 'POST' && /\/verify/.test(req.url ?? '') ? 'hang' : undefined
  emu.clock.advance(30_000)
  const verify = await postCode(again, '/mfa', emu.totpCode(factorId))
  t.same([verify.status, verify.headers['x-error-code']], [504, 'UPSTREAM_TIMEOUT'], '/mfa: 504 UPSTREAM_TIMEOUT')
  t.equal(errorText(verify.text), "Okta is taking too long to answer, so we can't check your code. Try again in a minute.")
  proxy.hook = () => undefined
})

/** Okta's own lockout (E0000069, 403) and a user it suspended or deactivated (E0000038, 403), as the proxy answers them. */
const OKTA_LOCKED = { status: 403, errorCode: 'E0000069' }
const OKTA_SUSPENDED = { status: 403, errorCode: 'E0000038' }

/** The emulator behind the proxy with carol's text-message factor (the demo's seed, as the in-process emulator has it). */
const CAROL_SMS = [{ login: 'carol@example.com', factors: [{ factorType: 'sms' as const, phoneNumber: '+15555550103' }] }]

await t.test('a wrong code sent by e-mail or voice call is worded for it, not as a text message', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'carol@example.com', factors: [{ factorType: 'email' as const, email: 'carol@example.com' }, { factorType: 'call' as const, phoneNumber: '+15555550104' }] }] })
  const app = await startE2eApp(t, { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, users: DEMO_USERS, clock: emu.clock.now })
  const carolId = await oktaUserId(emu, 'carol@example.com')
  const factors = (await emuFetch(emu, 'GET', `/api/v1/users/${carolId}/factors`)).body as Array<{ id: string, factorType: string }>
  const carol = app.jar()
  t.equal((await passwordLogin(carol, 'carol')).location, '/mfa')
  for (const [type, by] of [['email', 'e-mail'], ['call', 'voice call']] as const) {
    const factorId = factors.find((f) => f.factorType === type)!.id
    const page = await carol.fetch(`/mfa?factor=${factorId}`, { headers: HTML })
    await carol.fetch('/mfa/challenge', { form: { _csrf: csrfOf(page.text), factorId, returnTo: `/mfa?factor=${factorId}` }, headers: HTML })
    const wrong = String((Number(emu.messages({ userId: carolId }).at(-1)!.code) + 1) % 1_000_000).padStart(6, '0')
    const res = await postCode(carol, `/mfa?factor=${factorId}`, wrong, { factorId })
    t.equal(res.headers['x-error-code'], 'INVALID_PASSCODE', type)
    t.match(errorText(res.text), new RegExp(`^That code didn't match\\. Enter the code from the latest ${by}, or send a new one\\.`), `${type}: "${by}"`)
    t.notMatch(errorText(res.text) ?? '', /text message/)
  }
})

await t.test('the wait before another code is each factor\'s own and Okta\'s for its channel (e-mail 5 s, call 30 s), worded for an address or a number', async (t) => {
  const SECRET = 'JBSWY3DPEHPK3PXP'
  const emu = await withEmulator(t, { seed: [{ login: 'carol@example.com', factors: [{ factorType: 'email' as const, email: 'carol@example.com' }, { factorType: 'call' as const, phoneNumber: '+15555550104' }, { id: 'ostcarol000000000001', factorType: 'token:software:totp' as const, sharedSecret: SECRET }] }] })
  const app = await startE2eApp(t, { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, users: DEMO_USERS, clock: emu.clock.now })
  const carolId = await oktaUserId(emu, 'carol@example.com')
  const factors = (await emuFetch(emu, 'GET', `/api/v1/users/${carolId}/factors`)).body as Array<{ id: string, factorType: string }>
  const email = factors.find((f) => f.factorType === 'email')!.id
  const call = factors.find((f) => f.factorType === 'call')!.id
  const carol = app.jar()
  t.equal((await passwordLogin(carol, 'carol')).location, '/mfa')
  /** The countdown on factor `id`'s "Send a code" button, on the sign-in page showing that factor; undefined: none. */
  const waitOn = async (id: string): Promise<number | undefined> => {
    const page = await carol.fetch(`/mfa?factor=${id}`, { headers: HTML })
    const form = /<form method="post" action="\/mfa\/challenge"[\s\S]*?name="factorId" value="([^"]+)"[\s\S]*?<button([^>]*)>/.exec(page.text)
    t.equal(form?.[1], id, 'the page shows that factor\'s send button')
    const wait = /data-wait="(\d+)"/.exec(form?.[2] ?? '')?.[1]
    return wait === undefined ? undefined : Number(wait)
  }
  const send = async (jar: CookieJar, factorId: string): Promise<JarResponse> => {
    const page = await jar.fetch(`/mfa?factor=${factorId}`, { headers: HTML })
    return await jar.fetch('/mfa/challenge', { form: { _csrf: csrfOf(page.text), factorId, returnTo: '/mfa' }, headers: HTML })
  }
  t.equal((await send(carol, email)).status, 303, 'a code sent by e-mail')
  t.equal(await waitOn(email), 5, 'the e-mail button counts down Okta\'s 5 s between two e-mails')
  t.equal(await waitOn(call), undefined, 'the voice-call button does not')
  // Another sign-in of carol's asks for an e-mail at once: Okta refuses it, and the page speaks of the address.
  const other = app.jar()
  t.equal((await passwordLogin(other, 'carol')).location, '/mfa')
  const elsewhere = await send(other, email)
  t.equal(elsewhere.status, 429)
  t.match(pageText(elsewhere.text), /A code was sent to this address a moment ago from another sign-in, so another cannot be sent yet\./)
  const called = await send(carol, call)
  t.equal(called.status, 303, 'a call is placed at once (Okta\'s wait is the factor\'s own)')
  t.equal(emu.messages({ userId: carolId }).at(-1)!.channel, 'call')
  t.equal(await waitOn(call), 30, 'the voice-call button counts down 30 s')
  emu.clock.advance(6_000)
  t.same([await waitOn(email), await waitOn(call)], [undefined, 24], 'the e-mail may be sent again after 5 s, the call not')
  emu.clock.advance(25_000)
  t.same([await waitOn(email), await waitOn(call)], [undefined, undefined], 'and neither waits once Okta\'s 30 s are over')
  // Signed in with the app, the removal page offers every factor: its help names each way a code is sent.
  t.equal((await postCode(carol, '/mfa', totp(SECRET, emu.clock.now()), { factorId: 'ostcarol000000000001' })).status, 303)
  const remove = await carol.fetch(`/account/security/remove/${email}`, { headers: HTML })
  t.match(pageText(remove.text), /Enter the 6-digit code from your authenticator app, or send yourself a code by voice call or e-mail\./)
  t.notMatch(pageText(remove.text), /text message/)
})

await t.test('"Send a code", the text of the setup and its "Send a new code" to a user Okta locked or suspended: 403 "ask an administrator", as a code', async (t) => {
  const emu = await withEmulator(t, { seed: CAROL_SMS })
  const proxy = await faultProxy(t, emu.url)
  const app = await startE2eApp(t, { orgUrl: proxy.url, token: emu.token, allowInsecureHttp: true, users: DEMO_USERS, clock: emu.clock.now })
  const carolId = await oktaUserId(emu, 'carol@example.com')
  const carol = app.jar()
  t.equal((await passwordLogin(carol, 'carol')).location, '/mfa')
  const carolSms = ((await emuFetch(emu, 'GET', `/api/v1/users/${carolId}/factors`)).body as Array<{ id: string, factorType: string }>).find((f) => f.factorType === 'sms')!.id
  /**
   * "Send a code" from `from` (/mfa or a removal page), as its form posts it (a page that already says the account is
   * locked has no such form: the post a page loaded before the lock would send).
   */
  const sendCode = async (from: string): Promise<JarResponse> => {
    const page = await carol.fetch(from, { headers: HTML })
    const factorId = /action="\/mfa\/challenge"[\s\S]*?name="factorId" value="([^"]+)"/.exec(page.text)?.[1] ?? carolSms
    return await carol.fetch('/mfa/challenge', { form: { _csrf: csrfOf(page.text), factorId, returnTo: from }, headers: HTML })
  }
  const lastCode = (): string => emu.messages({ userId: carolId }).at(-1)!.code

  // Suspended (the emulator's own answer to the send, E0000038), then Okta's lockout (E0000069): the send is refused.
  await emuFetch(emu, 'POST', `/api/v1/users/${carolId}/lifecycle/suspend`)
  assertAdminLocked(t, await carol.fetch('/mfa', { headers: HTML }), 'suspended, /mfa at once')
  const suspended = await sendCode('/mfa')
  assertAdminLocked(t, suspended, 'suspended, Send a code on /mfa')
  t.match(suspended.text, 'data-testid="locked-way-out"', 'come back once an administrator has acted')
  await emuFetch(emu, 'POST', `/api/v1/users/${carolId}/lifecycle/unsuspend`)
  proxy.hook = (req) => /\/verify/.test(req.url ?? '') ? OKTA_LOCKED : undefined
  assertAdminLocked(t, await sendCode('/mfa'), 'Okta-locked, Send a code on /mfa')
  proxy.hook = () => undefined

  // Signed in by text message; the removal page's "Send a code" answers Okta's lockout the same way, on that page.
  t.equal((await sendCode('/mfa')).status, 303, 'the code is sent')
  const smsId = ((await emuFetch(emu, 'GET', `/api/v1/users/${carolId}/factors`)).body as Array<{ id: string }>)[0]!.id
  t.equal((await postCode(carol, '/mfa', lastCode(), { factorId: smsId })).status, 303, 'carol signs in with it')
  const remove = `/account/security/remove/${smsId}`
  emu.clock.advance(31_000)
  proxy.hook = (req) => /\/verify/.test(req.url ?? '') ? OKTA_LOCKED : undefined
  const onRemove = await sendCode(remove)
  assertAdminLocked(t, onRemove, 'Okta-locked, Send a code on the removal page')
  t.match(onRemove.text, /<h1>Remove /, 'the removal page itself')
  t.match(onRemove.text, 'data-testid="locked-way-out"', 'with its way out')
  proxy.hook = () => undefined

  // The text-message setup without JavaScript (alice, no factor yet): the text itself, then "Send a new code".
  const alice = app.jar()
  t.equal((await passwordLogin(alice, 'alice')).location, '/mfa/enroll')
  const phone = await alice.fetch('/mfa/enroll?method=sms', { headers: HTML })
  const text = async (): Promise<JarResponse> => await alice.fetch('/mfa/enroll/sms', { form: { _csrf: csrfOf(phone.text), phoneNumber: '+15555550142' }, headers: HTML })
  for (const [label, fault] of [['Okta-locked', OKTA_LOCKED], ['suspended', OKTA_SUSPENDED]] as const) {
    proxy.hook = (req) => req.method === 'POST' && /\/factors$/.test(req.url ?? '') ? fault : undefined
    const refused = await text()
    assertAdminLocked(t, refused, `${label}, the setup's text (form)`)
    t.notMatch(refused.text, 'id="phone"', `${label}: no phone field either`)
    t.match(refused.text, 'once an administrator has unlocked your account', `${label}: an administrator is the way out`)
  }
  proxy.hook = () => undefined
  t.equal((await text()).status, 303, 'the text goes once Okta takes it')
  const step = await alice.fetch('/mfa/enroll?method=sms', { headers: HTML })
  const factorId = /name="factorId" value="([^"]+)"/.exec(step.text)?.[1] ?? ''
  emu.clock.advance(31_000)
  proxy.hook = (req) => /\/resend$/.test(req.url ?? '') ? OKTA_LOCKED : undefined
  const resent = await alice.fetch('/mfa/enroll/resend', { form: { _csrf: csrfOf(step.text), factorId }, headers: HTML })
  assertAdminLocked(t, resent, 'Okta-locked, Send a new code (form)')
  const json = await alice.fetch('/mfa/enroll/resend', { json: { factorId }, headers: { 'x-csrf-token': csrfOf(step.text), accept: 'application/json' } })
  t.equal(json.status, 403, 'Send a new code (JSON, enroll.js): 403')
  t.equal(json.headers['x-error-code'], 'LOCKED_OUT')
  t.equal(json.headers['retry-after'], undefined, 'no Retry-After')
  t.same(json.json(), { error: { code: 'LOCKED_OUT' } }, 'coded JSON, no wait in it')
  proxy.hook = () => undefined
})

await t.test('the setup without JavaScript when Okta refuses the activation as locked or suspended: 403, no QR code nor code field, an administrator', async (t) => {
  const emu = await withEmulator(t)
  const proxy = await faultProxy(t, emu.url)
  const app = await startE2eApp(t, { orgUrl: proxy.url, token: emu.token, allowInsecureHttp: true, users: DEMO_USERS, clock: emu.clock.now })
  const alice = app.jar()
  await passwordLogin(alice, 'alice')
  const start = await alice.fetch('/mfa/enroll', { headers: HTML })
  t.equal((await alice.fetch('/mfa/enroll/start', { form: { _csrf: csrfOf(start.text) } })).status, 303)
  const page = await alice.fetch('/mfa/enroll', { headers: HTML })
  const factorId = /name="factorId" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
  for (const [label, fault] of [['Okta-locked', OKTA_LOCKED], ['suspended', OKTA_SUSPENDED]] as const) {
    proxy.hook = (req) => /\/lifecycle\/activate$/.test(req.url ?? '') ? fault : undefined
    const res = await alice.fetch('/mfa/enroll/activate', { form: { _csrf: csrfOf(page.text), factorId, passCode: emu.totpCode(factorId) }, headers: HTML })
    assertAdminLocked(t, res, `${label}, Activate (form)`)
    t.notMatch(res.text, /id="qr"|id="manual-key"/, `${label}: no QR code nor key`)
    t.match(res.text, 'data-testid="locked-way-out"><a href="/logout">Sign out</a> and sign in again once an administrator has unlocked your account.', `${label}: the way out enroll.js shows too`)
  }
  proxy.hook = () => undefined
})

/** alice signed in and at the code step of a text-message setup (a code sent to +15555550142): the step's page and factor. */
async function aliceAtTextCode (t: Test, app: E2eApp): Promise<{ alice: CookieJar, step: JarResponse, factorId: string }> {
  const alice = app.jar()
  await passwordLogin(alice, 'alice')
  const phone = await alice.fetch('/mfa/enroll?method=sms', { headers: HTML })
  t.equal((await alice.fetch('/mfa/enroll/sms', { form: { _csrf: csrfOf(phone.text), phoneNumber: '+15555550142' } })).status, 303, 'alice starts a text-message setup')
  const step = await alice.fetch('/mfa/enroll?method=sms', { headers: HTML })
  return { alice, step, factorId: /name="factorId" value="([^"]+)"/.exec(step.text)?.[1] ?? '' }
}

await t.test('a timeout after the removal\'s code, and of "Send a new code" with JavaScript: 504 UPSTREAM_TIMEOUT in the words of the moment', async (t) => {
  const emu = await withEmulator(t, { seed: CAROL_SMS })
  const proxy = await faultProxy(t, emu.url)
  const app = await startE2eApp(t, { orgUrl: proxy.url, token: emu.token, allowInsecureHttp: true, users: DEMO_USERS, clock: emu.clock.now })
  const carolId = await oktaUserId(emu, 'carol@example.com')
  const carol = app.jar()
  await passwordLogin(carol, 'carol')
  const sendCode = async (from: string): Promise<void> => {
    const page = await carol.fetch(from, { headers: HTML })
    const factorId = /action="\/mfa\/challenge"[\s\S]*?name="factorId" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
    t.equal((await carol.fetch('/mfa/challenge', { form: { _csrf: csrfOf(page.text), factorId, returnTo: from } })).status, 303, `a code is sent (${from})`)
  }
  const lastCode = (): string => emu.messages({ userId: carolId }).at(-1)!.code
  await sendCode('/mfa')
  const smsId = ((await emuFetch(emu, 'GET', `/api/v1/users/${carolId}/factors`)).body as Array<{ id: string }>)[0]!.id
  t.equal((await postCode(carol, '/mfa', lastCode(), { factorId: smsId })).status, 303, 'carol signs in')
  const remove = `/account/security/remove/${smsId}`

  // The code passes, then Okta does not answer the deletion in time: it may have removed it, so the page cannot say.
  emu.clock.advance(31_000)
  await sendCode(remove)
  proxy.hook = (req) => req.method === 'DELETE' ? 'hang' : undefined
  const slow = await postCode(carol, remove, lastCode(), { factorId: smsId })
  t.same([slow.status, slow.headers['x-error-code']], [504, 'UPSTREAM_TIMEOUT'], 'the removal times out: 504 UPSTREAM_TIMEOUT')
  t.equal(titles(slow.text).h1, 'Okta is taking too long')
  t.equal(errorText(slow.text), "Okta is taking too long to answer, so we can't tell whether your sign-in method was removed. Try again in a minute.")
  // Okta unreachable for the deletion: said as a removal too, not "load your sign-in methods".
  emu.clock.advance(31_000)
  proxy.hook = () => undefined
  await sendCode(remove)
  proxy.hook = (req) => req.method === 'DELETE' ? 503 : undefined
  const down = await postCode(carol, remove, lastCode(), { factorId: smsId })
  t.same([down.status, down.headers['x-error-code']], [503, 'UPSTREAM_UNAVAILABLE'], 'Okta down for the removal: 503')
  t.equal(errorText(down.text), "Okta is unavailable right now (we can't reach it), so we can't remove your sign-in method. Try again in a minute.")
  proxy.hook = () => undefined

  // "Send a new code" of a resumed text-message setup, as enroll.js sends it (JSON): Okta does not answer in time.
  const { alice, step, factorId } = await aliceAtTextCode(t, app)
  emu.clock.advance(31_000)
  proxy.hook = (req) => /\/resend$/.test(req.url ?? '') ? 'hang' : undefined
  const json = await alice.fetch('/mfa/enroll/resend', { json: { factorId }, headers: { 'x-csrf-token': csrfOf(step.text), accept: 'application/json' } })
  t.same([json.status, json.headers['x-error-code']], [504, 'UPSTREAM_TIMEOUT'], 'JSON resend times out: 504 UPSTREAM_TIMEOUT')
  t.same(json.json(), { error: { code: 'UPSTREAM_TIMEOUT' } })
  // The page gives enroll.js a send's words for it (and for an outage), not "check your code".
  const messages = JSON.parse(/<script type="application\/json" id="messages">([\s\S]*?)<\/script>/.exec(step.text)![1]!) as Record<string, string>
  t.equal(messages.SEND_TIMEOUT, "Okta is taking too long to answer, so we can't tell whether your code was sent. Try again in a minute.")
  t.equal(messages.SEND_UNAVAILABLE, "Okta is unavailable right now (we can't reach it), so we can't send you a code. Try again in a minute.")
  proxy.hook = () => undefined
})

await t.test('Okta does not answer the list of factors: every page that reads it is 504 UPSTREAM_TIMEOUT "taking too long" (503 when unreachable)', async (t) => {
  const emu = await withEmulator(t, { seed: CAROL_SMS })
  const proxy = await faultProxy(t, emu.url)
  const app = await startE2eApp(t, { orgUrl: proxy.url, token: emu.token, allowInsecureHttp: true, users: DEMO_USERS, clock: emu.clock.now })
  const carolId = await oktaUserId(emu, 'carol@example.com')
  const smsId = ((await emuFetch(emu, 'GET', `/api/v1/users/${carolId}/factors`)).body as Array<{ id: string }>)[0]!.id
  // carol signs in with her text message: the pages behind MFA; alice starts a text-message setup: the setup's routes.
  const carol = app.jar()
  await passwordLogin(carol, 'carol')
  const mfa = await carol.fetch('/mfa', { headers: HTML })
  t.equal((await carol.fetch('/mfa/challenge', { form: { _csrf: csrfOf(mfa.text), factorId: smsId, returnTo: '/mfa' } })).status, 303, 'a code is sent')
  t.equal((await postCode(carol, '/mfa', emu.messages({ userId: carolId }).at(-1)!.code, { factorId: smsId })).status, 303, 'carol signs in')
  const { alice, step, factorId: pendingId } = await aliceAtTextCode(t, app)
  const [carolCsrf, aliceCsrf] = [csrfOf((await carol.fetch('/mfa', { headers: HTML })).text), csrfOf(step.text)]
  const asJson = { 'x-csrf-token': aliceCsrf, accept: 'application/json' }
  /** Every route that reads the list first, at once (each waits for the client's timeout). */
  const all = async (): Promise<Record<string, JarResponse>> => {
    const named = {
      'GET /mfa': carol.fetch('/mfa', { headers: HTML }),
      'POST /mfa/challenge': carol.fetch('/mfa/challenge', { form: { _csrf: carolCsrf, factorId: smsId, returnTo: '/mfa' }, headers: HTML }),
      'GET the removal page': carol.fetch(`/account/security/remove/${smsId}`, { headers: HTML }),
      'GET /account': carol.fetch('/account', { headers: HTML }),
      'GET /account/security': carol.fetch('/account/security', { headers: HTML }),
      'GET /mfa/enroll': alice.fetch('/mfa/enroll', { headers: HTML }),
      'POST /mfa/enroll/start': alice.fetch('/mfa/enroll/start', { form: { _csrf: aliceCsrf }, headers: HTML }),
      'POST /mfa/enroll/sms': alice.fetch('/mfa/enroll/sms', { form: { _csrf: aliceCsrf, phoneNumber: '+15555550143' }, headers: HTML }),
      'POST /mfa/enroll/resend': alice.fetch('/mfa/enroll/resend', { form: { _csrf: aliceCsrf, factorId: pendingId }, headers: HTML }),
      'POST /mfa/enroll/resend (JSON)': alice.fetch('/mfa/enroll/resend', { json: { factorId: pendingId }, headers: asJson }),
      'POST /mfa/enroll/restart': alice.fetch('/mfa/enroll/restart', { form: { _csrf: aliceCsrf, factorType: 'SMS' }, headers: HTML }),
      'POST /mfa/enroll/restart (JSON)': alice.fetch('/mfa/enroll/restart', { json: { factorType: 'SMS' }, headers: asJson }),
    }
    const answers = await Promise.all(Object.values(named))
    return Object.fromEntries(Object.keys(named).map((k, i) => [k, answers[i]!]))
  }
  const pages = ['GET /account', 'GET /account/security']

  proxy.hook = (req) => req.method === 'GET' && /\/factors$/.test(req.url ?? '') ? 'hang' : undefined
  for (const [route, res] of Object.entries(await all())) {
    if (pages.includes(route)) {
      // The page itself, with the list's place saying what happened.
      t.equal(res.status, 200, `${route}: the page`)
      t.match(res.text, "Okta is taking too long to answer, so we can&#39;t load your sign-in methods.", `${route}: "taking too long" where the list goes`)
      t.notMatch(res.text, /can(?:'|&#39;)t reach it/, `${route}: not "we can't reach it"`)
    } else if (route.endsWith('(JSON)')) {
      t.same([res.status, res.headers['x-error-code'], res.json()], [504, 'UPSTREAM_TIMEOUT', { error: { code: 'UPSTREAM_TIMEOUT' } }], `${route}: 504 UPSTREAM_TIMEOUT`)
    } else {
      t.same([res.status, res.headers['x-error-code']], [504, 'UPSTREAM_TIMEOUT'], `${route}: 504 UPSTREAM_TIMEOUT`)
      t.equal(titles(res.text).h1, 'Okta is taking too long', `${route}: its title`)
      // Nothing was sent or checked yet: the list is what Okta did not give.
      t.equal(errorText(res.text), "Okta is taking too long to answer, so we can't load your sign-in methods. Try again in a minute.", `${route}: in the list's words`)
    }
  }

  // Okta down (503), or a firewall in front of it answering a page of its own (not Okta's answer): unavailable.
  for (const [label, fault] of [['Okta down', 503], ["a firewall's 403 page", { status: 403, page: '<html>Request blocked</html>' }]] as const) {
    proxy.hook = (req) => req.method === 'GET' && /\/factors$/.test(req.url ?? '') ? fault : undefined
    const down = await all()
    for (const [route, res] of Object.entries(down)) {
      if (pages.includes(route)) {
        t.match(res.text, "Okta is unavailable right now (we can&#39;t reach it), so we can&#39;t load your sign-in methods.", `${route}, ${label}: "unavailable"`)
      } else {
        t.same([res.status, res.headers['x-error-code']], [503, 'UPSTREAM_UNAVAILABLE'], `${route}, ${label}: 503 UPSTREAM_UNAVAILABLE`)
      }
    }
    t.equal(errorText(down['POST /mfa/enroll/sms']!.text), "Okta is unavailable right now (we can't reach it), so we can't send you a code. Try again in a minute.", `${label}: a text that cannot be sent says so`)
  }
  // The list read, the send itself refused or unanswered (*Send a code* on /mfa): the page that says so, as a text of
  // the setup gets, not /mfa again.
  for (const [label, fault, status, code, said] of [
    ['Okta down', 503, 503, 'UPSTREAM_UNAVAILABLE', "Okta is unavailable right now (we can't reach it), so we can't send you a code. Try again in a minute."],
    ['Okta silent', 'hang', 504, 'UPSTREAM_TIMEOUT', "Okta is taking too long to answer, so we can't tell whether your code was sent. Try again in a minute."],
  ] as const) {
    proxy.hook = (req) => req.method === 'POST' && /\/verify$/.test(req.url ?? '') ? fault : undefined
    const sent = await carol.fetch('/mfa/challenge', { form: { _csrf: carolCsrf, factorId: smsId, returnTo: '/mfa' }, headers: HTML })
    t.same([sent.status, sent.headers['x-error-code'], errorText(sent.text)], [status, code, said], `Send a code, ${label}: ${status} ${code} in a send's words`)
    if (status === 503) t.equal(sent.headers['retry-after'], '60', 'with Retry-After')
  }
  proxy.hook = () => undefined
  t.equal((await alice.fetch('/mfa/enroll?method=sms', { headers: HTML })).status, 200, 'Okta back: the setup page')
})

await t.test('a code already used that uses the last attempt: "already used" and the pause, no advice to wait for a new code', async (t) => {
  const app = await startE2eApp(t)
  const secret = app.demo!.totpUser.sharedSecret
  const used = totp(secret, app.clock.now())
  const first = app.jar()
  await passwordLogin(first, 'bob')
  t.equal((await postCode(first, '/mfa', used)).status, 303, 'the code is used in one browser')
  const bob = app.jar()
  await passwordLogin(bob, 'bob')
  const wrong = used === '000000' ? '111111' : '000000'
  for (let i = 0; i < 3; i++) t.equal((await postCode(bob, '/mfa', wrong)).status, 401)
  const last = await postCode(bob, '/mfa', used)
  t.equal(last.status, 429)
  t.equal(last.headers['x-error-code'], 'PASSCODE_REPLAYED')
  const said = errorText(last.text) ?? ''
  t.match(said, /^That code was already used\. Too many attempts with a wrong code, so sign-in is paused for this account until \d\d:\d\d UTC \(in about 15 minutes\)\.$/, 'the code was used, and the pause')
  t.notMatch(said, /Wait for your app|enter the new one/, 'no "wait for a new code" next to "paused for 15 minutes"')
})

await t.test('the wrong code that uses the last attempt: "didn\'t match" and the pause, no advice to enter or send another code (app and text message)', async (t) => {
  const app = await startE2eApp(t)
  for (const who of ['bob', 'carol']) {
    const jar = app.jar()
    await passwordLogin(jar, who)
    const extra: Record<string, string> = {}
    if (who === 'carol') {
      // A text is sent first, as a person does: the codes typed are then wrong ones, not codes never sent.
      const page = await jar.fetch('/mfa', { headers: HTML })
      extra['factorId'] = /name="factorId" value="([^"]+)"/.exec(page.text)![1]!
      t.equal((await jar.fetch('/mfa/challenge', { form: { factorId: extra['factorId'], returnTo: '/mfa', _csrf: csrfOf(page.text) } })).status, 303)
    }
    const sent = app.emulator?.lastMessage({ factorId: extra['factorId'] ?? '' })?.code
    const wrong = sent === '000000' ? '111111' : '000000'
    for (let i = 0; i < 3; i++) t.equal((await postCode(jar, '/mfa', wrong, extra)).status, 401, `${who}: wrong code ${i + 1}`)
    const last = await postCode(jar, '/mfa', wrong, extra)
    t.equal(last.status, 429)
    const said = errorText(last.text) ?? ''
    t.match(said, /^That code didn't match\. Too many attempts with a wrong code, so sign-in is paused for this account until \d\d:\d\d UTC \(in about 15 minutes\)\.$/, `${who}: the code was wrong, and the pause`)
    t.notMatch(said, /Check that|enter the current code|send a new one|latest text/, `${who}: no advice about a next code while paused`)
    t.notOk(last.text.includes('name="passCode"'), `${who}: and no code field`)
  }
})

await t.test('"Send a code" pressed too soon: the wait said is the session\'s own (from the last send), not Okta\'s rounded reset', async (t) => {
  const app = await startE2eApp(t)
  const carol = app.jar()
  await passwordLogin(carol, 'carol')
  const resendSeconds = (html: string): number | undefined => {
    const m = /You can ask for another code in <span[^>]*>(\d+)<\/span> s\./.exec(html)
    return m === null ? undefined : Number(m[1])
  }
  const send = async (): Promise<JarResponse> => {
    const page = await carol.fetch('/mfa', { headers: HTML })
    const factorId = /action="\/mfa\/challenge"[\s\S]*?name="factorId" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
    const res = await carol.fetch('/mfa/challenge', { form: { _csrf: csrfOf(page.text), factorId, returnTo: '/mfa' } })
    // Sent: on to the page (303). Too soon: the page itself, 429 with Retry-After.
    return res.status === 303 ? await carol.fetch(res.location!, { headers: HTML }) : res
  }
  app.clock.advance(600) // a send in the middle of a second: Okta's reset (whole seconds) is then longer than the wait
  t.equal(resendSeconds((await send()).text), 30, 'first send: 30 s')
  app.clock.advance(10_100)
  t.equal(resendSeconds((await carol.fetch('/mfa', { headers: HTML })).text), 20, 'the page before pressing again: 20 s')
  const soon = await send()
  t.match(soon.text, 'We sent you a code a moment ago: use that one.')
  t.equal(resendSeconds(soon.text), 20, 'pressed too soon: still 20 s (the true wait), not Okta\'s 21')
  t.equal(soon.status, 429, 'pressed too soon: 429, as the setup\'s Send a new code')
  t.equal(soon.headers['retry-after'], '20', '... with the same wait in Retry-After')
  t.equal(soon.headers['x-error-code'], 'RATE_LIMITED')
  // The text Okta counts was sent by another sign-in (another browser): its code may be used already, not "use that one".
  const other = app.jar()
  await passwordLogin(other, 'carol')
  const page = await other.fetch('/mfa', { headers: HTML })
  const factorId = /action="\/mfa\/challenge"[\s\S]*?name="factorId" value="([^"]+)"/.exec(page.text)?.[1] ?? ''
  const elsewhere = await other.fetch('/mfa/challenge', { form: { _csrf: csrfOf(page.text), factorId, returnTo: '/mfa' }, headers: HTML })
  t.equal(elsewhere.status, 429, 'refused by Okta as too soon: 429')
  t.equal(elsewhere.headers['retry-after'], String(resendSeconds(elsewhere.text)), "Retry-After is the wait the page states (Okta's)")
  t.match(elsewhere.text, 'A code was sent to this number a moment ago from another sign-in, so another cannot be sent yet.')
  t.notMatch(elsewhere.text, 'use that one', 'no advice to use a code this sign-in never got')
  t.ok((resendSeconds(elsewhere.text) ?? 0) > 0, "with Okta's wait")
})

await t.test('the text-message setup without JavaScript: "Send a new code" too soon says the wait from the last text, in Retry-After too', async (t) => {
  const app = await startE2eApp(t)
  const alice = app.jar()
  await passwordLogin(alice, 'alice')
  const phone = await alice.fetch('/mfa/enroll?method=sms', { headers: HTML })
  app.clock.advance(600) // the text goes in the middle of a second: Okta's reset (whole seconds) is then longer than the wait
  t.equal((await alice.fetch('/mfa/enroll/sms', { form: { _csrf: csrfOf(phone.text), phoneNumber: '+15555550142' } })).status, 303)
  const step = await alice.fetch('/mfa/enroll?method=sms', { headers: HTML })
  const factorId = /name="factorId" value="([^"]+)"/.exec(step.text)?.[1] ?? ''
  app.clock.advance(10_100)
  const soon = await alice.fetch('/mfa/enroll/resend', { form: { _csrf: csrfOf(step.text), factorId }, headers: HTML })
  t.equal(soon.status, 429)
  t.equal(soon.headers['retry-after'], '20', 'Retry-After: the 20 s left since the text, not Okta\'s rounded 21')
  t.match(soon.text, 'You can ask for another code in 20 seconds.', 'the page says the same wait')
})

await t.test('the README\'s way to add a text message ("Security → Add a factor") is the way the pages go', async (t) => {
  const readme = readFileSync(new URL('../../examples/fastify-app/README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ')
  const path = /add an sms factor to alice from \*([^*]+)\*/.exec(readme)?.[1]
  t.equal(path, 'Security → Add a factor', 'the README names the steps a person takes')
  const app = await startE2eApp(t)
  const bob = app.jar() // an authenticator already active, as alice's is by then
  await passwordLogin(bob, 'bob')
  t.equal((await postCode(bob, '/mfa', totp(app.demo!.totpUser.sharedSecret, app.clock.now()))).status, 303)
  const security = await bob.fetch('/account/security', { headers: HTML })
  const add = /<a [^>]*href="([^"]+)"[^>]*>Add a factor<\/a>/.exec(security.text)?.[1]
  t.equal(add, '/mfa/enroll', 'Security has "Add a factor"')
  const page = await bob.fetch(add!, { headers: HTML })
  t.match(page.text, 'Using text messages.', 'which opens the text-message setup at once')
  t.match(page.text, 'id="phone"', 'at its phone step')
  t.notMatch(page.text, />\s*Text message\s*</, 'no "Text message" step to look for')
})

await t.test('/mfa for a signed-in person without a factor: the title says what the heading says', async (t) => {
  const app: E2eApp = await startE2eApp(t)
  const alice = app.jar()
  await passwordLogin(alice, 'alice')
  const page = await alice.fetch('/mfa', { headers: HTML })
  t.equal(page.status, 200)
  t.same(titles(page.text), { title: 'Set up two-step sign-in · okta-mfa demo', h1: 'Set up two-step sign-in' })
})

await t.test('/mfa in its other states: each title is its heading, character for character (apostrophe included)', async (t) => {
  const app: E2eApp = await startE2eApp(t)
  const bob = app.jar()
  await passwordLogin(bob, 'bob')
  const code = await bob.fetch('/mfa', { headers: HTML })
  t.same(titles(code.text), { title: "Confirm it's you · okta-mfa demo", h1: "Confirm it's you" }, 'the code page')
  // Only a method the pages cannot use (a security question, enrolled through the gateway before any other factor).
  const alice = app.jar()
  await passwordLogin(alice, 'alice')
  await alice.fetch('/graphql', { json: { query: 'mutation { enrollFactor(input: { factorType: QUESTION, question: "disliked_food", answer: "broccoli pie" }) { factor { status } } }' } })
  const unusable = await alice.fetch('/mfa', { headers: HTML })
  t.equal(unusable.status, 403)
  t.same(titles(unusable.text), { title: "This app can't use your sign-in methods · okta-mfa demo", h1: "This app can't use your sign-in methods" }, 'unusable methods')
})

await t.test('closing (SIGTERM) with a request in flight: it is answered with Connection: close, so its socket does not hold the close', async (t) => {
  const app = await startE2eApp(t)
  const body = 'username=bob&password=nope'
  const socket = connect(Number(new URL(app.url).port), '127.0.0.1')
  t.teardown(() => socket.destroy())
  await once(socket, 'connect')
  const ended = once(socket, 'close')
  let answer = ''
  socket.on('data', (d: Buffer) => { answer += d.toString() })
  // A keep-alive request whose body is still arriving when the demo starts closing.
  socket.write(`POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const closed = app.app.close()
  await new Promise((resolve) => setTimeout(resolve, 50))
  socket.write(body.slice(5))
  await closed // without Connection: close the client kept the socket and close() waited for the 72 s keep-alive timeout
  await ended
  const head = answer.split('\r\n\r\n')[0]!
  t.match(head, /^HTTP\/1\.1 \d{3} /, 'the request in flight is answered')
  t.match(head, /\r\nconnection: close\r\n/i, 'and told the connection ends')
})

await t.test('a copy of a signed-out cookie is never written again with the user in it: it cannot outlive its revocation', async (t) => {
  const app = await startE2eApp(t)
  const bob = app.jar()
  await passwordLogin(bob, 'bob')
  t.equal((await postCode(bob, '/mfa', totp(app.demo!.totpUser.sharedSecret, app.clock.now()))).status, 303, 'bob signs in with his code')
  const copy = app.jar()
  for (const [k, v] of bob.cookies) copy.cookies.set(k, v)
  const page = await bob.fetch('/account', { headers: HTML })
  t.equal(page.status, 200)
  t.equal((await bob.fetch('/logout', { form: { _csrf: csrfOf(page.text) }, headers: HTML })).status, 303, 'logout')
  // The copy opens a protected page: refused, and the cookie it is given back (a new session-cookie timestamp, so a
  // renewed lifetime) holds nobody.
  const refused = await copy.fetch('/account', { headers: HTML })
  t.equal(refused.location, '/login', 'the copy is refused')
  t.match(String(refused.headers['set-cookie']), /session=/, 'and given a cookie again (the page to come back to)')
  // Once the revocation is forgotten (25 h on the app's clock), that renewed cookie still signs nobody in.
  app.clock.advance(25 * 60 * 60_000 + 60_000)
  t.equal((await copy.fetch('/account', { headers: HTML })).location, '/login', 'the renewed cookie holds no user')
})

void t.test("Okta's \"too soon\" whose reset has just arrived: a wait of 1 s, not the 30 s of no reset", (t) => {
  const tooSoon = (retryAfterSeconds: number | undefined): number | undefined =>
    resendWaitSeconds(new RateLimitedError({ status: 429, errorCode: 'E0000109', errorSummary: 'An SMS message was recently sent.', retryAfterSeconds, resetAt: undefined }))
  t.equal(tooSoon(0), 1, 'reset now: 1 s')
  t.equal(tooSoon(12), 12, 'a reset ahead: its wait')
  t.equal(tooSoon(undefined), 30, 'no reset: the 30 s between two texts')
  t.end()
})

await t.test('closing (SIGTERM) while a request body stalls: the connection is cut after the grace period, close() ends', async (t) => {
  const app = await startE2eApp(t)
  const socket = connect(Number(new URL(app.url).port), '127.0.0.1')
  t.teardown(() => socket.destroy())
  await once(socket, 'connect')
  const ended = once(socket, 'close')
  socket.on('error', () => {})
  // Node no longer enforces its request timeout once the server closes: this body never comes.
  socket.write('POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nuser')
  await new Promise((resolve) => setTimeout(resolve, 50))
  await app.app.close() // without the cut, it never resolved (the test timed out)
  await ended
  t.pass('closed, the stalled connection cut')
})

await t.test("a proxy's 404 page on removing a pending factor is Okta unavailable, not \"already removed\"", async (t) => {
  const emu = await withEmulator(t)
  const proxy = await faultProxy(t, emu.url)
  const app = await startE2eApp(t, { orgUrl: proxy.url, token: emu.token, allowInsecureHttp: true, users: DEMO_USERS, clock: emu.clock.now })
  const alice = app.jar()
  t.equal((await passwordLogin(alice, 'alice')).location, '/mfa/enroll')
  const start = await alice.fetch('/mfa/enroll', { headers: HTML })
  t.equal((await alice.fetch('/mfa/enroll/start', { form: { _csrf: csrfOf(start.text) } })).status, 303)
  const pending = await alice.fetch('/mfa/enroll', { headers: HTML })
  const factorId = /name="factorId" value="([^"]+)"/.exec(pending.text)?.[1] ?? ''
  t.ok(factorId !== '', 'a pending factor')
  // Okta's own 404 carries its E0000007 body; this one is a page of something in front of it.
  proxy.hook = (req) => req.method === 'DELETE' ? { status: 404, type: 'text/html', page: '<html><body><h1>404 Not Found</h1></body></html>' } : undefined
  const restart = await alice.fetch('/mfa/enroll/restart', { json: { factorType: 'TOTP' }, headers: { 'x-csrf-token': csrfOf(pending.text) } })
  t.same([restart.status, restart.json().error?.code], [503, 'UPSTREAM_UNAVAILABLE'], 'the restart says Okta is unavailable')
  proxy.hook = () => undefined
  const listed = await emuFetch(emu, 'GET', `/api/v1/users/${await oktaUserId(emu, 'alice@example.com')}/factors`)
  t.ok((listed.body as Array<{ id: string }>).some((f) => f.id === factorId), 'and the pending factor is still there, as Okta has it')
})

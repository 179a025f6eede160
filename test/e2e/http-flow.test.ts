// Guards the example app's server side over HTTP with a cookie jar (no browser): CSRF on every form post,
// password sign-in and where it leads, requireMfa redirecting to /mfa and back, enrollment through the gateway,
// the MFA form's errors in words (missing, malformed, wrong, replayed, locked out, Okta unavailable), sms codes
// in the emulator outbox, a text-message setup without JavaScript (resumed, its error under the field, "Send a new
// code", "use another number" and the phone step as forms, Retry-After on every 429), step-up before a factor is
// removed or added, logout; and main.ts as a real program.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createConnection, createServer, type AddressInfo } from 'node:net'
import { createServer as createHttpServer, request as httpRequest } from 'node:http'
import { once } from 'node:events'
import t from 'tap'
import { decodeSessionKey, demoSeed, DEMO_USERS, readConfig } from '../../examples/fastify-app/dist/index.js'
import { csrfOf, errorText, passwordLogin, PASSWORD, startE2eApp } from '../helpers/e2e-app.js'
import { listenLoopback, rawExchange, type CookieJar } from '../helpers/http.js'
import { totp } from '../helpers/totp.js'
import { testClock, withEmulator } from '../helpers/emulator.js'
import { withRedis } from '../helpers/redis.js'

const HTML = { accept: 'text/html' }
const app = await startE2eApp(t)
const code = (secret: string): string => totp(secret, app.clock.now())

async function gql (jar: CookieJar, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  return (await jar.fetch('/graphql', { json: { query, variables } })).json()
}

/** Posts the MFA form with the page's CSRF token. */
/** The one-time id of the code form of a page. */
function formIdOf (text: string): string {
  return /name="formId" value="([^"]+)"/.exec(text)?.[1] ?? ''
}

async function postMfa (jar: CookieJar, form: Record<string, string>, path = '/mfa'): Promise<Awaited<ReturnType<CookieJar['fetch']>>> {
  const page = await jar.fetch(path, { headers: HTML })
  return await jar.fetch(path, { form: { ...form, _csrf: csrfOf(page.text) } })
}

await t.test('form posts without the session\'s CSRF token are refused', async (t) => {
  const jar = app.jar()
  const login = await jar.fetch('/login')
  t.equal(login.status, 200)
  t.match(login.text, /name="username"[\s\S]*name="password"/)
  t.match(String(login.headers['set-cookie']), /HttpOnly; SameSite=Lax/i, 'the session cookie is HttpOnly and SameSite=Lax')
  t.match(String(login.headers['content-security-policy']), /script-src 'self'/)

  const none = await jar.fetch('/login', { form: { username: 'bob', password: PASSWORD } })
  t.same([none.status, none.headers['x-error-code']], [403, 'CSRF'], 'no token: 403, coded')
  t.match(none.text, 'This form expired')
  const wrong = await jar.fetch('/login', { form: { username: 'bob', password: PASSWORD, _csrf: 'x'.repeat(32) } })
  t.equal(wrong.status, 403, 'a made-up token')
  const other = app.jar()
  const otherToken = csrfOf((await other.fetch('/login')).text)
  const foreign = await jar.fetch('/login', { form: { username: 'bob', password: PASSWORD, _csrf: otherToken } })
  t.equal(foreign.status, 403, 'a token of another session')
  t.equal((await jar.fetch('/account', { headers: HTML })).location, '/login', 'and nobody got signed in')

  const ok = await jar.fetch('/login', { form: { username: 'bob', password: PASSWORD, _csrf: csrfOf(login.text) } })
  t.equal(ok.status, 303, 'the page\'s own token works')
  const mfa = await jar.fetch('/mfa', { form: { passCode: code(app.demo!.totpUser.sharedSecret) } })
  t.equal(mfa.status, 403, 'the code form needs the token (no cross-site MFA completion)')
  const logout = await jar.fetch('/logout', { form: {} })
  t.equal(logout.status, 403, 'logout needs the token too (no cross-site sign-out)')
  const restart = await jar.fetch('/mfa/enroll/restart', { json: { factorType: 'TOTP' } })
  t.equal(restart.status, 403, 'the JSON route needs the x-csrf-token header')
  t.same([restart.json().error.code, restart.headers['x-error-code']], ['CSRF', 'CSRF'])
  const upper = await jar.fetch('/mfa/enroll/restart', { method: 'POST', headers: { 'content-type': 'Application/JSON; charset=UTF-8' }, body: '{"factorType":"TOTP"}' })
  t.same([upper.status, upper.json().error.code], [403, 'CSRF'], 'a JSON post is answered in JSON, whatever the case of its media type')
})

await t.test('a malformed URL or an over-long path parameter, refused before routing, is a sentence with the security headers', async (t) => {
  const jar = app.jar()
  for (const [path, status, words] of [
    ['/%', 400, 'That address is not valid.'],
    ['/assets/%E0%A4%A', 400, 'That address is not valid.'],
    [`/account/security/remove/${'a'.repeat(600)}`, 414, 'That address is too long.'],
  ] as const) {
    const res = await jar.fetch(path, { headers: HTML })
    t.equal(res.status, status, `${path.slice(0, 30)}: ${status}`)
    t.equal(res.text, words, 'a sentence, not the URL repeated')
    t.match(res.headers, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'same-origin' }, 'the headers every answer carries')
    t.equal(res.headers['x-error-code'], status === 414 ? 'URI_TOO_LONG' : 'BAD_REQUEST', 'and its code, as every refusal of the demo')
  }
  // An address the demo does not serve: its page, coded.
  for (const path of ['/nowhere', '/assets/nothing.js']) {
    const missing = await jar.fetch(path, { headers: HTML })
    t.same([missing.status, missing.headers['x-error-code']], [404, 'NOT_FOUND'], `${path}: 404 NOT_FOUND`)
  }
  t.match((await jar.fetch('/nowhere', { headers: HTML })).text, /<h1>Page not found<\/h1>/, 'the page says so')
  // CONNECT goes to Node's 'connect' event, not to Fastify: without a listener Node closed it unanswered.
  for (const target of ['/login', 'example.com:443']) {
    const answer = await rawExchange(app.url, `CONNECT ${target} HTTP/1.1\r\nHost: x\r\n\r\n`)
    t.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n[^]*x-error-code: BAD_REQUEST\r\n[^]*\r\n\r\nThat request could not be read\.$/, `CONNECT ${target}: a coded 400`)
  }
})

await t.test('password sign-in: wrong password in words, then enrollment or /mfa, and a cap on guesses', async (t) => {
  const jar = app.jar()
  const wrong = await passwordLogin(jar, 'alice', 'not-the-password')
  t.equal(wrong.status, 401)
  t.equal(errorText(wrong.text), "That username and password don't match. Check them and try again.")
  t.match(wrong.text, 'value="alice"', 'the username is kept, the password is not')
  // scrypt keys an HMAC with what it is given, which pads a short key with zero bytes: the password with a NUL after
  // it is another password all the same.
  for (const variant of [`${PASSWORD}\0`, `${PASSWORD}\0\0`]) {
    t.equal((await passwordLogin(app.jar(), 'alice', variant)).status, 401, `${JSON.stringify(variant)} is not the password`)
  }

  t.equal((await passwordLogin(app.jar(), 'alice')).location, '/mfa/enroll', 'no factor: enrollment')
  t.equal((await passwordLogin(app.jar(), 'bob')).location, '/mfa', 'a factor: the code')

  const guesser = app.jar()
  let last
  for (let i = 0; i < 11; i++) last = await passwordLogin(guesser, 'nobody', `guess-${i}`)
  t.equal(last!.status, 429)
  t.match(errorText(last!.text), /Too many failed sign-ins for this account\. Try again in about 15 minutes\./)
  const wait = Number(last!.headers['retry-after'])
  t.ok(Number.isInteger(wait) && wait > 840 && wait <= 900, `with Retry-After in whole seconds, the same 15 minutes (${String(last!.headers['retry-after'])})`)
})

const alice = app.jar()
let aliceSecret = ''
let aliceFactorId = ''

await t.test('requireMfa sends a page to /mfa; enrollment runs through the gateway; the code leads back', async (t) => {
  await passwordLogin(alice, 'alice')
  const account = await alice.fetch('/account', { headers: HTML })
  t.equal(account.status, 302)
  t.equal(account.location, '/mfa', 'password alone does not open /account')
  const api = await alice.fetch('/account', { headers: { accept: 'application/json' } })
  t.equal(api.status, 401, 'an API call gets 401, not a redirect')
  t.equal(api.json().code, 'MFA_REQUIRED')

  const mfa = await alice.fetch('/mfa', { headers: HTML })
  t.match(mfa.text, 'data-testid="enroll-link"', 'no factor: the MFA page links to enrollment')
  const early = await postMfa(alice, { passCode: '123456' })
  t.equal(early.location, '/mfa/enroll', 'a code before any factor leads to enrollment')

  const page = await alice.fetch('/mfa/enroll', { headers: HTML })
  t.equal(page.status, 200)
  t.match(page.text, /data-graphql="\/graphql"/)
  t.match(page.text, 'src="/assets/enroll.js"')
  t.equal((await alice.fetch('/assets/enroll.js')).status, 200)

  const enrolled = await gql(alice, 'mutation { enrollFactor(input: { factorType: TOTP }) { factor { id status } activation { sharedSecret qrCodeDataUri } } }')
  t.equal(enrolled.data.enrollFactor.factor.status, 'PENDING_ACTIVATION')
  aliceSecret = enrolled.data.enrollFactor.activation.sharedSecret
  aliceFactorId = enrolled.data.enrollFactor.factor.id
  t.match(enrolled.data.enrollFactor.activation.qrCodeDataUri, /^data:image\/png;base64,/)

  // A reload mid-enrollment: the page asks us to drop the pending factor and enrolls again.
  const csrf = /data-csrf="([^"]+)"/.exec(page.text)![1]!
  const restart = await alice.fetch('/mfa/enroll/restart', { json: { factorType: 'TOTP' }, headers: { 'x-csrf-token': csrf } })
  t.equal(restart.status, 204, 'a pending factor can be dropped')
  const again = await gql(alice, 'mutation { enrollFactor(input: { factorType: TOTP }) { factor { id } activation { sharedSecret } } }')
  aliceSecret = again.data.enrollFactor.activation.sharedSecret
  aliceFactorId = again.data.enrollFactor.factor.id

  const activated = await gql(alice, 'mutation($id: ID!, $code: String!) { activateFactor(factorId: $id, passCode: $code) { status } }', { id: aliceFactorId, code: code(aliceSecret) })
  t.equal(activated.data.activateFactor.status, 'ACTIVE')
  const viewer = await gql(alice, '{ viewer { mfa { completed } } }')
  t.equal(viewer.data.viewer.mfa.completed, true, 'a code accepted at activation is the MFA step')
  const opened = await alice.fetch('/account', { headers: HTML })
  t.equal(opened.status, 200, 'activation opens /account without a second code')
  const restartActive = await alice.fetch('/mfa/enroll/restart', { json: { factorType: 'TOTP' }, headers: { 'x-csrf-token': csrf } })
  t.equal(restartActive.status, 409, 'an active factor is never dropped by the restart route')
  t.same([restartActive.json().error.code, restartActive.headers['x-error-code']], ['ALREADY_ENROLLED', 'ALREADY_ENROLLED'], 'coded in the body and the header')
  const unknownType = await alice.fetch('/mfa/enroll/restart', { json: { factorType: 'PUSH' }, headers: { 'x-csrf-token': csrf } })
  t.same([unknownType.status, unknownType.json().error.code, unknownType.headers['x-error-code']], [400, 'BAD_USER_INPUT', 'BAD_USER_INPUT'], 'a type the restart does not know')
  const noFactor = await alice.fetch('/mfa/enroll/resend', { json: { factorId: aliceFactorId }, headers: { 'x-csrf-token': csrf } })
  t.same([noFactor.status, noFactor.json().error.code, noFactor.headers['x-error-code']], [404, 'FACTOR_NOT_FOUND', 'FACTOR_NOT_FOUND'], 'a resend of no pending text-message factor')

  // A new sign-in asks for a code again; the activation code cannot be reused there.
  const signedOut = await alice.fetch('/logout', { headers: HTML })
  t.equal(signedOut.location, '/login')
  t.equal((await passwordLogin(alice, 'alice')).location, '/mfa', 'with an active factor, sign-in asks for a code')
  t.equal((await alice.fetch('/account', { headers: HTML })).location, '/mfa', 'a new session has no MFA step')

  const replayed = await postMfa(alice, { passCode: code(aliceSecret) })
  t.equal(replayed.status, 401)
  t.equal(errorText(replayed.text), 'That code was already used. Wait for your app to show a new code (about 30 seconds), then enter the new one. 3 attempts left before sign-in is paused.')
  app.clock.advance(30_000)
  const shown = await alice.fetch('/mfa', { headers: HTML })
  const form = { passCode: code(aliceSecret), _csrf: csrfOf(shown.text), formId: formIdOf(shown.text) }
  const ok = await alice.fetch('/mfa', { form })
  t.equal(ok.status, 303)
  t.equal(ok.location, '/account', 'back to the page that sent her to /mfa')
  // Back, then "resend": the same form again. Not checked twice (Okta would call the code used): on to /account.
  const resent = await alice.fetch('/mfa', { form })
  t.same([resent.status, resent.location], [303, '/account'], 'a form sent again after the step goes on to /account')
  const done = await alice.fetch('/account', { headers: HTML })
  t.equal(done.status, 200)
  t.match(done.text, 'Hello, Alice Example')
  t.match(done.text, /Last MFA<\/dt><dd[^>]*><time datetime="2030-01-01T12:00:30.000Z">/)
  // Adding a second factor: the authenticator app she has is not offered again (not by Back to ?method=totp either),
  // and the page's Back goes to the Security page, not to a code form.
  const add = await alice.fetch('/mfa/enroll?method=totp', { headers: HTML })
  t.equal(add.status, 200)
  t.match(add.text, 'id="step-sms"', 'the text-message setup')
  t.notMatch(add.text, 'id="use-totp"', 'no link to set up the app she has')
  t.match(add.text, 'Your authenticator app is set up already: this adds text messages as another way to sign in.', 'and the page says why it is a phone')
  t.match(add.text, '<a href="/account/security">Back</a>')
})

await t.test('two tabs press Activate with the same code at once (no JavaScript): one sets the factor up, the other goes where a finished setup goes, and the browser keeps its MFA step', async (t) => {
  const clock = testClock()
  const emu = await withEmulator(t, { seed: demoSeed(DEMO_USERS).seed, clock })
  // Between the app and Okta: while `held` is set, a list of factors waits until both tabs' lists arrived, so that both
  // read the factor as pending before either activates it (one order a real race takes; the other is the sequential case).
  let held: Array<() => void> | undefined
  const proxy = await listenLoopback(t, createHttpServer((req, res) => {
    const forward = (): void => {
      const upstream = httpRequest(emu.url + (req.url ?? '/'), { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      req.pipe(upstream)
    }
    if (held === undefined || req.method !== 'GET' || !/\/factors(\?|$)/.test(req.url ?? '')) return forward()
    held.push(forward)
    if (held.length < 2) return
    const waiting = held
    held = undefined
    for (const go of waiting) go()
  }))
  const browser = (await startE2eApp(t, { clock: clock.now, orgUrl: proxy, token: emu.token, allowInsecureHttp: true })).jar()
  t.equal((await passwordLogin(browser, 'alice')).location, '/mfa/enroll')
  const intro = await browser.fetch('/mfa/enroll', { headers: HTML })
  t.equal((await browser.fetch('/mfa/enroll/start', { form: { _csrf: csrfOf(intro.text) } })).location, '/mfa/enroll?method=totp')
  const setup = await browser.fetch('/mfa/enroll?method=totp', { headers: HTML })
  const factorId = /name="factorId" value="([^"]+)"/.exec(setup.text)?.[1] ?? ''
  const form = { _csrf: csrfOf(setup.text), factorId, passCode: totp(emu.factorSecret(factorId), clock.now()) }
  held = []
  const answers = await Promise.all([0, 1].map(async () => await browser.fetch('/mfa/enroll/activate', { form })))
  t.same(answers.map((a) => a.headers['x-error-code']), [undefined, undefined], 'no refusal: Okta\'s "not pending" is the other tab\'s activation')
  t.same(answers.map((a) => a.location).sort(), ['/mfa/done', '/mfa?enrolled=1'], 'one finishes the setup; the other goes where a setup finished elsewhere goes')
  t.equal((await browser.fetch('/account', { headers: HTML })).status, 200, 'the browser keeps the MFA step of the activation, whichever answer came last')
  const wrong = await postMfa(browser, { passCode: form.passCode === '000000' ? '111111' : '000000', formId: formIdOf((await browser.fetch('/mfa', { headers: HTML })).text) })
  t.match(errorText(wrong.text), '3 attempts left', 'neither Activate used an attempt: the next wrong code is the first')
})

await t.test('the MFA form says what is wrong: missing, malformed, wrong, then locked out with when to retry', async (t) => {
  const bob = app.jar()
  await passwordLogin(bob, 'bob')
  const missing = await postMfa(bob, {})
  t.equal(missing.status, 400)
  t.equal(errorText(missing.text), 'Enter the 6-digit code from your authenticator app.')
  const malformed = await postMfa(bob, { passCode: '12ab' })
  t.equal(malformed.status, 400)
  t.match(errorText(malformed.text), 'A code is 6 digits')
  const right = code(app.demo!.totpUser.sharedSecret)
  const wrongCode = right === '000000' ? '111111' : '000000'
  // The answer to a wrong code, reloaded: the browser sends the same form again. Not checked twice, no attempt used.
  const shown = await bob.fetch('/mfa', { headers: HTML })
  const form = { passCode: wrongCode, _csrf: csrfOf(shown.text), formId: formIdOf(shown.text) }
  const shownAgain = await bob.fetch('/mfa', { headers: HTML })
  t.equal(shownAgain.headers['set-cookie'], undefined, 'showing the form stores nothing: a view in another tab cannot undo a step')
  t.not(formIdOf(shownAgain.text), form.formId, 'each view has its own id')
  t.equal((await bob.fetch('/mfa', { form })).status, 401, 'a wrong code')
  for (let i = 0; i < 3; i++) {
    const reloaded = await bob.fetch('/mfa', { form })
    t.equal(reloaded.status, 200, `reload ${i + 1}: the page again`)
    t.match(reloaded.text, 'That page was sent again, so its code was not checked again.')
  }
  const statuses: number[] = []
  const fields: boolean[] = []
  let last
  for (let i = 0; i < 5; i++) {
    last = await postMfa(bob, { passCode: wrongCode })
    statuses.push(last.status)
    fields.push(last.text.includes('name="passCode"'))
  }
  t.same(fields, [true, true, false, false, false], 'the answers while paused (the fourth wrong code and the next) show no code field')
  t.same(statuses, [401, 401, 429, 429, 429], 'with the first, three wrong codes, then the fourth (the default limit, below Okta\'s lockout of 5) locks: the reloads used none')
  // The last wrong code is either refused as a lockout or reported as wrong and the last try: both say until when.
  t.match(errorText(last!.text), /Too many attempts with a wrong code, so sign-in is paused for this account until \d\d:\d\d UTC \(in about 15 minutes\)\.$/)
  const locked = await postMfa(bob, { passCode: right })
  t.equal(locked.status, 429, 'even the right code waits for the lockout to end')
  const wait = Number(locked.headers['retry-after'])
  t.ok(wait > 0 && wait <= 900, `with Retry-After (${String(wait)} s)`)
  // A form sent again while paused (Reload on an answer): answered as any code during the pause, not "enter the code".
  const resentPaused = await bob.fetch('/mfa', { form })
  t.equal(resentPaused.status, 429, 'a form sent again while paused: 429')
  t.ok(Number(resentPaused.headers['retry-after']) > 0, '... with Retry-After')
  t.equal(resentPaused.headers['x-error-code'], 'LOCKED_OUT')
  t.match(errorText(resentPaused.text), /sign-in is paused for this account until \d\d:\d\d UTC/)
  t.notMatch(resentPaused.text, 'Enter the current code', 'no advice to enter a code')
  t.notMatch(resentPaused.text, 'name="passCode"', 'and no code field')
})

await t.test('returnTo never names a page of signing in or out, however it is written', async (t) => {
  for (const target of ['/logout', '/logout/', '/%6Cogout', '/./logout', '/a/../logout', '/login', '/login?x=1', '/mfa']) {
    const page = await app.jar().fetch(`/login?returnTo=${encodeURIComponent(target)}`, { headers: HTML })
    t.notMatch(page.text, 'data-testid="continue-hint"', `${target}: not remembered (it would sign the person out again, or loop)`)
  }
  for (const target of ['/account', '/mfa/enroll', '/account/security']) {
    const page = await app.jar().fetch(`/login?returnTo=${encodeURIComponent(target)}`, { headers: HTML })
    t.match(page.text, 'data-testid="continue-hint"', `${target}: remembered`)
  }
})

await t.test('sms: "send a code" puts it in the emulator outbox and the page says where', async (t) => {
  const carol = app.jar()
  await carol.fetch('/login?returnTo=//evil.example/') // an open redirect attempt, ignored
  await passwordLogin(carol, 'carol')
  const page = await carol.fetch('/mfa', { headers: HTML })
  t.match(page.text, 'data-testid="outbox-hint"')
  const factorId = /name="factorId" value="([^"]+)"/.exec(page.text)![1]!
  const sent = await carol.fetch('/mfa/challenge', { form: { factorId, returnTo: '/mfa', _csrf: csrfOf(page.text) } })
  t.equal(sent.status, 303)
  t.equal(sent.location, `/mfa?factor=${factorId}`)
  const after = await carol.fetch(sent.location!, { headers: HTML })
  t.match(after.text, /We sent a code to \+1•+0103\. With the emulator it is in the outbox/)
  const message = app.emulator!.lastMessage({ factorId })
  t.ok(message, 'the emulator outbox has it')
  const outbox = await carol.fetch('/dev/outbox', { headers: HTML })
  t.match(outbox.text, message!.code, 'the outbox page shows it to carol')
  const aliceOutbox = await alice.fetch('/dev/outbox', { headers: HTML })
  t.notMatch(aliceOutbox.text, message!.code, 'and to nobody else')
  const ok = await postMfa(carol, { passCode: message!.code, factorId })
  t.equal(ok.location, '/account', 'never to another site after sign-in')

  // While sign-in is paused no code is sent: every code would be refused.
  const paused = app.jar()
  await passwordLogin(paused, 'carol')
  const wrong = message!.code === '000000' ? '111111' : '000000'
  for (let i = 0; i < 4; i++) await postMfa(paused, { passCode: wrong, factorId })
  app.clock.advance(31_000) // past Okta's 30 s between two texts: only the pause can stop this one
  const before = app.emulator!.messages({ factorId }).length
  const pausedPage = await paused.fetch('/mfa', { headers: HTML })
  const refused = await paused.fetch('/mfa/challenge', { form: { factorId, returnTo: '/mfa', _csrf: csrfOf(pausedPage.text) } })
  t.equal(refused.status, 429, 'the page itself, 429, as a code during the pause')
  t.ok(Number(refused.headers['retry-after']) > 0, 'with Retry-After')
  t.equal(refused.headers['x-error-code'], 'LOCKED_OUT')
  t.equal(app.emulator!.messages({ factorId }).length, before, 'nothing was texted while paused')
  t.match(refused.text, /paused for this account until \d\d:\d\d UTC/, 'the page says until when')
  t.notMatch(refused.text, 'name="passCode"', 'no code field')
})

/** The text of the code step's error slot (under the label of the code field), or undefined when it has none. */
function fieldError (html: string): string | undefined {
  const m = /<label for="passCode">[^<]*<\/label>\s*<div class="notice notice-error" role="alert" data-testid="error" id="activate-error">([\s\S]*?)<\/div>/.exec(html)
  return m === null ? undefined : m[1]!.replace(/&#39;/g, "'").replace(/\s+/g, ' ').trim()
}

await t.test('an e-mail factor on the pages: its address masked as a phone number is, and no "Finish setup" the pages cannot finish', async (t) => {
  const fresh = await startE2eApp(t)
  const bob = fresh.jar()
  await passwordLogin(bob, 'bob')
  t.equal((await postMfa(bob, { passCode: totp(fresh.demo!.totpUser.sharedSecret, fresh.clock.now()) })).location, '/account')
  const enrolled = await gql(bob, 'mutation { enrollFactor(input: { factorType: EMAIL, email: "bob@example.com" }) { factor { id email } } }')
  t.equal(enrolled.data.enrollFactor.factor.email, 'b•••@example.com', 'the gateway masks it while it is enrolling')
  const security = await bob.fetch('/account/security', { headers: HTML })
  const row = security.text.slice(security.text.indexOf('E-mail'))
  t.match(row, /b•••@example\.com/, 'the Security page masks the pending address')
  t.notMatch(security.text, /bob@example\.com/, 'and never shows it whole')
  t.notMatch(row.slice(0, row.indexOf('</li>')), /Finish setup/, 'no "Finish setup": /mfa/enroll sets up an authenticator or a text message only')
  t.match(row.slice(0, row.indexOf('</li>')), /Remove/, 'Remove starts it over')
})

await t.test('a text-message setup without JavaScript: resumed, its errors under the field, "Send a new code", "use another number" and the phone step as forms, Retry-After on each 429', async (t) => {
  const fresh = await startE2eApp(t)
  const bob = fresh.jar()
  const secret = fresh.demo!.totpUser.sharedSecret
  await passwordLogin(bob, 'bob')
  t.equal((await postMfa(bob, { passCode: totp(secret, fresh.clock.now()) })).location, '/account')
  const enrolled = await gql(bob, 'mutation { enrollFactor(input: { factorType: SMS, phoneNumber: "+447700900123" }) { factor { id } } }')
  const factorId: string = enrolled.data.enrollFactor.factor.id
  const texts = (): number => fresh.emulator!.messages({ factorId }).length
  const first = fresh.emulator!.lastMessage({ factorId })!

  // "Finish setup" resumes at the code step, with both ways on as plain forms, and no "needs JavaScript".
  const page = await bob.fetch('/mfa/enroll?method=sms', { headers: HTML })
  t.match(page.text, 'We sent a 6-digit code to +44••••••0123.', 'the number keeps its whole country code')
  t.notMatch(page.text, /needs JavaScript/, 'nothing says JavaScript is needed')
  t.match(page.text, new RegExp(`<form method="post" action="/mfa/enroll/resend"[^>]*><input type="hidden" name="_csrf" value="[^"]+"><input type="hidden" name="factorId" value="${factorId}"><button type="submit" id="sms-resend"`), '"Send a new code" is a form with the token')
  t.match(page.text, /<form method="post" action="\/mfa\/enroll\/restart"[^>]*><input type="hidden" name="_csrf" value="[^"]+"><input type="hidden" name="factorType" value="SMS"><button type="submit" id="sms-change"/, '"use another number" too')
  const csrf = csrfOf(page.text)

  // A wrong code: the error under the code field, as on the other code steps, not at the top of the card.
  const wrongCode = first.code === '000000' ? '111111' : '000000'
  const wrong = await bob.fetch('/mfa/enroll/activate', { form: { _csrf: csrf, factorId, passCode: wrongCode } })
  t.equal(wrong.location, '/mfa/enroll?method=sms')
  const again = await bob.fetch(wrong.location!, { headers: HTML })
  const said = fieldError(again.text)
  t.match(said, /^That code didn't match\. Enter the code from the latest text message, or send a new one\. 3 attempts left/, 'under the label of the field')
  t.equal(again.text.split("That code didn&#39;t match").length - 1, 1, 'said once: not at the top of the card too')
  t.match(again.text, /<input id="passCode"[^>]*aria-describedby="activate-error" aria-invalid="true" autofocus>/, 'the field is described by it and marked invalid')

  // "Send a new code" at once: Okta's 30 s between two texts. 429 with Retry-After, saying the same wait, under the field.
  const soon = await bob.fetch('/mfa/enroll/resend', { form: { _csrf: csrf, factorId }, headers: HTML })
  t.equal(soon.status, 429)
  t.equal(soon.headers['x-error-code'], 'RATE_LIMITED')
  const wait = Number(soon.headers['retry-after'])
  t.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `Retry-After in whole seconds (${String(soon.headers['retry-after'])})`)
  t.equal(fieldError(soon.text), `We sent you a code a moment ago: use that one. You can ask for another code in ${wait} second${wait === 1 ? '' : 's'}.`, 'the page says the same wait')
  t.match(soon.text, /<input id="passCode"/, 'still the code step')
  t.equal(texts(), 1, 'nothing sent')
  const soonJson = await bob.fetch('/mfa/enroll/resend', { json: { factorId }, headers: { 'x-csrf-token': csrf } })
  t.equal(soonJson.status, 429, 'with JavaScript (JSON) too')
  t.equal(soonJson.headers['x-error-code'], 'RATE_LIMITED')
  t.ok(Number(soonJson.headers['retry-after']) >= 1, `with Retry-After (${String(soonJson.headers['retry-after'])})`)
  t.equal(Number(soonJson.headers['retry-after']), soonJson.json().error.retryAfterSeconds, 'the same wait as the JSON says')

  // After the wait: sent, and back to the code step, which says so.
  fresh.clock.advance(31_000)
  const resent = await bob.fetch('/mfa/enroll/resend', { form: { _csrf: csrf, factorId } })
  t.equal(resent.status, 303)
  t.equal(resent.location, '/mfa/enroll?method=sms', 'back to the code step')
  t.equal(texts(), 2, 'a new text')
  t.equal(fresh.emulator!.lastMessage({ factorId })!.to, '+447700900123', 'to the same number')
  const afterSend = await bob.fetch(resent.location!, { headers: HTML })
  t.match(afterSend.text, 'We sent a new code to +44••••••0123.')
  t.match(afterSend.text, /<input id="passCode"/)

  // Sign-in paused (three more wrong codes): no text; 429 with Retry-After and the paused page that says until when.
  for (let i = 0; i < 3; i++) await bob.fetch('/mfa/enroll/activate', { form: { _csrf: csrf, factorId, passCode: wrongCode } })
  fresh.clock.advance(31_000) // past Okta's wait: only the pause can stop this text
  const paused = await bob.fetch('/mfa/enroll/resend', { form: { _csrf: csrf, factorId }, headers: HTML })
  t.equal(paused.status, 429)
  t.equal(paused.headers['x-error-code'], 'LOCKED_OUT')
  const pause = Number(paused.headers['retry-after'])
  t.ok(Number.isInteger(pause) && pause > 60 && pause <= 900, `Retry-After: the rest of the pause (${String(paused.headers['retry-after'])})`)
  t.match(errorText(paused.text), new RegExp(`^Too many attempts with a wrong code, so sign-in is paused for this account until \\d\\d:\\d\\d UTC \\(in about ${Math.ceil(pause / 60)} minutes\\)\\.$`), 'the page says until when, as Retry-After does')
  t.notMatch(paused.text, /name="passCode"/, 'no code field while paused')
  const pausedJson = await bob.fetch('/mfa/enroll/resend', { json: { factorId }, headers: { 'x-csrf-token': csrf } })
  t.equal(pausedJson.status, 429)
  t.equal(Number(pausedJson.headers['retry-after']), pausedJson.json().error.retryAfterSeconds, 'JSON: Retry-After and the body agree')
  const pausedPhone = await bob.fetch('/mfa/enroll/sms', { form: { _csrf: csrf, phoneNumber: '+44 7700 900124' }, headers: HTML })
  t.equal(pausedPhone.status, 429, 'a new number while paused: 429 too')
  t.equal(pausedPhone.headers['x-error-code'], 'LOCKED_OUT')
  t.ok(Number(pausedPhone.headers['retry-after']) >= 1, 'with Retry-After')
  t.equal(texts(), 2, 'nothing sent while paused')
  t.equal(fresh.emulator!.messages({ channel: 'sms' }).length, 2, 'to no number')

  // The pause over, the MFA step is stale: both forms ask for a fresh code first, and change nothing.
  fresh.clock.advance(901_000)
  for (const [path, form] of [['/mfa/enroll/resend', { factorId }], ['/mfa/enroll/restart', { factorType: 'SMS' }], ['/mfa/enroll/sms', { phoneNumber: '+447700900124' }]] as const) {
    const stale = await bob.fetch(path, { form: { _csrf: csrf, ...form } })
    t.equal(stale.location, '/mfa', `${path}: a fresh code first`)
  }
  for (const [path, body] of [['/mfa/enroll/resend', { factorId }], ['/mfa/enroll/restart', { factorType: 'SMS' }]] as const) {
    const stale = await bob.fetch(path, { json: body, headers: { 'x-csrf-token': csrf } })
    t.same([stale.status, stale.json().error.code, stale.headers['x-error-code']], [401, 'MFA_REQUIRED', 'MFA_REQUIRED'], `${path} (JSON): a fresh code first, coded`)
  }
  t.equal(texts(), 2, 'nothing sent')
  t.match((await bob.fetch('/mfa', { headers: HTML })).text, 'Confirm it’s you before adding another factor.')
  const stepUp = await postMfa(bob, { passCode: totp(secret, fresh.clock.now()) })
  t.equal(stepUp.location, '/mfa/enroll', 'and back to the setup after it')

  // "use another number": the pending factor is dropped, and the phone step comes back.
  const change = await bob.fetch('/mfa/enroll/restart', { form: { _csrf: csrf, factorType: 'SMS' } })
  t.equal(change.status, 303)
  t.equal(change.location, '/mfa/enroll?method=sms')
  const bobId = (await fresh.client.getUser('bob@example.com')).id
  t.same((await fresh.client.listFactors(bobId)).map((f) => f.factorType), ['token:software:totp'], 'the pending text-message factor is gone, the app stays')
  const phoneStep = await bob.fetch(change.location!, { headers: HTML })
  t.match(phoneStep.text, /<form id="sms-enroll" method="post" action="\/mfa\/enroll\/sms" novalidate[^>]*>\s*<input type="hidden" name="_csrf"/, 'the phone step: a form with the token')
  t.notMatch(phoneStep.text, /needs JavaScript/, 'nothing says JavaScript is needed')

  // The phone step without JavaScript: a number without its country code is said under the field, kept as typed.
  const bad = await bob.fetch('/mfa/enroll/sms', { form: { _csrf: csrf, phoneNumber: '07700 900124' }, headers: HTML })
  t.equal(bad.status, 400)
  t.equal(bad.headers['x-error-code'], 'BAD_USER_INPUT', 'coded, as every refusal of the demo')
  t.match(bad.text, /<label for="phone">Mobile phone number<\/label>\s*<div class="notice notice-error" role="alert" data-testid="error" id="phone-error">Enter the number with its country code, e\.g\. \+1 555 555 0123\.<\/div>/, 'under the label of the field')
  t.match(bad.text, /<input id="phone"[^>]*value="07700 900124"\s+aria-describedby="phone-error phone-help" aria-invalid="true" autofocus>/, 'the number kept, the field marked')
  t.equal(fresh.emulator!.messages({ channel: 'sms' }).length, 2, 'nothing sent')
  // A number: texted, and the code step, whose code sets the factor up.
  const phone = await bob.fetch('/mfa/enroll/sms', { form: { _csrf: csrf, phoneNumber: '+44 7700 900124' } })
  t.equal(phone.location, '/mfa/enroll?method=sms', 'on to the code step')
  const sent = fresh.emulator!.lastMessage({ channel: 'sms' })!
  t.equal(sent.to, '+447700900124', 'texted to the new number')
  const codeStep = await bob.fetch(phone.location!, { headers: HTML })
  t.match(codeStep.text, 'We sent a 6-digit code to +44••••••0124.')
  const newId = /<form id="sms-activate"[^>]*data-factor-id="([^"]+)"/.exec(codeStep.text)?.[1] ?? ''
  t.equal(newId, sent.factorId, 'the code step of the new factor')
  const done = await bob.fetch('/mfa/enroll/activate', { form: { _csrf: csrf, factorId: newId, passCode: sent.code } })
  t.equal(done.location, '/account/security?added=1', 'the factor is set up')
  t.same((await fresh.client.listFactors(bobId)).map((f) => `${f.factorType}:${f.status}`).sort(), ['sms:ACTIVE', 'token:software:totp:ACTIVE'])
  // Refusals of the forms without JavaScript: back to the setup page, each with its code, as the JSON answers have.
  for (const [path, form, code] of [
    ['/mfa/enroll/sms', { phoneNumber: '+447700900125' }, 'ALREADY_ENROLLED'],
    ['/mfa/enroll/restart', { factorType: 'SMS' }, 'ALREADY_ENROLLED'],
    ['/mfa/enroll/restart', { factorType: 'PUSH' }, 'BAD_USER_INPUT'],
    ['/mfa/enroll/resend', { factorId: newId }, 'FACTOR_NOT_FOUND'],
    ['/mfa/enroll/activate', { factorId: 'mblnotafactor0000000', passCode: '123456' }, 'FACTOR_NOT_FOUND'],
    ['/mfa/enroll/start', {}, 'ALREADY_ENROLLED'],
    ['/mfa/challenge', { factorId: 'mblnotafactor0000000', returnTo: '/mfa' }, 'FACTOR_NOT_FOUND'],
  ] as const) {
    const refused = await bob.fetch(path, { form: { _csrf: csrf, ...form } })
    t.same([refused.status, refused.headers['x-error-code']], [303, code], `${path} ${JSON.stringify(form)}: 303, ${code}`)
  }
  const gone = await bob.fetch('/account/security/remove/mblnotafactor0000000', { headers: HTML })
  t.same([gone.status, gone.location, gone.headers['x-error-code']], [303, '/account/security', 'FACTOR_NOT_FOUND'], 'the removal page of no such factor: back to the list, coded')
})

await t.test('factor changes need a fresh code: adding after 5 minutes asks again, removing always does', async (t) => {
  app.clock.advance(301_000)
  const add = await alice.fetch('/mfa/enroll', { headers: HTML })
  t.equal(add.status, 303)
  t.equal(add.location, '/mfa', 'an old MFA step is not enough to add a factor')
  t.match((await alice.fetch('/mfa', { headers: HTML })).text, 'Confirm it’s you before adding another factor.')

  const security = await alice.fetch('/account/security', { headers: HTML })
  t.equal(security.status, 200)
  t.match(security.text, `href="/account/security/remove/${aliceFactorId}"`)
  const path = `/account/security/remove/${aliceFactorId}`
  const confirm = await alice.fetch(path, { headers: HTML })
  t.match(confirm.text, 'To confirm it\'s you, enter a fresh code.')

  const noToken = await alice.fetch(path, { form: { passCode: code(aliceSecret) } })
  t.equal(noToken.status, 403)
  const shownRemove = await alice.fetch(path, { headers: HTML })
  const wrongForm = { passCode: code(aliceSecret) === '000000' ? '111111' : '000000', _csrf: csrfOf(shownRemove.text), formId: formIdOf(shownRemove.text) }
  const wrong = await alice.fetch(path, { form: wrongForm })
  t.equal(wrong.status, 401)
  t.match(errorText(wrong.text), "That code didn't match")
  t.match(wrong.text, '3 attempts left', 'one attempt used')
  // Reloading that answer sends the same form again: not checked twice, no attempt used.
  for (let i = 0; i < 3; i++) {
    const reloaded = await alice.fetch(path, { form: wrongForm })
    t.equal(reloaded.status, 200)
    t.match(reloaded.text, 'That page was sent again, so its code was not checked again.')
  }
  t.match((await postMfa(alice, { passCode: wrongForm.passCode }, path)).text, '2 attempts left', 'the next wrong code is the second: the reloads used none')
  const stillThere = await app.client.listFactors((await app.client.getUser('alice@example.com')).id)
  t.equal(stillThere.length, 1, 'nothing removed without the right code')

  // A step completed in another tab after this page was shown: its form was never sent, so its code is checked.
  const shownBeforeStep = await alice.fetch(path, { headers: HTML })
  app.clock.advance(30_000)
  t.equal((await postMfa(alice, { passCode: code(aliceSecret) })).status, 303, 'a step-up at /mfa, as in another tab')
  app.clock.advance(30_000)
  const removed = await alice.fetch(path, { form: { passCode: code(aliceSecret), _csrf: csrfOf(shownBeforeStep.text), formId: formIdOf(shownBeforeStep.text) } })
  t.equal(removed.status, 303)
  t.equal(removed.location, '/account/security')
  const list = await alice.fetch('/account/security', { headers: HTML })
  t.match(list.text, 'Authenticator app was removed.')
  t.match(list.text, 'No factors.')
  t.equal((await alice.fetch('/mfa/enroll', { headers: HTML })).status, 200, 'with no factor left, enrolling needs no step-up')
})

await t.test('logout ends the session: /account sends to /login again', async (t) => {
  // A GET started by another site (a link or an <img> elsewhere) only shows the button; it signs nobody out.
  const asked = await alice.fetch('/logout', { headers: { ...HTML, 'sec-fetch-site': 'cross-site' } })
  t.equal(asked.status, 200, 'a cross-site GET shows the sign-out button')
  t.match(asked.text, 'action="/logout"')
  t.equal((await alice.fetch('/account', { headers: HTML })).status, 200, 'and alice is still signed in')
  const copied = app.jar()
  for (const [k, v] of alice.cookies) copied.cookies.set(k, v)
  const unused = app.jar()
  for (const [k, v] of alice.cookies) unused.cookies.set(k, v)
  const out = await alice.fetch('/logout', { form: { _csrf: csrfOf(asked.text) } })
  t.equal(out.status, 303, 'the button POSTs with the token')
  t.equal(out.location, '/login')
  t.match((await alice.fetch('/login')).text, 'You are signed out.')
  const account = await alice.fetch('/account', { headers: HTML })
  t.equal(account.location, '/login')
  t.equal((await copied.fetch('/account', { headers: HTML })).location, '/login', 'a copy of the cookie taken before logout is signed out too')

  // A revoked copy is never written back with the user in it (a cookie written again is renewed, and would outlive its
  // revocation): not by a refusal made before passport reads the session, nor by an unguarded page.
  const before = unused.cookies.get('session')
  const session = (jar: CookieJar): { get: (key: string) => unknown } => app.app.decodeSecureSession(decodeURIComponent(jar.cookies.get('session')!))!
  t.ok(session(unused).get('passport'), 'the copy holds the user')
  t.equal((await unused.fetch('/graphql', { headers: HTML })).status, 405)
  t.equal((await unused.fetch('/login', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })).status, 415)
  t.equal(unused.cookies.get('session'), before, 'refusals before passport read the session write no cookie')
  t.equal((await unused.fetch('/login?returnTo=/account', { headers: HTML })).status, 200)
  t.not(unused.cookies.get('session'), before, 'the login page writes the session (returnTo)')
  t.equal(session(unused).get('passport'), undefined, 'but signed out first: the cookie it renews holds no user')
  t.equal(session(unused).get('user'), undefined, "nor the standalone gateway's user (its key, 'user')")
})

await t.test('GET /logout from the address bar, a bookmark or our own link signs out at once', async (t) => {
  for (const site of [undefined, 'none', 'same-origin']) {
    const jar = app.jar()
    await passwordLogin(jar, 'bob')
    const headers = site === undefined ? HTML : { ...HTML, 'sec-fetch-site': site }
    const out = await jar.fetch('/logout', { headers })
    t.equal(out.status, 303, `Sec-Fetch-Site ${site ?? 'absent'}: signed out`)
    t.equal(out.location, '/login')
    t.equal((await jar.fetch('/mfa', { headers: HTML })).location, '/login', 'the session is gone')
  }
})

await t.test('sign out of all sessions (security page): every session of the user, and every copy of its cookie', async (t) => {
  app.clock.advance(15 * 60_000 + 1000) // bob's attempt window from the lockout test ends
  const a = app.jar()
  await passwordLogin(a, 'bob')
  t.equal((await postMfa(a, { passCode: code(app.demo!.totpUser.sharedSecret) })).status, 303)
  const b = app.jar()
  await passwordLogin(b, 'bob')
  const copy = app.jar()
  for (const [k, v] of a.cookies) copy.cookies.set(k, v)
  const security = await a.fetch('/account/security', { headers: HTML })
  t.match(security.text, 'Sign out of all sessions')
  const out = await a.fetch('/account/security/sign-out-everywhere', { form: { _csrf: csrfOf(security.text) } })
  t.equal(out.status, 303)
  t.equal(out.location, '/login')
  t.match((await a.fetch('/login')).text, 'You are signed out of all sessions.')
  t.equal((await copy.fetch('/account', { headers: HTML })).location, '/login', 'a copy of the cookie')
  t.equal((await b.fetch('/mfa', { headers: HTML })).location, '/login', "bob's other session")
  app.clock.advance(1000)
  const again = app.jar()
  await passwordLogin(again, 'bob')
  t.equal((await again.fetch('/mfa', { headers: HTML })).status, 200, 'a new sign-in works')
})

await t.test('Okta unavailable: the pages say so in words, never a stack trace', async (t) => {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve)) // nothing listens there any more
  const down = await startE2eApp(t, { orgUrl: `http://127.0.0.1:${port}`, token: 'unused-token', allowInsecureHttp: true, users: DEMO_USERS })
  t.equal(down.emulator, undefined, 'with an org URL the app starts no emulator')
  const jar = down.jar()
  const login = await passwordLogin(jar, 'bob')
  t.equal(login.location, '/mfa', 'the password still works')
  const mfa = await jar.fetch('/mfa', { headers: HTML })
  t.equal(mfa.status, 503)
  t.equal(mfa.headers['x-error-code'], 'UPSTREAM_UNAVAILABLE', 'GET /mfa names the cause, as the code post does')
  const enroll = await jar.fetch('/mfa/enroll', { headers: HTML })
  t.equal(enroll.status, 503)
  t.equal(enroll.headers['x-error-code'], 'UPSTREAM_UNAVAILABLE', 'GET /mfa/enroll too')
  t.equal(errorText(mfa.text), "Okta is unavailable right now (we can't reach it), so we can't load your sign-in methods. Try again in a minute.")
  t.match(mfa.text, 'href="/logout"', 'the page offers a way out')
  const csrf = csrfOf((await jar.fetch('/login')).text)
  const post = await jar.fetch('/mfa', { form: { passCode: '123456', _csrf: csrf } })
  t.equal(post.status, 503)
  t.equal(post.headers['x-error-code'], 'UPSTREAM_UNAVAILABLE')
  t.same([mfa.headers['retry-after'], post.headers['retry-after']], ['60', '60'], 'Retry-After says the minute the page says')
  t.match(errorText(post.text), /Okta is unavailable/)
  t.notMatch(post.text, /ECONNREFUSED|at .*\.js:\d+/, 'no error detail reaches the page')
  // "Try again": the same form may be sent again, its code was never checked.
  const form = { passCode: '123456', _csrf: csrf, formId: `${Date.now().toString(36)}.abcdefghijkl` }
  t.equal((await jar.fetch('/mfa', { form })).status, 503)
  const again = await jar.fetch('/mfa', { form })
  t.equal(again.status, 503, 'sent again: checked again (Okta is still down), not refused as a form already sent')
})

await t.test('Okta gone after the code: the account pages say the sign-in methods cannot be loaded (no code was entered)', async (t) => {
  const own = await startE2eApp(t)
  const jar = own.jar()
  await passwordLogin(jar, 'bob')
  t.equal((await postMfa(jar, { passCode: totp(own.demo!.totpUser.sharedSecret, own.clock.now()) })).status, 303)
  await own.emulator!.close()
  for (const path of ['/account', '/account/security']) {
    const page = await jar.fetch(path, { headers: HTML })
    t.equal(page.status, 200, `${path}: the page still opens`)
    t.match(page.text, /so we can(?:'|&#39;)t load your sign-in methods/, `${path}: says what could not be done`)
    t.notMatch(page.text, "check your code", `${path}: no talk of a code`)
  }
  for (const path of ['/account/security/remove/anything', '/mfa/enroll']) {
    const page = await jar.fetch(path, { headers: HTML })
    t.equal(page.status, 503, `${path}: 503`)
    t.equal(page.headers['x-error-code'], 'UPSTREAM_UNAVAILABLE', `${path}: names the cause`)
  }
})

await t.test('configuration: SESSION_KEY, PORT and the Okta pair are checked, naming the variable', async (t) => {
  t.equal(decodeSessionKey('ab'.repeat(32))?.length, 32, 'hex')
  t.equal(decodeSessionKey(Buffer.alloc(32, 7).toString('base64'))?.length, 32, 'base64')
  t.equal(decodeSessionKey('too-short'), undefined)
  t.equal(readConfig({}).port, 3000)
  t.equal(readConfig({}).host, '127.0.0.1')
  t.ok(readConfig({}).sessionKeyGenerated)
  t.throws(() => readConfig({ PORT: 'eighty' }), { code: 'APP_CONFIG_INVALID', message: /PORT/ })
  t.throws(() => readConfig({ SESSION_KEY: 'secret-but-short' }), { message: /^SESSION_KEY must be 32 bytes/ })
  t.throws(() => readConfig({ OKTA_ORG_URL: 'https://dev-1.okta.com' }), { message: /OKTA_API_TOKEN is not/ })
  t.throws(() => readConfig({ OKTA_ORG_URL: 'http://dev-1.okta.com', OKTA_API_TOKEN: 'x' }), { message: /https/ })
  t.same(readConfig({ OKTA_ORG_URL: 'http://127.0.0.1:7070', OKTA_API_TOKEN: 'x' }).okta, { orgUrl: 'http://127.0.0.1:7070', token: 'x', allowInsecureHttp: true })
  t.same(readConfig({ OKTA_ORG_URL: 'http://127.0.0.2:7070', OKTA_API_TOKEN: 'x' }).okta, { orgUrl: 'http://127.0.0.2:7070', token: 'x', allowInsecureHttp: true }, 'all of 127.0.0.0/8 is loopback')
  t.throws(() => readConfig({ OKTA_ORG_URL: 'http://10.1.2.3:7070', OKTA_API_TOKEN: 'x' }), { message: /^OKTA_ORG_URL may be http: only for an emulator on loopback .*\(its value is not shown\)$/ })
})

const MAIN = new URL('../../examples/fastify-app/dist/main.js', import.meta.url).pathname

/** Runs main.ts with `env` (no Okta variables inherited) and resolves with its output once `until` matches or it exits. */
function runMain (env: Record<string, string>, until?: RegExp): Promise<{ stdout: string, stderr: string, code: number | null, kill: () => Promise<number | null> }> {
  const { OKTA_ORG_URL: _u, OKTA_API_TOKEN: _t, SESSION_KEY: _k, PORT: _p, ...base } = process.env
  const child = spawn(process.execPath, [MAIN], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = once(child, 'exit').then(([c]) => c as number | null)
  const kill = async (): Promise<number | null> => { child.kill('SIGTERM'); return await exited }
  return new Promise((resolve) => {
    const done = (code: number | null): void => { resolve({ stdout, stderr, code, kill }) }
    if (until !== undefined) child.stdout.on('data', () => { if (until.test(stdout)) done(null) })
    void exited.then(done)
  })
}

await t.test('main.js starts the app with the emulator, prints the URL and the demo sign-in, and serves /login', async (t) => {
  const run = await runMain({ PORT: '0' }, /Open (http:\/\/\S+)[\s\S]*\/dev\/outbox/)
  t.teardown(run.kill)
  const url = /Open (http:\/\/\S+)/.exec(run.stdout)?.[1]
  t.ok(url, `printed the URL (stderr: ${run.stderr})`)
  t.match(run.stdout, /local emulator, started in-process \(its API on port \d+/, 'says the emulator runs in-process')
  t.match(run.stdout, /WARNING: SESSION_KEY is not set/, 'warns about the generated session key')
  t.match(run.stdout, /username alice\s+password correct-horse-battery\s+no factor yet/, 'the demo sign-in, field by field')
  t.match(run.stdout, /username bob\s+password correct-horse-battery/)
  t.match(run.stdout, /key\s+([A-Z2-7]{4} ){3}[A-Z2-7]{4}/, "prints bob's key for an authenticator app")
  t.match(run.stdout, /otpauth:\/\/totp\/okta-mfa%20demo%3Abob%40example\.com\?secret=[A-Z2-7]{16}/)
  t.match(run.stdout, /\/dev\/outbox/, 'says where sms codes go')
  const res = await fetch(`${url!}/login`)
  t.equal(res.status, 200)
  t.match(await res.text(), 'Demo accounts')
  t.equal(await run.kill(), 0, 'SIGTERM shuts it down cleanly')
})

await t.test('main.js with an Okta org on loopback prints and shows the demo sign-in too, saying the Okta users are made at the first sign-in', async (t) => {
  const org = await withEmulator(t)
  const run = await runMain({ PORT: '0', OKTA_ORG_URL: org.url, OKTA_API_TOKEN: org.token }, /Open (http:\/\/\S+)[\s\S]*username carol/)
  t.teardown(run.kill)
  const url = /Open (http:\/\/\S+)/.exec(run.stdout)?.[1]
  t.ok(url, `printed the URL (stderr: ${run.stderr})`)
  t.match(run.stdout, /the app's own accounts; their Okta users are looked up by login, and made at the first sign-in/)
  t.match(run.stdout, /username alice\s+password correct-horse-battery\s+Okta user alice@example\.com: the first sign-in sets up a factor/, 'the demo sign-in, field by field')
  t.notMatch(run.stdout, /otpauth:|\/dev\/outbox/, "nothing of the emulator's own demo (a key, the outbox)")
  const page = await (await fetch(`${url!}/login`)).text()
  t.match(page, 'Demo accounts')
  t.match(page, "Okta users are looked up by login, and made at the first sign-in")
  t.match(page, /<code>alice<\/code> \/ <code>correct-horse-battery<\/code>/)
  t.equal(await run.kill(), 0)
})

await t.test('main.js refuses a bad SESSION_KEY and half an Okta configuration, naming the variable', async (t) => {
  const badKey = await runMain({ PORT: '0', SESSION_KEY: 'not-a-key' })
  t.equal(badKey.code, 1)
  t.match(badKey.stderr, /Configuration error: SESSION_KEY must be 32 bytes/)
  t.notMatch(badKey.stderr, 'not-a-key', 'the bad value (a secret) is not echoed')
  const half = await runMain({ PORT: '0', OKTA_ORG_URL: 'https://dev-1.okta.com' })
  t.equal(half.code, 1)
  t.match(half.stderr, /OKTA_API_TOKEN/)
})

await t.test('with REDIS_URL an instance answers its first request from a signed-in browser at once: it waits for Redis before listening', async (t) => {
  const redis = await withRedis(t)
  const sessionKey = randomBytes(32)
  const first = await startE2eApp(t, { redisUrl: redis.url, sessionKey })
  const jar = first.jar()
  await passwordLogin(jar, 'bob')
  const mfa = await jar.fetch('/mfa', { headers: HTML })
  const formId = /name="formId" value="([^"]+)"/.exec(mfa.text)?.[1] ?? ''
  t.equal((await jar.fetch('/mfa', { form: { passCode: totp(first.demo!.totpUser.sharedSecret, first.clock.now()), _csrf: csrfOf(mfa.text), formId } })).status, 303)
  // A new instance (a deploy, a restart) on the same Redis and key, whose Redis connection becomes ready only 900 ms
  // after the instance is started (a relay holds Redis's answers until then): it must not be listening before, and the
  // browser's very next request to it is served.
  let gateOpen = false
  const held: Array<() => void> = []
  const relay = createServer((client) => {
    const upstream = createConnection(redis.port, '127.0.0.1')
    client.pipe(upstream)
    upstream.on('data', (chunk: Buffer) => {
      if (gateOpen) client.write(chunk)
      else held.push(() => client.write(chunk))
    })
    upstream.on('end', () => client.end())
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  }).listen(0, '127.0.0.1')
  await once(relay, 'listening')
  t.teardown(() => { relay.close() })
  const relayUrl = `redis://127.0.0.1:${(relay.address() as AddressInfo).port}`
  let listening = false
  const starting = startE2eApp(t, { redisUrl: relayUrl, sessionKey, orgUrl: first.emulator!.url, token: first.emulator!.token, allowInsecureHttp: true })
    .then((next) => { listening = true; return next })
  await new Promise((resolve) => setTimeout(resolve, 900))
  t.notOk(listening, 'not listening while its Redis connection is not ready')
  gateOpen = true
  for (const flush of held.splice(0)) flush()
  const next = await starting
  const same = next.jar()
  for (const [k, v] of jar.cookies) same.cookies.set(k, v)
  const res = await same.fetch('/account', { headers: HTML })
  t.equal(res.status, 200, `served at once (${String(res.headers['x-error-code'] ?? '')})`)
  await next.app.close()
})

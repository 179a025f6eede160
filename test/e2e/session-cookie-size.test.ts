// Audit 12 (state, F1): the demo's whole session is one encrypted cookie, and a browser ignores a Set-Cookie whose
// name=value passes 4096 bytes (it keeps the old cookie). Driven against the real demo and a real emulator (behind a
// loopback relay that lists carol with 16 factors, the most the session caches, each field as long as Okta's): a deep
// link of 2048 characters (the longest a return path passes the shared check) is not kept, so a reloaded wrong-code
// form still costs no attempt with a browser-like jar; a return path of 512 characters is kept, and with everything
// else at its largest the cookie stays under 4096 bytes, measured on every answer and on a session filled to the bound.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import t from 'tap'
import { buildApp, demoSeed, DEMO_USERS } from '../../examples/fastify-app/dist/index.js'
import { fitSessionCookie, SESSION_JSON_BUDGET } from '../../examples/fastify-app/dist/session.js'
import { csrfOf, errorText, passwordLogin } from '../helpers/e2e-app.js'
import { emuFetch, testClock, withEmulator } from '../helpers/emulator.js'
import { CookieJar, listenLoopback, type JarResponse } from '../helpers/http.js'

const HTML = { accept: 'text/html' }
const COOKIE_LIMIT = 4096
const clock = testClock()
const emu = await withEmulator(t, { seed: demoSeed(DEMO_USERS).seed, clock })
const carol = (await emuFetch(emu, 'GET', '/api/v1/users/carol%40example.com')).body as { id: string }
const smsId = ((await emuFetch(emu, 'GET', `/api/v1/users/${carol.id}/factors`)).body as Array<{ id: string }>)[0]!.id

/** Okta's longest values: a 20-character id, the longest factor type, status and provider. */
const bigFactor = (i: number): Record<string, unknown> => ({
  id: `uft${String(i).padStart(17, '0')}`, factorType: 'token:software:totp', provider: 'SYMANTEC', status: 'PENDING_ACTIVATION', profile: {},
})

// The relay: Okta's answers as they are, but carol's factor list has 15 more factors (16 in all).
const relay = createServer((req, res) => {
  void (async () => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>
    const up = await fetch(emu.url + req.url!, { method: req.method!, headers, ...(chunks.length === 0 ? {} : { body: Buffer.concat(chunks) }) })
    let body = Buffer.from(await up.arrayBuffer())
    if (req.method === 'GET' && req.url === `/api/v1/users/${carol.id}/factors` && up.status === 200) {
      body = Buffer.from(JSON.stringify([...JSON.parse(body.toString()) as unknown[], ...Array.from({ length: 15 }, (_, i) => bigFactor(i))]))
    }
    const out: Record<string, string> = {}
    up.headers.forEach((v, k) => { if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)) out[k] = v })
    res.writeHead(up.status, out).end(body)
  })().catch(() => { res.destroy() })
})
const relayUrl = await listenLoopback(t, relay)
const { app } = await buildApp({ sessionKey: randomBytes(32), clock: clock.now, orgUrl: relayUrl, token: emu.token, allowInsecureHttp: true })
t.teardown(() => app.close())
await app.listen({ port: 0, host: '127.0.0.1' })
const url = `http://127.0.0.1:${(app.server.address() as import('node:net').AddressInfo).port}`

/** A jar that keeps a session cookie only when name=value fits 4096 bytes, as a browser does; it notes every size. */
class BrowserJar extends CookieJar {
  readonly sizes: number[] = []
  override async fetch (path: string, opts: Parameters<CookieJar['fetch']>[1] = {}): Promise<JarResponse> {
    const before = this.cookies.get('session')
    const res = await super.fetch(path, opts)
    const set = res.headers['set-cookie']
    for (const line of (Array.isArray(set) ? set : set === undefined ? [] : [set]).filter((l) => l.startsWith('session='))) {
      const size = line.split(';')[0]!.length
      this.sizes.push(size)
      if (size > COOKIE_LIMIT) { if (before === undefined) this.cookies.delete('session'); else this.cookies.set('session', before) }
    }
    return res
  }
}

/** A local path of exactly `length` characters. */
const pathOf = (length: number): string => '/account/security?q=' + 'x'.repeat(length - '/account/security?q='.length)

/** The /mfa page's code form for carol's sms factor: the fields to post (a wrong code unless given). */
async function codeForm (jar: CookieJar, passCode = '000000'): Promise<Record<string, string>> {
  const page = await jar.fetch('/mfa', { headers: HTML })
  return { passCode, factorId: smsId, _csrf: csrfOf(page.text), formId: /name="formId" value="([^"]+)"/.exec(page.text)![1]! }
}

/** Sends carol a code from /mfa and reads it in the emulator's outbox. */
async function sentCode (jar: CookieJar): Promise<string> {
  clock.advance(31_000) // Okta's wait between two texts
  const csrf = csrfOf((await jar.fetch('/mfa', { headers: HTML })).text)
  t.equal((await jar.fetch('/mfa/challenge', { form: { _csrf: csrf, factorId: smsId }, headers: HTML })).status, 303)
  return emu.messages({ userId: carol.id }).at(-1)!.code
}

await t.test('a 2048-character deep link is not kept: the cookie fits, and a reloaded wrong-code form uses no attempt', async (t) => {
  const jar = new BrowserJar(url)
  t.equal((await jar.fetch(pathOf(2048), { headers: HTML })).location, '/login', 'the deep link (2048 characters) asks for sign-in')
  t.equal((await passwordLogin(jar, 'carol')).location, '/mfa')
  const form = await codeForm(jar)
  const first = await jar.fetch('/mfa', { form, headers: HTML })
  t.equal(first.status, 401)
  t.match(errorText(first.text), /3 attempts left/, 'a wrong code: one attempt used')
  const reload = await jar.fetch('/mfa', { form, headers: HTML })
  t.equal(reload.status, 200, 'the same form again (a reload): not checked again')
  t.match(reload.text, 'That page was sent again, so its code was not checked again.')
  const session = app.decodeSecureSession(decodeURIComponent(jar.cookies.get('session')!))!.data() as Record<string, any>
  t.equal(session.oktaMfaUser.factors.length, 16, 'the 16 factors cached (room enough)')
  t.equal(session.returnTo, undefined, 'the deep link not kept')
  const next = await jar.fetch('/mfa', { form: await codeForm(jar), headers: HTML })
  t.match(errorText(next.text), /2 attempts left/, 'the reload used no attempt')
  const done = await jar.fetch('/mfa', { form: await codeForm(jar, await sentCode(jar)), headers: HTML })
  t.equal(done.location, '/account', 'the path too long to keep: the default page, as with any refused return path')
  t.ok(jar.sizes.length > 5 && jar.sizes.every((s) => s <= COOKIE_LIMIT), `every session Set-Cookie fits (largest ${Math.max(...jar.sizes)})`)

  // Signed in without the MFA step, the guard keeps up to 2048 characters: not in this cookie.
  const other = new BrowserJar(url)
  t.equal((await passwordLogin(other, 'carol')).location, '/mfa')
  t.equal((await other.fetch(pathOf(2048), { headers: HTML })).location, '/mfa')
  t.equal((await other.fetch('/mfa', { form: await codeForm(other, await sentCode(other)), headers: HTML })).location, '/account')
  t.ok(other.sizes.every((s) => s <= COOKIE_LIMIT), `guard path: every session Set-Cookie fits (largest ${Math.max(...other.sizes)})`)
})

await t.test('everything at its largest with a 512-character return path: every session cookie under 4096 bytes', async (t) => {
  clock.advance(16 * 60_000) // the attempt window of the first test ends
  const jar = new BrowserJar(url)
  const kept = pathOf(512)
  t.equal((await jar.fetch(kept, { headers: HTML })).location, '/login')
  t.equal((await passwordLogin(jar, 'carol')).location, '/mfa')
  const signedIn = await jar.fetch('/mfa', { form: { ...await codeForm(jar, await sentCode(jar)), rememberDevice: '1' }, headers: HTML })
  t.equal(signedIn.location, kept, 'a 512-character return path is kept')
  // Remembered: the MFA step comes from the device cookie (the step and the "remembered" mark in the session).
  t.equal((await jar.fetch('/logout', { headers: HTML })).location, '/login')
  t.equal((await passwordLogin(jar, 'carol')).location, '/account', 'this browser is remembered')
  t.equal((await jar.fetch(`/login?returnTo=${encodeURIComponent(kept)}`, { headers: HTML })).status, 200, 'a return path again')
  await sentCode(jar) // the resend time
  // 8 wrong-code forms (the most remembered; the sixth on is refused as paused): the 16 factors cached, 8 form ids.
  const forms = []
  for (let i = 0; i < 8; i++) forms.push(await codeForm(jar))
  for (const form of forms) t.ok([401, 429].includes((await jar.fetch('/mfa', { form, headers: HTML })).status))
  // A notice for the next page (a factor not hers: nothing is sent, the page will say so).
  const csrf = csrfOf((await jar.fetch('/account', { headers: HTML })).text)
  t.equal((await jar.fetch('/mfa/challenge', { form: { _csrf: csrf, factorId: `${smsId.slice(0, -4)}zzzz` }, headers: HTML })).status, 303)
  const value = decodeURIComponent(jar.cookies.get('session')!)
  const data = app.decodeSecureSession(value)!.data() as Record<string, any>
  t.equal(data.returnTo, kept)
  t.equal(data.oktaMfaUser.factors, undefined, 'the cached factors dropped: with them the cookie would pass its budget')
  t.equal(data.sentCodeForms.length, 8, '8 sent forms')
  t.ok(data.notice !== undefined && data.resendAt !== undefined && data.csrf !== undefined && data.oktaMfa !== undefined && data.oktaMfaRemembered !== undefined, 'a notice, the resend time, CSRF, the MFA step, the remembered mark')
  t.ok(jar.sizes.length > 20 && jar.sizes.every((s) => s <= COOKIE_LIMIT), `every session Set-Cookie fits (largest ${Math.max(...jar.sizes)})`)

  // The same session filled to the bound of every part the app writes (8 used factors, 4 resend times, a notice of 400 characters,
  // 16 cached factors of Okta's longest fields, form ids of their longest), with and without the return path, kept in
  // its budget as each response is, and encoded as the app encodes it, many times (the size varies with the nonce:
  // base64's "+" and "/" take 3 bytes in a cookie).
  const filled = {
    ...data,
    usedFactors: { userKey: data.usedFactors.userKey, used: Array.from({ length: 8 }, (_, i) => [bigFactor(i).id, clock.now()]) },
    notice: { kind: 'success', text: 'x'.repeat(400) },
    sentCodeForms: Array.from({ length: 8 }, () => `${'z'.repeat(11)}.${randomBytes(9).toString('base64url')}`),
    resendAt: Array.from({ length: 4 }, (_, i) => [bigFactor(i).id, clock.now() + 30_000]),
    oktaMfaUser: { ...data.oktaMfaUser, factorsAt: clock.now(), factors: Array.from({ length: 16 }, (_, i) => ({ id: bigFactor(i).id, factorType: 'token:software:totp', status: 'PENDING_ACTIVATION', provider: 'SYMANTEC' })) },
  }
  for (const returnTo of [kept, undefined]) {
    const session = app.createSecureSession({ ...filled, returnTo })
    fitSessionCookie({ session })
    t.equal(session.get('returnTo'), returnTo, `returnTo ${returnTo === undefined ? 'none' : 'of 512 characters'}: kept`)
    t.ok(JSON.stringify(session.data()).length <= SESSION_JSON_BUDGET)
    let largest = 0
    for (let i = 0; i < 500; i++) largest = Math.max(largest, `session=${encodeURIComponent(app.encodeSecureSession(session))}`.length)
    t.ok(largest < COOKIE_LIMIT - 150, `returnTo ${returnTo === undefined ? 'none' : 'of 512 characters'}: at most ${largest} bytes, under 4096 with room`)
  }
  // And any session at the budget itself (a notice made as long as it takes).
  const full = app.createSecureSession({ ...filled, oktaMfaUser: data.oktaMfaUser, returnTo: kept })
  full.set('notice', { kind: 'success', text: 'x'.repeat(400 + SESSION_JSON_BUDGET - JSON.stringify(full.data()).length) })
  t.equal(JSON.stringify(full.data()).length, SESSION_JSON_BUDGET)
  let largest = 0
  for (let i = 0; i < 500; i++) largest = Math.max(largest, `session=${encodeURIComponent(app.encodeSecureSession(full))}`.length)
  t.ok(largest < COOKIE_LIMIT - 150, `a session of ${SESSION_JSON_BUDGET} bytes: at most ${largest} bytes in its cookie`)
})

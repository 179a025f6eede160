// The shared passcode check of @okta-mfa/core, once, against the real emulator: every outcome of the table it can
// produce, the attempt counted before Okta hears the code (and refused, never let through, when the store fails),
// the default limit below Okta's lockout, one Okta call per verify once the session knows the user, and one
// deadline for all the Okta calls of a request.
import { createServer, type Socket } from 'node:net'
import t from 'tap'
import { Agent, type Dispatcher } from 'undici'
import { createOktaClient, type OktaClient } from '@okta-mfa/client'
import type { EmulatorOptions } from '@okta-mfa/emulator'
import {
  AttemptLimiter, MemoryAttemptStore, MfaSubject, RequestDeadline, checkPasscode, endUserContext,
  getOktaUserBinding, resolveOktaUserId, type AttemptStore, type PasscodeCheckResult,
} from '@okta-mfa/core'
import { emuFetch, userWithTotp, withEmulator, type TestEmulator } from '../helpers/emulator.js'
import { faultProxy, type Fault } from '../helpers/http.js'
import { ALL_SCOPES, app, appKey, oauthEmulator } from '../oauth/keys.js'
import { switchableAttemptStore } from '../helpers/store-contract.js'
import { jsonHeaders, mockOrg, ORG } from '../helpers/client-mock.js'

/** A dispatcher that counts the requests it sends (to the real emulator). */
function countingAgent (): { dispatcher: Dispatcher, calls: string[], verifyHeaders: Array<Record<string, unknown>> } {
  const calls: string[] = []
  const verifyHeaders: Array<Record<string, unknown>> = []
  const dispatcher = new Agent().compose((dispatch) => (opts, handler) => {
    calls.push(`${opts.method} ${String(opts.path).replace(/\?.*$/, '')}`)
    if (String(opts.path).endsWith('/verify')) verifyHeaders.push({ ...(opts.headers as Record<string, unknown>) })
    return dispatch(opts, handler)
  })
  return { dispatcher, calls, verifyHeaders }
}

interface Rig {
  emu: TestEmulator
  client: OktaClient
  calls: string[]
  /** The headers of each verify sent to Okta. */
  verifyHeaders: Array<Record<string, unknown>>
  /** One request's check for `login` in `session`. */
  check: (session: { session: Record<string, unknown> }, login: string, input: { passCode?: unknown, answer?: unknown, factorId?: unknown, trustFactorId?: boolean }, limiter?: AttemptLimiter) => Promise<PasscodeCheckResult>
}

async function rig (tt: { teardown: (fn: () => unknown) => void }, opts: { provision?: boolean, deadlineMs?: number, url?: string, seed?: EmulatorOptions['seed'] } = {}): Promise<Rig> {
  const emu = await withEmulator(tt, opts.seed === undefined ? {} : { seed: opts.seed })
  const { dispatcher, calls, verifyHeaders } = countingAgent()
  const client = createOktaClient({ orgUrl: opts.url ?? emu.url, token: emu.token, allowInsecureHttp: true, dispatcher, timeoutMs: 60_000 })
  tt.teardown(async () => { await client.close(); await dispatcher.close() })
  const check: Rig['check'] = async (holder, login, input, limiter) => {
    const subject = new MfaSubject({
      session: holder,
      user: { id: login },
      userKey: login,
      request: undefined,
      client,
      // An app that keeps Okta user ids maps to { id }; the others to { login }.
      resolveOktaUser: () => (login.startsWith('00u') ? { id: login } : { login }),
      provision: opts.provision,
      clock: emu.clock.now,
      deadline: new RequestDeadline(opts.deadlineMs ?? 5000, 'req-1'),
    })
    const context = endUserContext({ ip: '203.0.113.9', headers: { 'user-agent': 'CoreTest/1.0', 'accept-language': 'de' } })
    return await checkPasscode({ subject, client, limiter, context, ...input })
  }
  return { emu, client, calls, verifyHeaders, check }
}

function codeOf (result: PasscodeCheckResult): string {
  return result.ok ? 'SUCCESS' : result.error.code
}

function wrong (code: string): string {
  return String((Number(code) + 500_000) % 1_000_000).padStart(6, '0')
}

async function statusOf (emu: TestEmulator, userId: string): Promise<string> {
  return (await emuFetch(emu, 'GET', `/api/v1/users/${userId}`)).body.status as string
}

await t.test('input is checked (with bounded sizes) before Okta or the store hear of it', async (t) => {
  const { emu, calls, check } = await rig(t)
  const { factorId } = await userWithTotp(emu, 'ada@example.com')
  const store = new MemoryAttemptStore()
  const limiter = new AttemptLimiter({ store })
  const session = { session: {} }
  const cases: Array<[unknown, string]> = [
    [undefined, 'PASSCODE_MISSING'], ['', 'PASSCODE_MISSING'], ['   ', 'PASSCODE_MISSING'],
    ['12ab56', 'PASSCODE_MALFORMED'], ['1234567', 'PASSCODE_MALFORMED'], [['123456'], 'PASSCODE_MALFORMED'],
    [{ $gt: '' }, 'PASSCODE_MALFORMED'], ['1'.repeat(1_000_000), 'PASSCODE_MALFORMED'], [' '.repeat(40) + '123456', 'PASSCODE_MALFORMED'],
  ]
  for (const [passCode, expected] of cases) {
    const result = await check(session, 'ada@example.com', { passCode }, limiter)
    t.equal(codeOf(result), expected, `${JSON.stringify(passCode)?.slice(0, 20)} is ${expected}`)
    if (!result.ok) t.equal(result.error.status, 400)
  }
  for (const factor of ['../../users', 'x'.repeat(65), 42, { id: factorId }]) {
    t.equal(codeOf(await check(session, 'ada@example.com', { passCode: '123456', factorId: factor }, limiter)), 'FACTOR_NOT_FOUND', `factor id ${String(factor).slice(0, 12)}`)
  }
  t.equal(codeOf(await check(session, 'ada@example.com', { answer: 'a'.repeat(257) }, limiter)), 'BAD_USER_INPUT', 'an over-long answer')
  t.match(await check(session, 'ada@example.com', { answer: 'x', passCode: '123456' }, limiter), { ok: false, error: { code: 'BAD_USER_INPUT', details: { field: 'answer' }, message: 'Give passCode or answer, not both.' } }, 'both a passcode and an answer')
  // A form that shows both fields sends the unused one blank: that is not a second secret (seen refused as both).
  t.equal(codeOf(await check(session, 'ada@example.com', { answer: '', passCode: '12ab56' }, limiter)), 'PASSCODE_MALFORMED', 'a code beside a blank answer is read as the code')
  t.equal(codeOf(await check(session, 'ada@example.com', { answer: '  ', passCode: '' }, limiter)), 'PASSCODE_MISSING', 'both blank: the code is missing')
  const answerOnly = await check(session, 'ada@example.com', { answer: 'a'.repeat(257), passCode: ' ' }, limiter)
  t.match(answerOnly, { ok: false, error: { code: 'BAD_USER_INPUT', details: { field: 'answer' } } }, 'an answer beside a blank code is read as the answer')
  t.not(answerOnly.ok ? '' : answerOnly.error.message, 'Give passCode or answer, not both.')
  t.equal(store.size, 0, 'no bad input reached the attempt store')
  t.notOk(calls.some((c) => c.includes('/verify')), 'no bad input reached Okta')
})

await t.test('outcomes: success, wrong codes with attempts left, the last with the retry time, lockout, replay; the factor and the Okta user', async (t) => {
  const { emu, calls, check } = await rig(t)
  const { userId, factorId } = await userWithTotp(emu, 'ada@example.com')
  const limiter = new AttemptLimiter({ maxAttempts: 3, windowMs: 600_000, clock: emu.clock.now })
  const session = { session: {} as Record<string, unknown> }

  const right = emu.totpCode(factorId)
  const first = await check(session, 'ada@example.com', { passCode: wrong(right) }, limiter)
  t.match(first, { ok: false, error: { code: 'INVALID_PASSCODE', status: 401, retryable: true, details: { attemptsRemaining: 2 } } })
  t.match(await check(session, 'ada@example.com', { passCode: wrong(right) }, limiter), { ok: false, error: { code: 'INVALID_PASSCODE', details: { attemptsRemaining: 1 } } })
  const last = await check(session, 'ada@example.com', { passCode: wrong(right) }, limiter)
  t.match(last, { ok: false, error: { code: 'INVALID_PASSCODE', details: { attemptsRemaining: 0, retryAfterSeconds: 600 } } }, 'the last wrong code says when to try again')
  const verifiesBefore = calls.filter((c) => c.endsWith('/verify')).length
  const locked = await check(session, 'ada@example.com', { passCode: right }, limiter)
  t.match(locked, { ok: false, error: { code: 'LOCKED_OUT', status: 403, retryable: true, details: { retryAfterSeconds: 600 } } })
  t.equal(calls.filter((c) => c.endsWith('/verify')).length, verifiesBefore, 'a locked-out attempt never reaches Okta')

  emu.clock.advance(600_000)
  const now = emu.totpCode(factorId)
  const ok = await check(session, 'ada@example.com', { passCode: now.slice(0, 3) + ' ' + now.slice(3) }, limiter)
  t.match(ok, { ok: true, oktaUserId: userId, factor: { id: factorId, factorType: 'token:software:totp' } }, 'after the window the right code passes')
  t.same(await limiter.check('ada@example.com'), { allowed: true, retryAfterSeconds: 0, remaining: 3 }, 'success clears the counter')
  t.match(await check(session, 'ada@example.com', { passCode: now, factorId }, limiter), { ok: false, error: { code: 'PASSCODE_REPLAYED', status: 401, details: { attemptsRemaining: 2 } } })

  const other = await userWithTotp(emu, 'bob@example.com')
  t.match(await check(session, 'ada@example.com', { passCode: '123456', factorId: other.factorId }, limiter), { ok: false, error: { code: 'FACTOR_NOT_FOUND', status: 404 } }, "another user's factor")
  await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'cyd@example.com', email: 'cyd@example.com', firstName: 'C', lastName: 'D' } })
  t.match(await check({ session: {} }, 'cyd@example.com', { passCode: '123456' }, limiter), { ok: false, error: { code: 'ENROLLMENT_REQUIRED', status: 403 } }, 'no factor: a code the app routes to enrollment')
  t.match(await check({ session: {} }, 'ghost@example.com', { passCode: '123456' }, limiter), { ok: false, error: { code: 'OKTA_USER_NOT_FOUND', status: 403, retryable: false } }, 'no Okta user: a code, not an error')
  t.match(await check({ session: {} }, 'ghost\ud800@example.com', { passCode: '123456' }, limiter), { ok: false, error: { code: 'OKTA_USER_NOT_FOUND', status: 403 } }, 'a login with a lone surrogate: no Okta user, not INTERNAL')
  t.match(await check({ session: {} }, '00unknownuser0000001', { passCode: '123456' }, limiter), { ok: false, error: { code: 'OKTA_USER_NOT_FOUND', status: 403 } }, 'an { id } Okta does not know: the same code')
  t.match(await check({ session: {} }, '00unknownuser0000001', { passCode: '123456', factorId: 'ostunknown0000000001', trustFactorId: true }, limiter), { ok: false, error: { code: 'OKTA_USER_NOT_FOUND', status: 403 } }, 'also when the factor id went to Okta unlisted (it was FACTOR_NOT_FOUND)')
  const { provisioned } = { provisioned: await rig(t, { provision: true }) }
  t.match(await provisioned.check({ session: {} }, 'dee@example.com', { passCode: '123456' }), { ok: false, error: { code: 'ENROLLMENT_REQUIRED' } }, 'with provision the user is created, then needs a factor')
  t.equal(await statusOf(provisioned.emu, 'dee@example.com'), 'STAGED', 'created without credentials and not activated: Okta sends no activation e-mail')
  // A login Okta refuses to create (400 E0000001): the app's mapping is wrong, not "no Okta user, turn on provision".
  for (const login of ['not-an-email', 'nobody@']) {
    const refused = await provisioned.check({ session: {} }, login, { passCode: '123456' }).then(() => undefined, (err: unknown) => err as Error & { code?: string, cause?: { code?: string, errorCode?: string } })
    t.match(refused, { name: 'ProvisionRefusedError', code: 'OKTA_MFA_PROVISION_REFUSED' }, `${login}: the creation Okta refused is an error of its own`)
    t.match(refused?.cause, { code: 'OKTA_VALIDATION', errorCode: 'E0000001' }, 'with Okta\'s answer as its cause')
    t.notOk(refused?.message.includes(login), 'the message does not quote the login')
  }
})

await t.test("the verify tells Okta the end user's IP, user agent and language, and the request id", async (t) => {
  const { emu, verifyHeaders, check } = await rig(t)
  const { factorId } = await userWithTotp(emu, 'ada@example.com')
  const result = await check({ session: {} }, 'ada@example.com', { passCode: emu.totpCode(factorId) })
  t.equal(codeOf(result), 'SUCCESS')
  t.equal(verifyHeaders.length, 1)
  t.match(verifyHeaders[0], { 'x-forwarded-for': '203.0.113.9', 'user-agent': 'CoreTest/1.0', 'accept-language': 'de', 'x-request-id': 'req-1' })
})

await t.test('one Okta call per verify once the session knows the user; the binding belongs to the user', async (t) => {
  const { emu, calls, check } = await rig(t)
  const { userId, factorId } = await userWithTotp(emu, 'ada@example.com')
  const session = { session: {} as Record<string, unknown> }
  const limiter = new AttemptLimiter({ clock: emu.clock.now })
  await check(session, 'ada@example.com', { passCode: wrong(emu.totpCode(factorId)) }, limiter)
  t.same(calls, [`GET /api/v1/users/ada%40example.com`, `GET /api/v1/users/${userId}/factors`, `POST /api/v1/users/${userId}/factors/${factorId}/verify`], 'the first verify resolves the user and lists the factors')
  calls.length = 0
  await check(session, 'ada@example.com', { passCode: wrong(emu.totpCode(factorId)) }, limiter)
  t.same(calls, [`POST /api/v1/users/${userId}/factors/${factorId}/verify`], 'the next one is one call')
  t.equal(getOktaUserBinding(session, 'ada@example.com')?.oktaUserId, userId)
  t.equal(getOktaUserBinding(session, 'mallory'), undefined, 'another user of the same session does not get the binding')
  calls.length = 0
  emu.clock.advance(31_000)
  await check(session, 'ada@example.com', { passCode: wrong(emu.totpCode(factorId)) }, limiter)
  t.same(calls, [`GET /api/v1/users/${userId}/factors`, `POST /api/v1/users/${userId}/factors/${factorId}/verify`], 'the factor list is cached for 30 s only')

  // Made-up factor ids: no code is judged and no attempt counted, so Okta is asked again for the list at most once
  // every 5 s (a list that old may predate an enrollment made elsewhere), never once per request.
  calls.length = 0
  for (let i = 0; i < 20; i++) {
    t.match(await check(session, 'ada@example.com', { passCode: '123456', factorId: `ostmadeup${String(i).padStart(11, '0')}` }, limiter), { ok: false, error: { code: 'FACTOR_NOT_FOUND' } })
  }
  t.same(calls, [], 'twenty made-up factor ids within 5 s of the list: no Okta call')
  emu.clock.advance(5000)
  await check(session, 'ada@example.com', { passCode: '123456', factorId: 'ostmadeup99999999999' }, limiter)
  t.same(calls, [`GET /api/v1/users/${userId}/factors`], 'a list 5 s old is fetched again once before saying no')
  calls.length = 0
  await check(session, 'ada@example.com', { passCode: '123456', factorId: 'ostmadeup99999999998' }, limiter)
  t.same(calls, [], 'and is then fresh again')

  // A client that keeps no session (a fresh session every time) naming its factor: Okta decides, no list.
  calls.length = 0
  const bare = await check({ session: {} }, 'ada@example.com', { passCode: emu.totpCode(factorId), factorId, trustFactorId: true }, limiter)
  t.match(bare, { ok: true, factor: { id: factorId } })
  t.same(calls, ['GET /api/v1/users/ada%40example.com', `POST /api/v1/users/${userId}/factors/${factorId}/verify`], 'no factor list with trustFactorId')
  const other = await userWithTotp(emu, 'bob@example.com')
  t.match(await check({ session: {} }, 'ada@example.com', { passCode: '123456', factorId: other.factorId, trustFactorId: true }, limiter),
    { ok: false, error: { code: 'FACTOR_NOT_FOUND', status: 404 } }, "Okta refuses another user's factor")
})

await t.test("the default limit stays below Okta's lockout: the user is never locked in Okta", async (t) => {
  const { emu, check } = await rig(t)
  const { userId, factorId } = await userWithTotp(emu, 'ada@example.com')
  const limiter = new AttemptLimiter({ clock: emu.clock.now })
  t.ok(limiter.maxAttempts < 5, 'the default is below the emulator\'s (and many orgs\') 5')
  const before = await statusOf(emu, userId)
  const session = { session: {} }
  const codes: string[] = []
  for (let i = 0; i < 10; i++) codes.push(codeOf(await check(session, 'ada@example.com', { passCode: wrong(emu.totpCode(factorId)) }, limiter)))
  t.same(codes.slice(limiter.maxAttempts), Array(10 - limiter.maxAttempts).fill('LOCKED_OUT'))
  t.not(before, 'LOCKED_OUT')
  t.equal(await statusOf(emu, userId), before, 'Okta did not lock the user')
  emu.clock.advance(15 * 60_000)
  t.equal(codeOf(await check(session, 'ada@example.com', { passCode: emu.totpCode(factorId) }, limiter)), 'SUCCESS', 'after our window the right code works')

  // Without our limiter Okta's own lockout is what stops guessing, and only an administrator lifts it.
  const bob = await userWithTotp(emu, 'bob@example.com')
  for (let i = 0; i < 5; i++) await check({ session: {} }, 'bob@example.com', { passCode: wrong(emu.totpCode(bob.factorId)) })
  t.equal(await statusOf(emu, bob.userId), 'LOCKED_OUT', 'the threshold the default stays below')
})

await t.test('a store that fails refuses the attempt with STORE_UNAVAILABLE (503, retryable); Okta never hears the code', async (t) => {
  const { emu, calls, check } = await rig(t)
  const { factorId } = await userWithTotp(emu, 'ada@example.com')
  const { store: flaky, setDown } = switchableAttemptStore()
  const broken: AttemptStore = { ...flaky, increment: async () => { throw new Error('ECONNREFUSED 127.0.0.1:6379') } }
  const session = { session: {} }
  await check(session, 'ada@example.com', { passCode: 'x' }) // binds the user: the calls below are the verify only
  calls.length = 0
  for (const store of [flaky, broken]) {
    const result = await check(session, 'ada@example.com', { passCode: emu.totpCode(factorId) }, new AttemptLimiter({ store }))
    t.match(result, { ok: false, error: { code: 'STORE_UNAVAILABLE', status: 503, retryable: true } })
    if (!result.ok) t.notMatch(result.error.message, /6379|ECONNREFUSED/, 'no store detail in the public message')
  }
  t.notOk(calls.some((c) => c.endsWith('/verify')), 'no verify call while the store is down')
  setDown(false)
  t.equal(codeOf(await check(session, 'ada@example.com', { passCode: emu.totpCode(factorId) }, new AttemptLimiter({ store: flaky }))), 'SUCCESS', 'service resumes with the store')
})

await t.test('a verify answered with a factorResult other than SUCCESS (WAITING, TIMEOUT) is a wrong code, and its attempt stays counted', async (t) => {
  // No Okta answers a TOTP verify so, but a push-like answer must never pass as a right code: the README's "a
  // factorResult other than SUCCESS" is INVALID_PASSCODE. The real emulator behind a proxy that answers the verify.
  const upstream = await withEmulator(t)
  const { factorId } = await userWithTotp(upstream, 'push@example.com')
  let factorResult = ''
  const proxy = await faultProxy(t, upstream.url)
  proxy.hook = (req) => (req.url ?? '').endsWith('/verify') ? { status: 200, type: 'application/json', page: JSON.stringify({ factorResult }) } : undefined
  const { check } = await rig(t, { url: proxy.url })
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore(), maxAttempts: 3 })
  const session = { session: {} }
  for (const [result, left] of [['WAITING', 2], ['TIMEOUT', 1]] as const) {
    factorResult = result
    const r = await check(session, 'push@example.com', { passCode: upstream.totpCode(factorId) }, limiter)
    t.match(r, { ok: false, error: { code: 'INVALID_PASSCODE', status: 401, details: { attemptsRemaining: left } } }, `${result}: INVALID_PASSCODE`)
    t.match(await limiter.check('push@example.com'), { remaining: left }, `${result}: the attempt stays counted`)
  }
})

await t.test('a closed client: the verify rejects with OKTA_CLIENT_CLOSED, and its attempt is given back', async (t) => {
  const { emu, client, calls, check } = await rig(t)
  const { factorId } = await userWithTotp(emu, 'shut@example.com')
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore(), maxAttempts: 3 })
  const session = { session: {} }
  t.equal(codeOf(await check(session, 'shut@example.com', { passCode: emu.totpCode(factorId) }, limiter)), 'SUCCESS', 'the session knows the user and the factor')
  await client.close()
  calls.length = 0
  // The user and the list are the session's: the closed client fails at the verify, after the attempt was counted.
  await t.rejects(check(session, 'shut@example.com', { passCode: emu.totpCode(factorId, emu.clock.now() + 30_000) }, limiter), { code: 'OKTA_CLIENT_CLOSED' })
  t.same(calls, [], 'nothing reached Okta')
  t.match(await limiter.check('shut@example.com'), { allowed: true, remaining: 3 }, 'no code was judged: the attempt is given back')
})

await t.test('one deadline for all the Okta calls of a request: a silent Okta is UPSTREAM_TIMEOUT within it', async (t) => {
  const sockets: Socket[] = []
  const silent = createServer((socket) => { sockets.push(socket) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); silent.close() })
  const port = (silent.address() as { port: number }).port
  // The client's own timeout is 60 s: only the request's 300 ms deadline can end these calls.
  const { check } = await rig(t, { url: `http://127.0.0.1:${port}`, deadlineMs: 300 })
  const result = await check({ session: {} }, 'ada@example.com', { passCode: '123456' })
  t.match(result, { ok: false, error: { code: 'UPSTREAM_TIMEOUT', status: 504, retryable: true } })
})

await t.test('a login with a `/`, which Okta fetches by id only, is found by search: as is, with quotes, and once provisioned; an endless answer is cut short', async (t) => {
  const emu = await withEmulator(t)
  const client = createOktaClient({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true })
  t.teardown(() => client.close())
  const byLogin = (login: string, provision = false): Promise<string> => resolveOktaUserId(client, () => ({ login }), {}, {}, { provision })
  const slash = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'a/b@example.com', email: 'a@example.com' } })
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent('a/b@example.com')}`)).status, 404, 'not by the path, as Okta')
  t.equal(await byLogin('a/b@example.com'), slash.body.id)
  t.equal(await byLogin('A/B@Example.com'), slash.body.id, 'logins compare without case')
  // A quote and a backslash in the login are escaped in the search expression, not taken as its end.
  const quoted = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'q"u\\o/te@example.com', email: 'q@example.com' } })
  t.equal(await byLogin('q"u\\o/te@example.com'), quoted.body.id)
  await t.rejects(byLogin('q"u\\o/tf@example.com'), { code: 'OKTA_NOT_FOUND', status: 404 }, 'an unknown one is OKTA_NOT_FOUND, as by the path')
  // provision: created, then found again rather than created twice; a client without listUsers asks the path.
  const created = await byLogin('new/user@example.com', true)
  t.equal(await byLogin('new/user@example.com', true), created)
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${created}`)).body.profile.login, 'new/user@example.com')
  // Two first sign-ins at once: both miss, one creation wins, the other's 400 finds the user it made (no ProvisionRefusedError).
  const raced = await Promise.all([byLogin('twice@example.com', true), byLogin('twice@example.com', true), byLogin('twice/x@example.com', true), byLogin('twice/x@example.com', true)])
  t.equal(raced[0], raced[1], 'one Okta user for both')
  t.equal(raced[2], raced[3], 'also for a login found by search')
  // A lone surrogate (a JSON body can carry one) has no UTF-8 form: no Okta user can have it, none is made with it.
  const users = async (): Promise<number> => (await emuFetch(emu, 'GET', '/api/v1/users?limit=200')).body.length
  const before = await users()
  for (const login of ['lone\ud800@example.com', '\udc00', 'x/\udbff@example.com']) {
    await t.rejects(byLogin(login), { code: 'OKTA_NOT_FOUND', status: 404 }, 'not found, not a TypeError')
    await t.rejects(byLogin(login, true), { code: 'OKTA_NOT_FOUND', status: 404 }, 'nor provisioned')
  }
  t.equal(await users(), before, 'no user was created')
  t.equal(await byLogin('pair\ud83d\ude00@example.com', true), await byLogin('pair\ud83d\ude00@example.com'), 'a surrogate pair is a character like any other')
  const pathOnly = { getUser: client.getUser.bind(client), createUser: client.createUser.bind(client) }
  await t.rejects(resolveOktaUserId(pathOnly, () => ({ login: 'a/b@example.com' }), {}, {}), { code: 'OKTA_NOT_FOUND' })

  // An "Okta" answering the search with other users, page after page, each with a new next link: bounded.
  const { pool, client: hostile } = mockOrg(t)
  let pages = 0
  pool.intercept({ path: (p: string) => p.startsWith('/api/v1/users?'), method: 'GET' }).reply(() => {
    pages++
    const others = [1, 2].map((i) => ({ id: `00uother${pages}x${i}`, status: 'ACTIVE', profile: { login: `other${pages}x${i}@example.com`, email: 'o@example.com' } }))
    return { statusCode: 200, data: JSON.stringify(others), responseOptions: { headers: { ...jsonHeaders(), link: `<${ORG}/api/v1/users?after=c${pages}&limit=2>; rel="next"` } } }
  }).persist()
  await t.rejects(resolveOktaUserId(hostile, () => ({ login: 'a/b@example.com' }), {}, {}), { code: 'OKTA_INVALID_RESPONSE', message: /50 users to the search for one login/ })
  t.equal(pages, 25, 'fifty users read, then no more pages asked for')
})

await t.test("a login is only its own Okta user: not another's login short name, id or `me`, which Okta's GET /users/{x} also answers", async (t) => {
  const emu = await withEmulator(t)
  const client = createOktaClient({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true })
  t.teardown(() => client.close())
  const byLogin = (login: string, provision = false): Promise<string> => resolveOktaUserId(client, () => ({ login }), {}, {}, { provision })
  const isaac = await userWithTotp(emu, 'isaac.brock@example.com')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/isaac.brock')).body.id, isaac.userId, 'Okta answers the short name with the user')
  t.equal(await byLogin('ISAAC.BROCK@example.com'), isaac.userId, 'the login itself, in any case, is still found')
  const borrowed = ['isaac.brock', 'Isaac.Brock', isaac.userId, 'me']
  for (const login of borrowed) {
    await t.rejects(byLogin(login), { code: 'OKTA_NOT_FOUND', status: 404 }, `${login}: no user has this login`)
  }
  // With provision the login is Okta's to accept or refuse as a new user's (none of these is an email, which Okta's
  // default profile requires of a login): never bound to isaac or to the token's own user.
  for (const login of borrowed) {
    await t.rejects(byLogin(login, true), { code: 'OKTA_MFA_PROVISION_REFUSED' }, `${login}: refused as a new user`)
  }
  t.not((await emuFetch(emu, 'GET', '/api/v1/users/me')).body.id, isaac.userId, '(me is another user)')
  // Okta finds a login without its diacritical marks too (zoë finds zoe): another person's login, not this one. The
  // same characters in another Unicode form (decomposed) are the same login.
  const zoe = await userWithTotp(emu, 'zoe@example.com')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent('zoë@example.com')}`)).body.id, zoe.userId, 'Okta answers zoë with zoe')
  await t.rejects(byLogin('zoë@example.com'), { code: 'OKTA_NOT_FOUND' }, 'zoë is not zoe')
  const renee = await userWithTotp(emu, 'ren\u00e9e@example.com')
  t.equal(await byLogin('RENE\u0301E@example.com'), renee.userId, 'the decomposed form, in another case, is the same login')
  // The same for a login with a "/", which Okta finds only by a search: either form finds the user, and provision
  // does not try to make the same login again.
  const slashed = (await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'a/zo\u00eb@example.com', email: 'zoe2@example.com', firstName: 'Z', lastName: 'N' } })).body.id as string
  t.equal(await byLogin('a/zo\u00eb@example.com'), slashed, 'a "/" login, composed as created')
  t.equal(await byLogin('A/ZOE\u0308@example.com'), slashed, 'a "/" login, decomposed and in another case')
  t.equal(await byLogin('a/zoe\u0308@example.com', true), slashed, 'decomposed, with provision: the user there, not a refused creation')
  const decomposed = (await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'b/zoe\u0308@example.com', email: 'zoe3@example.com', firstName: 'Z', lastName: 'N' } })).body.id as string
  t.equal(await byLogin('b/zo\u00eb@example.com'), decomposed, 'a "/" login created decomposed, looked up composed')
  // A client without listUsers cannot search: the user Okta answers is still checked.
  const pathOnly = { getUser: client.getUser.bind(client), createUser: client.createUser.bind(client) }
  await t.rejects(resolveOktaUserId(pathOnly, () => ({ login: 'isaac.brock' }), {}, {}), { code: 'OKTA_NOT_FOUND' })
  t.equal(await resolveOktaUserId(pathOnly, () => ({ login: 'isaac.brock@example.com' }), {}, {}), isaac.userId)
})

await t.test("a factor list cached before the user's factors changed elsewhere: the code is checked against Okta's list, read once more", async (t) => {
  const { emu, calls, check } = await rig(t)
  const { userId, factorId: first } = await userWithTotp(emu, 'ada@example.com')
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore() })
  const session = { session: {} }
  t.equal(codeOf(await check(session, 'ada@example.com', { passCode: emu.totpCode(first) }, limiter)), 'SUCCESS', 'the list is cached in the session')
  // The TOTP factor replaced elsewhere (another front door, the admin console) within the cache's 30 s.
  await emuFetch(emu, 'DELETE', `/api/v1/users/${userId}/factors/${first}`)
  const second = (await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body.id as string
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${second}/lifecycle/activate`, { passCode: emu.totpCode(second, emu.clock.now() - 30_000) })).status, 200)
  calls.length = 0
  const replaced = await check(session, 'ada@example.com', { passCode: emu.totpCode(second) }, limiter)
  t.equal(codeOf(replaced), 'SUCCESS', "the new factor's code, no factor named: checked, not FACTOR_NOT_FOUND")
  t.equal(replaced.ok && replaced.factor.id, second)
  t.same(calls.filter((c) => c.endsWith('/verify')), [`POST /api/v1/users/${userId}/factors/${first}/verify`, `POST /api/v1/users/${userId}/factors/${second}/verify`], 'the stale factor, then the list read again and the new one')
  // Every factor removed while the session still lists one: the code is ENROLLMENT_REQUIRED, once Okta's list says so.
  await emuFetch(emu, 'DELETE', `/api/v1/users/${userId}/factors/${second}`)
  emu.clock.advance(30_000)
  const session2 = { session: {} }
  const third = (await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body.id as string
  await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${third}/lifecycle/activate`, { passCode: emu.totpCode(third, emu.clock.now() - 30_000) })
  t.equal(codeOf(await check(session2, 'ada@example.com', { passCode: emu.totpCode(third) }, limiter)), 'SUCCESS')
  await emuFetch(emu, 'DELETE', `/api/v1/users/${userId}/factors/${third}`)
  t.equal(codeOf(await check(session2, 'ada@example.com', { passCode: '123456' }, limiter)), 'ENROLLMENT_REQUIRED', 'no factor left: enroll, not "not found"')
  // A factor the user named that the session's list no longer has stays FACTOR_NOT_FOUND after the one look (no loop).
  t.equal(codeOf(await check(session2, 'ada@example.com', { passCode: '123456', factorId: third }, limiter)), 'FACTOR_NOT_FOUND')
  t.equal((await limiter.consume('ada@example.com')).remaining, 3, 'none of the refusals Okta did not judge used an attempt')
})

await t.test('the same with the factor named, as a form or verifyFactor(factorId) sends it: reset or replaced by an administrator', async (t) => {
  const { emu, calls, check } = await rig(t)
  const { userId, factorId: first } = await userWithTotp(emu, 'ada@example.com')
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore() })
  const session = { session: {} }
  t.equal(codeOf(await check(session, 'ada@example.com', { passCode: emu.totpCode(first), factorId: first }, limiter)), 'SUCCESS')
  // Replaced: the page still shows (and sends) the old factor's id; the code is of the new one.
  await emuFetch(emu, 'DELETE', `/api/v1/users/${userId}/factors/${first}`)
  const second = (await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body.id as string
  await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${second}/lifecycle/activate`, { passCode: emu.totpCode(second, emu.clock.now() - 30_000) })
  calls.length = 0
  const replaced = await check(session, 'ada@example.com', { passCode: emu.totpCode(second), factorId: first }, limiter)
  t.equal(codeOf(replaced), 'SUCCESS', "the new factor's code passes though the old factor was named")
  t.equal(replaced.ok && replaced.factor.id, second)
  t.equal(calls.filter((c) => c.endsWith('/verify')).length, 2, 'the stale factor, then the new one')
  // Reset by an administrator (lifecycle/reset_factors) while the page still shows it: nothing left to verify, so
  // enrollment, not "not found".
  const code = emu.totpCode(second)
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/lifecycle/reset_factors`)).status, 200)
  const reset = await check(session, 'ada@example.com', { passCode: code, factorId: second }, limiter)
  t.equal(codeOf(reset), 'ENROLLMENT_REQUIRED', 'the named factor reset: ENROLLMENT_REQUIRED')
  // A made-up id while the user has a TOTP factor is still FACTOR_NOT_FOUND, both ways: never checked against another factor.
  const fourth = (await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body.id as string
  await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${fourth}/lifecycle/activate`, { passCode: emu.totpCode(fourth) })
  emu.clock.advance(30_000)
  calls.length = 0
  for (const trustFactorId of [true, false]) {
    const made = await check({ session: {} }, 'ada@example.com', { passCode: emu.totpCode(fourth), factorId: 'ostmadeup00000000099', trustFactorId }, limiter)
    t.equal(codeOf(made), 'FACTOR_NOT_FOUND', `a made-up id (${trustFactorId ? 'sent unlisted' : 'looked up'}): FACTOR_NOT_FOUND`)
  }
  t.notOk(calls.some((c) => c.includes(fourth)), 'the code never went to the factor the user has')
  // A question factor the session listed, removed since, while a TOTP factor is left: the answer has no factor to go
  // to, but the person has one: FACTOR_NOT_FOUND (pick again), not "set up an authenticator".
  const question = await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })
  t.equal(question.body.status, 'ACTIVE')
  const session3 = { session: {} }
  t.equal(codeOf(await check(session3, 'ada@example.com', { answer: 'mayonnaise', factorId: question.body.id }, limiter)), 'SUCCESS', 'the question, listed')
  await emuFetch(emu, 'DELETE', `/api/v1/users/${userId}/factors/${question.body.id as string}`)
  t.equal(codeOf(await check(session3, 'ada@example.com', { answer: 'mayonnaise', factorId: question.body.id }, limiter)), 'FACTOR_NOT_FOUND', 'removed, a TOTP left: FACTOR_NOT_FOUND')
  t.equal((await limiter.consume('ada@example.com')).remaining, 3, 'no refusal Okta did not judge used an attempt')
})

await t.test('a factor pending activation, named or not, and the named factor gone with several code factors left and no TOTP: refused here, no code sent', async (t) => {
  const { emu, calls, check } = await rig(t, {
    seed: [{
      login: 'sam@example.com',
      factors: [
        { id: 'ufttotp0000000000001', factorType: 'token:software:totp' },
        { id: 'smssam00000000000001', factorType: 'sms', phoneNumber: '+15555550100' },
        { id: 'emfsam00000000000001', factorType: 'email' },
        { id: 'clfpend0000000000001', factorType: 'call', phoneNumber: '+15555550101', status: 'PENDING_ACTIVATION' },
      ],
    }, { login: 'pat@example.com', factors: [{ id: 'uftpend0000000000001', factorType: 'token:software:totp', status: 'PENDING_ACTIVATION' }] }],
  })
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore() })
  const unnamed = await check({ session: {} }, 'pat@example.com', { passCode: '123456' }, limiter)
  t.equal(codeOf(unnamed), 'ENROLLMENT_REQUIRED', 'no factor named, the only TOTP pending activation: ENROLLMENT_REQUIRED')
  t.notOk(calls.some((c) => c.endsWith('/verify')), 'and the code is not sent to it')
  const session = { session: {} }
  t.equal(codeOf(await check(session, 'sam@example.com', { passCode: emu.totpCode('ufttotp0000000000001'), factorId: 'ufttotp0000000000001' }, limiter)), 'SUCCESS')
  calls.length = 0
  const pending = await check(session, 'sam@example.com', { passCode: '123456', factorId: 'clfpend0000000000001' }, limiter)
  t.equal(codeOf(pending), 'ENROLLMENT_REQUIRED', 'a factor pending activation: ENROLLMENT_REQUIRED')
  t.notOk(calls.some((c) => c.endsWith('/verify')), 'refused before Okta hears the code')
  const userId = (await emuFetch(emu, 'GET', '/api/v1/users/sam@example.com')).body.id as string
  await emuFetch(emu, 'DELETE', `/api/v1/users/${userId}/factors/ufttotp0000000000001`)
  calls.length = 0
  const gone = await check(session, 'sam@example.com', { passCode: '123456', factorId: 'ufttotp0000000000001' }, limiter)
  t.same([codeOf(gone), !gone.ok && gone.error.details], ['FACTOR_NOT_FOUND', { field: 'factorId' }], 'a text message and an email left: the person picks one again')
  t.notOk(calls.some((c) => c.includes('smssam') || c.includes('emfsam')), 'the code went to neither')
})

await t.test("two ACTIVE TOTP factors (Google's and Okta's) and a code without a factor id: refused, naming factorId, before Okta or the counter hear it; named, each passes", async (t) => {
  const { emu, calls, check } = await rig(t, {
    seed: [{
      login: 'two@example.com',
      factors: [
        { id: 'uftgoogle00000000001', factorType: 'token:software:totp', provider: 'GOOGLE' },
        { id: 'uftokta0000000000001', factorType: 'token:software:totp', provider: 'OKTA' },
      ],
    }],
  })
  const store = new MemoryAttemptStore()
  const limiter = new AttemptLimiter({ store })
  const session = { session: {} }
  for (const factorId of [undefined, '']) {
    calls.length = 0
    const unnamed = await check(session, 'two@example.com', { passCode: emu.totpCode('uftokta0000000000001'), ...(factorId === undefined ? {} : { factorId }) }, limiter)
    t.same([codeOf(unnamed), !unnamed.ok && unnamed.error.details], ['BAD_USER_INPUT', { field: 'factorId' }], `factorId ${JSON.stringify(factorId)}: which one is the person's to say`)
    t.equal(!unnamed.ok && unnamed.error.message, 'You have more than one authenticator app: choose the one this code is from.')
    t.notOk(calls.some((c) => c.endsWith('/verify')), 'no code sent: to the other factor a right code would count as wrong at Okta')
  }
  t.equal((await limiter.consume('two@example.com')).remaining, 3, 'no attempt counted (this probe counts one)')
  await limiter.succeed('two@example.com')
  t.equal(codeOf(await check(session, 'two@example.com', { passCode: emu.totpCode('uftokta0000000000001'), factorId: 'uftokta0000000000001' }, limiter)), 'SUCCESS', "named, Okta Verify's code passes")
  emu.clock.advance(30_000)
  t.equal(codeOf(await check(session, 'two@example.com', { passCode: emu.totpCode('uftgoogle00000000001'), factorId: 'uftgoogle00000000001' }, limiter)), 'SUCCESS', "and Google Authenticator's")
  // One of them removed in Okta: the other is the user's TOTP again, also for this session, whose cached list (seconds
  // old) still holds both: "choose one" is not said from a list that may be stale.
  const userId = (await emuFetch(emu, 'GET', '/api/v1/users/two@example.com')).body.id as string
  await emuFetch(emu, 'DELETE', `/api/v1/users/${userId}/factors/uftgoogle00000000001`)
  emu.clock.advance(10_000)
  t.equal(codeOf(await check(session, 'two@example.com', { passCode: emu.totpCode('uftokta0000000000001') }, limiter)), 'SUCCESS', 'one left: no factor id needed')
})

await t.test('a second authenticator app added elsewhere (through the client, another session) after this session cached its list: a code without a factor id is not sent to the first app on the cached word', async (t) => {
  const { emu, calls, check } = await rig(t, { seed: [{ login: 'one@example.com', factors: [{ id: 'uftgoogle00000000002', factorType: 'token:software:totp', provider: 'GOOGLE' }] }] })
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore() })
  const session = { session: {} }
  t.equal(codeOf(await check(session, 'one@example.com', { passCode: emu.totpCode('uftgoogle00000000002') }, limiter)), 'SUCCESS', 'one app: no factor id needed (the list is cached in the session)')
  const userId = (await emuFetch(emu, 'GET', '/api/v1/users/one@example.com')).body.id as string
  const okta = (await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'token:software:totp', provider: 'OKTA' })).body.id as string
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${okta}/lifecycle/activate`, { passCode: emu.totpCode(okta) })).status, 200, 'Okta Verify added and activated through the API')
  emu.clock.advance(6_000) // the cached list is seconds old, well within its 30 s
  t.ok(session.session !== undefined && JSON.stringify(session.session).includes('uftgoogle00000000002') && !JSON.stringify(session.session).includes(okta), 'the session still has its list of one app')
  calls.length = 0
  const unnamed = await check(session, 'one@example.com', { passCode: emu.totpCode(okta) }, limiter)
  t.same([codeOf(unnamed), !unnamed.ok && unnamed.error.details], ['BAD_USER_INPUT', { field: 'factorId' }], 'Okta is asked: two apps now, so the person says which')
  t.notOk(calls.some((c) => c.endsWith('/verify')), 'the right code was not sent to the first app, where Okta would count it wrong')
  t.equal((await limiter.consume('one@example.com')).remaining, 3, 'no attempt counted (this probe counts one)')
})

await t.test('an answer sent without a factor id: the active security question; no factor at all is ENROLLMENT_REQUIRED; code factors say to send a code', async (t) => {
  const { emu, check } = await rig(t)
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore(), maxAttempts: 4 })
  const bare = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'nofactor@example.com', email: 'nofactor@example.com', firstName: 'N', lastName: 'F' } })
  t.equal(bare.status, 200)
  const none = await check({ session: {} }, 'nofactor@example.com', { answer: 'mayonnaise' }, limiter)
  t.same([codeOf(none), !none.ok && none.error.status], ['ENROLLMENT_REQUIRED', 403], 'no factor at all: set one up, as for a code (not FACTOR_NOT_FOUND for a factorId never sent)')

  const { userId } = await userWithTotp(emu, 'codes@example.com')
  const codesOnly = await check({ session: {} }, 'codes@example.com', { answer: 'mayonnaise' }, limiter)
  t.same([codeOf(codesOnly), !codesOnly.ok && codesOnly.error.details], ['BAD_USER_INPUT', { field: 'passCode' }], 'only a code factor: the answer is the wrong kind of secret')

  const question = await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })
  t.equal(question.body.status, 'ACTIVE')
  const answered = await check({ session: {} }, 'codes@example.com', { answer: 'mayonnaise' }, limiter)
  t.equal(codeOf(answered), 'SUCCESS', 'the user\'s active question takes it')
  t.equal(answered.ok && answered.factor.id, question.body.id)
  const wrongAnswer = await check({ session: {} }, 'codes@example.com', { answer: 'ketchup' }, limiter)
  t.equal(codeOf(wrongAnswer), 'INVALID_PASSCODE', 'a wrong answer is judged by Okta (its E0000068), not refused before')
  t.equal(!wrongAnswer.ok && wrongAnswer.error.message, "That answer didn't match. Try again.", 'and said as a wrong answer, not a wrong code')
  const lastTry = await check({ session: {} }, 'codes@example.com', { answer: 'ketchup' }, new AttemptLimiter({ store: new MemoryAttemptStore(), maxAttempts: 1 }))
  t.same([!lastTry.ok && lastTry.error.message, !lastTry.ok && lastTry.error.details.attemptsRemaining], ["That answer didn't match. Too many attempts: try again in 15 minutes.", 0], 'the last attempt too')
  // The mirror of a blank answer to a code factor: a passCode that is no code, to the question's id, names the answer.
  for (const passCode of ['', '   ', '12345', 'abcdef']) {
    const noCode = await check({ session: {} }, 'codes@example.com', { passCode, factorId: question.body.id as string }, limiter)
    t.same([codeOf(noCode), !noCode.ok && noCode.error.details], ['BAD_USER_INPUT', { field: 'answer' }], `${JSON.stringify(passCode)} to a question: the answer it takes`)
  }
  const noCodeToTotp = await check({ session: {} }, 'codes@example.com', { passCode: '', factorId: (await emuFetch(emu, 'GET', `/api/v1/users/${userId}/factors`)).body.find((f: { factorType: string }) => f.factorType === 'token:software:totp').id }, limiter)
  t.equal(codeOf(noCodeToTotp), 'PASSCODE_MISSING', 'an empty passCode to a code factor is still PASSCODE_MISSING')
})

await t.test("Okta answering 503 with a load balancer's HTML page, or a firewall's or proxy's 4xx page in front of it (no Okta body): no code was judged, the attempt is given back", async (t) => {
  const upstream = await withEmulator(t)
  const { userId, factorId } = await userWithTotp(upstream, 'lb@example.com')
  // A proxy in front of the emulator that answers every verify with a page of its own, as a load balancer in an
  // outage or a web application firewall does.
  let page: [number, string, string] = [503, 'text/html', '<html><body>503 Service Unavailable</body></html>']
  const proxy = await faultProxy(t, upstream.url)
  proxy.hook = (req) => (req.url ?? '').endsWith('/verify') ? { status: page[0], type: page[1], page: page[2] } : undefined
  const { check } = await rig(t, { url: proxy.url })
  const pages: Array<[number, string, string]> = [
    page,
    [403, 'text/html', '<html><body><h1>403 Forbidden</h1>Request blocked.</body></html>'],
    [403, 'application/json', '{"message":"Forbidden"}'],
    [413, 'text/plain', 'Request Entity Too Large'],
    // The statuses the client classes by status alone (OKTA_VALIDATION, OKTA_AUTHENTICATION, OKTA_NOT_FOUND) when
    // the answer has no Okta error code: still not Okta's answer.
    [400, 'text/html', '<html><body><h1>400 Bad Request</h1>blocked by proxy</body></html>'],
    [400, 'application/json', '{"message":"Bad Request"}'],
    [401, 'text/html', '<html><body><h1>401 Authorization Required</h1></body></html>'],
    [404, 'text/html', '<html><body><h1>404 Not Found</h1></body></html>'],
    [404, 'application/json', '{}'],
  ]
  for (const p of pages) {
    page = p
    const limiter = new AttemptLimiter({ store: new MemoryAttemptStore() })
    const session = { session: {} }
    for (let i = 0; i < 6; i++) {
      const r = await check(session, userId, { passCode: upstream.totpCode(factorId), factorId }, limiter)
      t.match(r, { ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', status: 503, retryable: true } }, `${p[0]} ${p[1]}: retry ${i + 1} through the outage`)
    }
    t.equal((await limiter.consume(userId)).remaining, 3, `${p[0]} ${p[1]}: no attempt left counted: no lockout once Okta is back`)
  }

  // A proxy answering every call with its 404 page: the login lookup's "not found" is not Okta's, so no user is
  // provisioned, the session keeps no Okta user, and the attempt is given back.
  proxy.hook = () => ({ status: 404, type: 'text/html', page: '<html><body><h1>404 Not Found</h1></body></html>' })
  const provisioning = await rig(t, { url: proxy.url, provision: true })
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore() })
  const holder = { session: {} as Record<string, unknown> }
  const r = await provisioning.check(holder, 'nobody@example.com', { passCode: '123456' }, limiter)
  t.match(r, { ok: false, error: { code: 'UPSTREAM_UNAVAILABLE', status: 503 } }, 'a 404 page on the login lookup: Okta unavailable, not OKTA_USER_NOT_FOUND')
  t.same(Object.keys(holder.session), [], 'no Okta user bound in the session')
  proxy.hook = () => undefined
  const created = await emuFetch(upstream, 'GET', `/api/v1/users/${encodeURIComponent('nobody@example.com')}`)
  t.equal(created.status, 404, 'no user provisioned through the page')
  t.equal((await limiter.consume('nobody@example.com')).remaining, 3, 'and the attempt was given back')

  // A trusted factor id reads no list: the user lookup is the first call. When it fails (an Okta 500, a timeout), no
  // code was sent, so no attempt is used, whatever the failure (each try from a new session: nothing bound yet).
  const lookups: Array<[string, Fault]> = [
    ['an Okta 500', { status: 500, type: 'application/json', page: '{"errorCode":"E0000009","errorSummary":"Internal Server Error","errorLink":"E0000009","errorId":"oae1","errorCauses":[]}' }],
    ['a lookup that never answers', 'hang'],
  ]
  for (const [what, fault] of lookups) {
    let verifies = 0
    proxy.hook = (req) => {
      if ((req.url ?? '').endsWith('/verify')) verifies++
      return req.method === 'GET' && req.url === `/api/v1/users/${encodeURIComponent('lb@example.com')}` ? fault : undefined
    }
    const trusted = await rig(t, { url: proxy.url, deadlineMs: 300 })
    const counted = new AttemptLimiter({ store: new MemoryAttemptStore() })
    for (let i = 0; i < 6; i++) {
      const r = await trusted.check({ session: {} }, 'lb@example.com', { passCode: upstream.totpCode(factorId), factorId, trustFactorId: true }, counted)
      t.match(r, { ok: false, error: { code: /^UPSTREAM_/ } }, `${what} on the user lookup: try ${i + 1} is Okta unavailable, never LOCKED_OUT`)
    }
    t.equal(verifies, 0, `${what}: no verify was sent`)
    proxy.hook = () => undefined
    const r = await trusted.check({ session: {} }, 'lb@example.com', { passCode: upstream.totpCode(factorId), factorId, trustFactorId: true }, counted)
    t.equal(codeOf(r), 'SUCCESS', `${what}: once Okta answers, the right code passes`)
    t.equal((await counted.consume('lb@example.com')).remaining, 3, `${what}: and nothing stayed counted`)
    upstream.clock.advance(30_000)
  }
})

await t.test("with OAuth, a code sent while its access token could not be had never reached Okta: the attempt is given back", async (t) => {
  const key = appKey('core-kid')
  const emu = await oauthEmulator(t, [app('0oacore', key, ALL_SCOPES, false)])
  const { userId, factorId } = await userWithTotp(emu, 'oauth@example.com')
  // The token endpoint, behind a proxy, in an outage of each kind; the API behind it answers as usual.
  let fault: Fault
  const proxy = await faultProxy(t, emu.url)
  proxy.hook = (req) => (req.url ?? '').startsWith('/oauth2/') ? fault : undefined
  const clientOf = (orgUrl: string, timeoutMs: number): OktaClient => {
    const client = createOktaClient({ orgUrl, auth: { clientId: '0oacore', privateKey: key.pem, keyId: key.kid, scopes: ALL_SCOPES }, allowInsecureHttp: true, timeoutMs })
    t.teardown(() => client.close())
    return client
  }
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore() })
  const check = async (client: OktaClient, deadlineMs: number, passCode = emu.totpCode(factorId)): Promise<PasscodeCheckResult> => await checkPasscode({
    subject: new MfaSubject({ session: { session: {} }, user: { id: userId }, userKey: userId, request: undefined, client, resolveOktaUser: () => ({ id: userId }), deadline: new RequestDeadline(deadlineMs, 'req-oauth') }),
    client, limiter, passCode, factorId, trustFactorId: true, context: endUserContext({ ip: '203.0.113.9', headers: {} }),
  })
  const outages: Array<[string, Fault, number, number, string]> = [
    ['a token endpoint that never answers (the client timeout)', 'hang', 300, 5000, 'UPSTREAM_TIMEOUT'],
    ['a token endpoint that never answers (the request deadline)', 'hang', 60_000, 300, 'UPSTREAM_TIMEOUT'],
    ['a 500 server_error', { status: 500, type: 'application/json', page: '{"error":"server_error","error_description":"down"}' }, 5000, 5000, 'UPSTREAM_UNAVAILABLE'],
    ['a 200 HTML page', { status: 200, type: 'text/html', page: '<html><body>Sign in</body></html>' }, 5000, 5000, 'UPSTREAM_UNAVAILABLE'],
    ['a 502 page after the token request was made', 'lose', 5000, 5000, 'UPSTREAM_UNAVAILABLE'],
  ]
  for (const [what, f, timeoutMs, deadlineMs, code] of outages) {
    fault = f
    const client = clientOf(proxy.url, timeoutMs)
    for (let i = 0; i < 5; i++) {
      const r = await check(client, deadlineMs)
      t.match(r, { ok: false, error: { code } }, `${what}: try ${i + 1} is ${code}, never LOCKED_OUT`)
      t.equal(!r.ok && (r.error.cause as { tokenRequest?: unknown }).tokenRequest, true, `${what}: the client says the token request failed`)
    }
  }
  t.equal((await limiter.consume(userId)).remaining, 3, 'the 25 codes sent in the outage counted nothing (this probe counts one)')
  const back = await check(clientOf(emu.url, 5000), 5000, emu.totpCode(factorId, emu.clock.now() + 30_000))
  t.equal(back.ok ? 'SUCCESS' : back.error.code, 'SUCCESS', 'Okta reachable again: the next code passes, no lockout')
})

await t.test('the Okta user made again under the same login: a bound id Okta no longer knows is read again, also for an id sent unlisted', async (t) => {
  const { emu, check } = await rig(t)
  const first = await userWithTotp(emu, 'redo@example.com')
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore() })
  const session = { session: {} }
  t.equal(codeOf(await check(session, 'redo@example.com', { passCode: emu.totpCode(first.factorId), factorId: first.factorId, trustFactorId: true }, limiter)), 'SUCCESS', 'the Okta user id is bound in the session')
  await emuFetch(emu, 'DELETE', `/api/v1/users/${first.userId}`)
  await emuFetch(emu, 'DELETE', `/api/v1/users/${first.userId}`)
  const again = await userWithTotp(emu, 'redo@example.com')
  t.not(again.userId, first.userId)
  const r = await check(session, 'redo@example.com', { passCode: emu.totpCode(again.factorId), factorId: again.factorId, trustFactorId: true }, limiter)
  t.equal(codeOf(r), 'SUCCESS', "the new user's factor, named by the client: checked against the new user, not FACTOR_NOT_FOUND")
  t.equal(getOktaUserBinding(session as never, 'redo@example.com')?.oktaUserId, again.userId, 'the new id is bound')
  t.equal((await limiter.consume('redo@example.com')).remaining, 3, 'no attempt left counted by the stale try')
  // Made again once more, when the session's factor list has expired: the list of the bound (deleted) user is 404,
  // the user is resolved again, and the new factor's code passes (it was OKTA_USER_NOT_FOUND).
  emu.clock.advance(40_000)
  await emuFetch(emu, 'DELETE', `/api/v1/users/${again.userId}`)
  await emuFetch(emu, 'DELETE', `/api/v1/users/${again.userId}`)
  const third = await userWithTotp(emu, 'redo@example.com')
  t.equal(codeOf(await check(session, 'redo@example.com', { passCode: emu.totpCode(third.factorId) }, limiter)), 'SUCCESS', 'the list read again for the new user')
  t.equal(getOktaUserBinding(session as never, 'redo@example.com')?.oktaUserId, third.userId)
  // And with no Okta user left at all: OKTA_USER_NOT_FOUND, the binding dropped.
  emu.clock.advance(40_000)
  await emuFetch(emu, 'DELETE', `/api/v1/users/${third.userId}`)
  await emuFetch(emu, 'DELETE', `/api/v1/users/${third.userId}`)
  t.equal(codeOf(await check(session, 'redo@example.com', { passCode: '123456' }, limiter)), 'OKTA_USER_NOT_FOUND')
  t.equal(getOktaUserBinding(session as never, 'redo@example.com'), undefined)
})

await t.test('a user who enrolls through the client (no session hears of it) right after ENROLLMENT_REQUIRED: the first code passes a second later', async (t) => {
  const { emu, check, calls } = await rig(t)
  const user = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'late@example.com', email: 'late@example.com' } })
  const session = { session: {} }
  t.equal(codeOf(await check(session, 'late@example.com', { passCode: '123456' })), 'ENROLLMENT_REQUIRED', 'no factor yet: the empty list is cached')
  const listed = calls.length
  t.equal(codeOf(await check(session, 'late@example.com', { passCode: '123456' })), 'ENROLLMENT_REQUIRED')
  t.equal(calls.length, listed, 'within the second: the cached list, no Okta call (a stream of such requests costs one list a second)')
  const factor = await emuFetch(emu, 'POST', `/api/v1/users/${user.body.id}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  emu.clock.advance(1000) // the person scans the QR code
  const named = await check(session, 'late@example.com', { passCode: emu.totpCode(factor.body.id), factorId: factor.body.id })
  t.equal(codeOf(named), 'ENROLLMENT_REQUIRED', 'the pending factor named at once: read again, and still pending (not FACTOR_NOT_FOUND)')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${user.body.id}/factors/${factor.body.id}/lifecycle/activate`, { passCode: emu.totpCode(factor.body.id) })).status, 200)
  emu.clock.advance(1000) // and types the next code
  const before = calls.length
  const r = await check(session, 'late@example.com', { passCode: emu.totpCode(factor.body.id, emu.clock.now() + 30_000) })
  t.equal(codeOf(r), 'SUCCESS', 'a second later, with no drop of the cached list: read again and checked (not for 5 s ENROLLMENT_REQUIRED)')
  t.same(calls.slice(before).map((c) => c.replace(/\/users\/[^/]+/, '/users/U').replace(/factors\/[^/]+/, 'factors/F')), ['GET /api/v1/users/U/factors', 'POST /api/v1/users/U/factors/F/verify'])
  // With an ACTIVE factor cached, a made-up id within 5 s still costs Okta no list call.
  const made = calls.length
  t.equal(codeOf(await check(session, 'late@example.com', { passCode: '123456', factorId: 'ostMADEUP0000000000' })), 'FACTOR_NOT_FOUND')
  t.equal(calls.length, made, 'a made-up id against a young list with an ACTIVE factor: no Okta call')
})

await t.test('one code is one attempt, also when its check is tried again on fresh copies after the refund budget is spent', async (t) => {
  const { emu, check } = await rig(t)
  const { userId, factorId: first } = await userWithTotp(emu, 'budget@example.com')
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore(), maxAttempts: 2 })
  const session = { session: {} }
  t.equal(codeOf(await check(session, 'budget@example.com', { passCode: emu.totpCode(first) }, limiter)), 'SUCCESS', 'the list is cached')
  // Made-up ids of a code kind go to Okta unlisted: each 404 is given back, until the budget (8 × maxAttempts) is spent.
  const bare = { session: {} }
  for (let i = 0; i < 16; i++) t.equal(codeOf(await check(bare, 'budget@example.com', { passCode: '123456', factorId: `ostmadeup${String(i).padStart(11, '0')}`, trustFactorId: true }, limiter)), 'FACTOR_NOT_FOUND')
  t.equal((await limiter.consume('budget@example.com')).remaining, 1, 'the budget is spent, nothing else counted (this probe counts one)')
  await limiter.succeed('budget@example.com')
  // The TOTP factor replaced elsewhere while the first session's list still has the old one; then a wrong code.
  await emuFetch(emu, 'DELETE', `/api/v1/users/${userId}/factors/${first}`)
  const second = (await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body.id as string
  await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${second}/lifecycle/activate`, { passCode: emu.totpCode(second, emu.clock.now() - 30_000) })
  const wrongOnce = await check(session, 'budget@example.com', { passCode: wrong(emu.totpCode(second)) }, limiter)
  t.match(wrongOnce, { ok: false, error: { code: 'INVALID_PASSCODE', details: { attemptsRemaining: 1 } } }, 'one wrong code, one attempt: the stale try and the fresh one share it')
  // Made-up ids looked up in the session's list (no trustFactorId) cost an attempt too, given back within the budget:
  // a stream of them ends in LOCKED_OUT, not in the org's Okta rate limit.
  const strict = new AttemptLimiter({ store: new MemoryAttemptStore(), maxAttempts: 1 })
  const codes: string[] = []
  for (let i = 0; i < 10; i++) codes.push(codeOf(await check(session, 'budget@example.com', { passCode: '123456', factorId: `mbl${String(i).padStart(17, '0')}` }, strict)))
  t.same(codes, [...Array<string>(9).fill('FACTOR_NOT_FOUND'), 'LOCKED_OUT'], '8 given back, the 9th counted, the 10th locked out')
})

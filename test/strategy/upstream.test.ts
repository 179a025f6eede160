// Guards the strategy's contract with passport and with an unreliable Okta: Okta down or slow goes to
// the app's error handler within the client timeout and never hangs (both stacks); 5xx, garbled and
// unexpected answers are errors too; exactly one of success/fail/error is called, once, and no promise
// rejection escapes; bad options throw TypeError naming the option; a CommonJS app can require the package.
import { execFile } from 'node:child_process'
import { createServer, type Server, type Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { MockAgent } from 'undici'
import { createOktaClient } from '@okta-mfa/client'
import { InvalidOptionError as CoreInvalidOptionError, outcomeOfError } from '@okta-mfa/core'
import { AttemptLimiter as PassportAttemptLimiter, InvalidOptionError, MemoryRevocationStore, OktaMfaStrategy, requireMfa, requireMfaFastify, signOutRevoked, type MfaSuccessInfo, type MfaVerifyDone, type StrategyRequest } from 'passport-okta-mfa'
import { withEmulator } from '../helpers/emulator.js'
import { totp } from '../helpers/totp.js'
import { faultProxy, type CookieJar, type JarResponse } from '../helpers/http.js'
import { FACTORS, STACKS, USERS, passwordLogin, seedUsers, startExpressStack, type StackUser } from '../helpers/strategy-stacks.js'

const [ada] = USERS as [typeof USERS[0]]
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** A port nothing listens on. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A server that accepts connections and never answers. */
async function silentServer (t: { teardown: (fn: () => unknown) => void }): Promise<number> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => { sockets.add(socket) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return (server.address() as { port: number }).port
}

/** Fails instead of hanging when the app never answers. */
async function answered (request: Promise<JarResponse>, ms = 10_000): Promise<JarResponse> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error('the request hung')), ms) })
  try {
    return await Promise.race([request, hang])
  } finally {
    clearTimeout(timer)
  }
}

async function mfaWith (jar: CookieJar, path: string): Promise<JarResponse> {
  return await answered(jar.fetch(path, { form: { passCode: '123456' } }))
}

for (const start of STACKS) {
  await t.test(`${start.name}: Okta down or slow goes to the error handler`, async (t) => {
    const down = await start(t, { strategy: { orgUrl: `http://127.0.0.1:${await closedPort()}`, token: 'x', allowInsecureHttp: true, timeoutMs: 1_000 } })
    const jar = down.jar()
    await passwordLogin(jar, ada)
    for (const path of ['/api/mfa', '/mfa']) {
      const res = await mfaWith(jar, path)
      t.equal(res.status, 503, `down: ${path}`)
      t.same(res.json(), { error: 'UPSTREAM_UNAVAILABLE' })
    }
    t.equal(down.errors.length, 2, 'each request reached the error handler once')
    t.equal((await jar.fetch('/api/data')).status, 401, 'no MFA')

    const slow = await start(t, { strategy: { orgUrl: `http://127.0.0.1:${await silentServer(t)}`, token: 'x', allowInsecureHttp: true, timeoutMs: 300 } })
    const slowJar = slow.jar()
    await passwordLogin(slowJar, ada)
    const res = await mfaWith(slowJar, '/api/mfa')
    t.equal(res.status, 503, 'slow')
    t.same(res.json(), { error: 'UPSTREAM_TIMEOUT' })
    t.equal(slow.errors.length, 1)
  })
}

await t.test("5xx, garbled Okta answers and a firewall's 403 page are errors, an unexpected factorResult a wrong code, 429 a fail with the retry time", async (t) => {
  const userId = '00uada00000000000001'
  const factorsPath = `/api/v1/users/${userId}/factors`
  const verifyPath = `${factorsPath}/${FACTORS.ada.id}/verify`
  const headers = { 'content-type': 'application/json', 'x-okta-request-id': 'req-1' }
  const agent = new MockAgent()
  agent.disableNetConnect()
  const client = createOktaClient({ orgUrl: 'https://dev-1.okta.com', token: 'x', dispatcher: agent })
  t.teardown(async () => { await client.close(); await agent.close() })
  const pool = agent.get('https://dev-1.okta.com')
  const factor = { id: FACTORS.ada.id, factorType: 'token:software:totp', provider: 'GOOGLE', status: 'ACTIVE', created: '2030-01-01T00:00:00.000Z', lastUpdated: '2030-01-01T00:00:00.000Z', profile: {}, _links: {} }
  const oktaError = (code: string, summary: string): Record<string, unknown> => ({ errorCode: code, errorSummary: summary, errorLink: code, errorId: 'oae0123456789012345678901', errorCauses: [] })
  const cases: Array<{ reply: () => void, expect: { status: number, body: Record<string, unknown> } }> = [
    { reply: () => pool.intercept({ path: verifyPath, method: 'POST' }).reply(500, oktaError('E0000009', 'Internal Server Error'), { headers }), expect: { status: 503, body: { error: 'UPSTREAM_UNAVAILABLE' } } },
    { reply: () => pool.intercept({ path: verifyPath, method: 'POST' }).reply(502, '<html>Bad gateway</html>', { headers: { 'content-type': 'text/html' } }), expect: { status: 503, body: { error: 'UPSTREAM_UNAVAILABLE' } } },
    // A firewall's page in front of Okta is not Okta's answer (Okta's own 403 carries its error body): not a 500.
    { reply: () => pool.intercept({ path: verifyPath, method: 'POST' }).reply(403, '<html>Request blocked</html>', { headers: { 'content-type': 'text/html' } }), expect: { status: 503, body: { error: 'UPSTREAM_UNAVAILABLE' } } },
    { reply: () => pool.intercept({ path: verifyPath, method: 'POST' }).reply(200, { factorResult: 'WAITING' }, { headers }), expect: { status: 401, body: { code: 'INVALID_PASSCODE' } } },
    {
      reply: () => pool.intercept({ path: verifyPath, method: 'POST' }).reply(429, oktaError('E0000047', 'API call exceeded rate limit due to too many requests.'), { headers: { ...headers, 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 42), date: new Date().toUTCString() } }),
      expect: { status: 429, body: { code: 'RATE_LIMITED' } },
    },
  ]
  const stack = await startExpressStack(t, { strategy: { client, resolveOktaUser: () => ({ id: userId }), limiter: false } })
  const jar = stack.jar()
  await passwordLogin(jar, ada)
  // The factor list is fetched once and cached in the session: each later verify is one Okta call.
  pool.intercept({ path: factorsPath, method: 'GET' }).reply(200, [factor], { headers })
  for (const c of cases) {
    c.reply()
    const res = await mfaWith(jar, '/api/mfa')
    t.equal(res.status, c.expect.status)
    t.match(res.json(), c.expect.body)
    if (res.status === 429) t.ok(res.json().retryAfterSeconds >= 40 && res.json().retryAfterSeconds <= 43, 'retry time from X-Rate-Limit-Reset')
  }
  t.equal(stack.errors.length, 3, "the 5xx, the garbled answer and the firewall's page reached the error handler, as MfaErrors with a status")
  t.match(stack.errors, [{ code: 'UPSTREAM_UNAVAILABLE', status: 503 }, { code: 'UPSTREAM_UNAVAILABLE', status: 503 }, { code: 'UPSTREAM_UNAVAILABLE', status: 503 }])
  agent.assertNoPendingInterceptors()
})

await t.test('exactly one of success, fail, error, once; no rejection escapes', async (t) => {
  const emu = await withEmulator(t, { seed: seedUsers() })
  const rejections: unknown[] = []
  const onRejection = (reason: unknown): void => { rejections.push(reason) }
  process.on('unhandledRejection', onRejection)
  t.teardown(() => { process.off('unhandledRejection', onRejection) })
  const okta = { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now }
  const strategies = {
    emulator: new OktaMfaStrategy({ ...okta, resolveOktaUser: (u: { email: string }) => ({ login: u.email }) }),
    down: new OktaMfaStrategy({ orgUrl: `http://127.0.0.1:${await closedPort()}`, token: 'x', allowInsecureHttp: true, resolveOktaUser: () => ({ id: '00u1' }) }),
    throwing: new OktaMfaStrategy({ ...okta, resolveOktaUser: () => { throw new Error('directory offline') } }),
    garbage: new OktaMfaStrategy({ ...okta, resolveOktaUser: () => ({ nope: true }) as never }),
    verifyRefuses: new OktaMfaStrategy({ ...okta, passReqToCallback: true, resolveOktaUser: (u: { email: string }) => ({ login: u.email }) }, (_req, _user, _info, done) => { done(null, false) }),
    // async verify functions: a rejection is error(); after done(), a warning, never a second outcome or a crash.
    asyncRejects: new OktaMfaStrategy({ ...okta, resolveOktaUser: (u: { email: string }) => ({ login: u.email }) }, async (user, _info, done) => {
      const fresh = await Promise.reject(new Error('user directory offline'))
      done(null, fresh ?? user)
    }),
    asyncRejectsWithRequest: new OktaMfaStrategy({ ...okta, passReqToCallback: true, resolveOktaUser: (u: { email: string }) => ({ login: u.email }) }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      throw new Error('audit log offline')
    }),
    asyncAccepts: new OktaMfaStrategy({ ...okta, resolveOktaUser: (u: { email: string }) => ({ login: u.email }) }, async (user, _info, done) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      done(null, { email: user.email })
    }),
    asyncRejectsAfterDone: new OktaMfaStrategy({ ...okta, resolveOktaUser: (u: { email: string }) => ({ login: u.email }) }, async (user, _info, done) => {
      done(null, user)
      throw new Error('after the outcome')
    }),
  }
  const warnings: Error[] = []
  const onWarning = (w: Error): void => { warnings.push(w) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  t.teardown(async () => { for (const s of Object.values(strategies)) await s.close() })

  /** Runs authenticate like passport does and collects every callback for a while after the first. */
  async function run (strategy: OktaMfaStrategy, req: StrategyRequest): Promise<Array<[string, unknown, unknown?]>> {
    const calls: Array<[string, unknown, unknown?]> = []
    let first: () => void = () => {}
    const settled = new Promise<void>((resolve) => { first = resolve })
    const augmented = Object.assign(Object.create(strategy) as OktaMfaStrategy & Record<string, unknown>, {
      success: (user: unknown, info: unknown) => { calls.push(['success', user, info]); first() },
      fail: (challenge: unknown, status: unknown) => { calls.push(['fail', challenge, status]); first() },
      error: (err: unknown) => { calls.push(['error', err]); first() },
      redirect: () => { calls.push(['redirect', undefined]); first() },
      pass: () => { calls.push(['pass', undefined]); first() },
    })
    const returned: unknown = augmented.authenticate(req)
    t.equal(returned, undefined, 'authenticate returns nothing for passport to ignore')
    await settled
    await new Promise((resolve) => setTimeout(resolve, 50))
    return calls
  }
  const req = (body: Record<string, unknown>, user: unknown = ada): StrategyRequest => ({ user, body, headers: { 'user-agent': 'tap' }, session: {} })
  const code = (): string => totp(FACTORS.ada.secret, emu.clock.now())

  const success = await run(strategies.emulator, req({ passCode: code() }))
  t.equal(success.length, 1)
  t.match(success[0], ['success', ada, { factorId: FACTORS.ada.id, factorType: 'token:software:totp', oktaUserId: '00uada00000000000001', method: 'form' }])
  const outcomes: Array<[string, OktaMfaStrategy, StrategyRequest, string, unknown]> = [
    ['no user', strategies.emulator, req({ passCode: '123456' }, undefined), 'fail', 401],
    ['bad code', strategies.emulator, req({ passCode: 'x' }), 'fail', 400],
    ['replayed', strategies.emulator, req({ passCode: code() }), 'fail', 401],
    ['Okta down', strategies.down, req({ passCode: '123456' }), 'error', undefined],
    ['resolveOktaUser throws', strategies.throwing, req({ passCode: '123456' }), 'error', undefined],
    ['resolveOktaUser returns garbage', strategies.garbage, req({ passCode: '123456' }), 'error', undefined],
  ]
  for (const [name, strategy, request, kind, status] of outcomes) {
    const calls = await run(strategy, request)
    t.equal(calls.length, 1, `${name}: one call`)
    t.equal(calls[0]?.[0], kind, `${name}: ${kind}`)
    if (kind === 'fail') t.equal(calls[0]?.[2], status, `${name}: status`)
  }
  // No session (an app with session: false and its user from elsewhere): said before Okta spends the code.
  emu.clock.advance(30_000)
  const fresh = code()
  const noSession = await run(strategies.emulator, { user: ada, body: { passCode: fresh }, headers: {} } as unknown as StrategyRequest)
  t.match(noSession, [['error', { name: 'TypeError', code: 'OKTA_MFA_NO_SESSION', message: /needs a session/ }]], 'no session: an error at once, with its code')
  t.match(await run(strategies.emulator, req({ passCode: fresh })), [['success']], 'and Okta never saw that code: it still works')
  emu.clock.advance(30_000)
  const refused = await run(strategies.verifyRefuses, req({ passCode: code() }))
  t.match(refused, [['fail', { code: 'UNAUTHENTICATED' }, 401]], 'a verify callback may refuse after Okta said yes')
  // Any falsy user refuses, as passport's strategies read it: never a 500, never an MFA step for a user '0'.
  for (const falsy of [null, 0, '']) {
    emu.clock.advance(30_000)
    const session: Record<string, unknown> = {}
    const s = new OktaMfaStrategy({ ...okta, resolveOktaUser: (u: { email: string }) => ({ login: u.email }) }, (_user, _info, done) => { done(null, falsy as never) })
    const outcome = await run(s, { ...req({ passCode: code() }), session })
    t.match(outcome, [['fail', { code: 'UNAUTHENTICATED' }, 401]], `done(null, ${JSON.stringify(falsy)}) refuses`)
    t.equal(session['oktaMfa'], undefined, `done(null, ${JSON.stringify(falsy)}): no MFA step recorded`)
  }
  emu.clock.advance(30_000)
  t.match(await run(strategies.asyncRejects, req({ passCode: code() })), [['error', { message: 'user directory offline' }]], 'an async verify that rejects: error(), once')
  emu.clock.advance(30_000)
  t.match(await run(strategies.asyncRejectsWithRequest, req({ passCode: code() })), [['error', { message: 'audit log offline' }]], 'with passReqToCallback too')
  emu.clock.advance(30_000)
  t.match(await run(strategies.asyncAccepts, req({ passCode: code() })), [['success', { email: ada.email }]], 'an async verify that calls done: success')
  emu.clock.advance(30_000)
  const afterDone = await run(strategies.asyncRejectsAfterDone, req({ passCode: code() }))
  t.match(afterDone, [['success', ada]], 'a rejection after done(): still the one outcome')
  t.equal(afterDone.length, 1)
  const late = warnings.filter((w) => (w as { code?: string }).code === 'OKTA_MFA_LATE_ERROR').map((w) => w.message)
  t.same(late, ['okta-mfa: an error after the authentication outcome was ignored: after the outcome'], 'and reported as a late error')
  t.same(rejections, [])
})

await t.test('bad options throw TypeError naming the option', async (t) => {
  const resolveOktaUser = (): { id: string } => ({ id: '00u1' })
  const base = { orgUrl: 'https://dev-1.okta.com', token: 'x', resolveOktaUser }
  t.throws(() => new OktaMfaStrategy({ ...base, resolveOktaUser: undefined as never }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"resolveOktaUser"/ })
  t.throws(() => new OktaMfaStrategy({ resolveOktaUser } as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"orgUrl"/ })
  t.throws(() => new OktaMfaStrategy({ orgUrl: 'https://dev-1.okta.com', resolveOktaUser }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"token"/ })
  t.throws(() => new OktaMfaStrategy({ ...base, passCodeField: '' }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"passCodeField"/ })
  // One field for both would read every right code as a factor id too (FACTOR_NOT_FOUND for every code).
  t.throws(() => new OktaMfaStrategy({ ...base, passCodeField: 'code', factorIdField: 'code' }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"passCodeField" and "factorIdField"/ })
  t.throws(() => new OktaMfaStrategy({ ...base, factorIdField: 'passCode' }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /different fields/ }, 'the default passCode field too')
  t.throws(() => new OktaMfaStrategy({ ...base, maxAttempts: 0 }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"maxAttempts"/ })
  t.throws(() => new OktaMfaStrategy({ ...base, limiter: false, maxAttempts: 3 }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"maxAttempts"/ })
  t.throws(() => new OktaMfaStrategy({ ...base, maxAtempts: 3 } as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"maxAtempts" is not an option/ }, 'a misspelt option is refused, not ignored')
  t.throws(() => new OktaMfaStrategy({ ...base, provision: 'yes' as never }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"provision"/ })
  t.throws(() => new OktaMfaStrategy({ ...base, passReqToCallback: true } as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"passReqToCallback"/ })
  t.throws(() => new OktaMfaStrategy({ ...base, orgUrl: 'http://dev-1.okta.com' }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION' }, 'http needs allowInsecureHttp')
  // What the client or the limiter refuses is the strategy's refusal (a TypeError), the other package's error its cause.
  const passedOn = [{ ...base, orgUrl: 'http://dev-1.okta.com' }, { ...base, maxAttempts: 0 }].map((options) => { try { return new OktaMfaStrategy(options) } catch (err) { return err } })
  t.ok(passedOn.every((err) => err instanceof InvalidOptionError && err instanceof TypeError), "passport-okta-mfa's own class, a TypeError")
  t.match(passedOn, [{ cause: { code: 'OKTA_CLIENT_INVALID_OPTION' } }, { cause: { code: 'OKTA_MFA_INVALID_OPTION', message: /"maxAttempts"/ } }])
  // The classes re-exported from core are core's, and throw core's error, not this package's (README, changeset).
  t.throws(() => new PassportAttemptLimiter({ maxAtempts: 3 } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"maxAtempts" is not an option of AttemptLimiter$/ })
  t.ok(((): unknown => { try { return new PassportAttemptLimiter({ maxAttempts: 0 }) } catch (err) { return err } })() instanceof CoreInvalidOptionError, "core's class")
  t.throws(() => requireMfa({ redirectTo: 'https://evil.example/' }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"redirectTo"/ })
  t.throws(() => requireMfaFastify({ maxAgeSeconds: -1 }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"maxAgeSeconds"/ })
  // A step-up of 0 seconds would refuse every step the moment it is recorded: a page no one ever reaches.
  t.throws(() => requireMfa({ maxAgeSeconds: 0 }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"maxAgeSeconds" option must be a positive number/ })
  // A misspelt guard option would turn a step-up guard into a plain one: refused, on both guards.
  for (const guard of [requireMfa, requireMfaFastify]) {
    t.throws(() => guard({ maxAgeSecond: 300 } as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /^"maxAgeSecond" is not an option of requireMfa$/, cause: { code: 'OKTA_MFA_INVALID_OPTION' } }, "core's check, ours with core's as the cause")
    t.throws(() => guard({ rememberDevices: {} } as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"rememberDevices" is not an option/ })
    t.throws(() => guard(null as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /options must be an object/ })
    t.throws(() => guard('x' as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /options must be an object/ })
    // express-session's `cookie` as the key made every redirected request hang; `save`, `__proto__` lost the session.
    for (const key of ['cookie', 'save', 'id', '__proto__', 'constructor', 'toString', 'passport', 'oktaMfa', 'oktaMfaUser']) {
      t.throws(() => guard({ returnToKey: key }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: `"returnToKey" option must not be ${JSON.stringify(key)}` }, `returnToKey ${key}`)
    }
    t.doesNotThrow(() => guard({ returnToKey: 'afterMfa' }), 'a name of the app\'s own')
  }
  // signOutRevoked: the store is what it is for; a misspelt option would leave the app's userKey or clock out.
  const revocations = new MemoryRevocationStore()
  t.throws(() => signOutRevoked({} as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /^"revocations" option is required$/ })
  t.throws(() => signOutRevoked(undefined as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /options must be an object/ })
  t.throws(() => signOutRevoked({ revocations: {} as never }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"revocations" option must implement RevocationStore/ })
  t.throws(() => signOutRevoked({ revocations, userkey: () => 'k' } as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /^"userkey" is not an option of signOutRevoked$/, cause: { code: 'OKTA_MFA_INVALID_OPTION' } })
  t.throws(() => signOutRevoked({ revocations, clock: 5 as never }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"clock" option must be a function/ })
  t.throws(() => signOutRevoked({ revocations, userKey: 'id' as never }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"userKey" option must be a function/ })
  // Called as an async hook (no callback) it would never say when it is done: refused at once.
  t.throws(() => { (signOutRevoked({ revocations }) as unknown as (a: object, b: object) => void)({}, {}) }, { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /is a middleware/ })
  t.throws(() => new OktaMfaStrategy({ ...base, passReqToCallback: 'true' } as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"passReqToCallback" option must be a boolean/ })
  t.throws(() => new OktaMfaStrategy({ ...base, passReqToCallback: 1 } as never), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"passReqToCallback" option must be a boolean/ })
  // Client settings: nothing given twice, nothing ignored.
  const { orgUrl: _o, token: _t, ...noClient } = base
  const client = createOktaClient({ orgUrl: 'https://dev-1.okta.com', token: 'x' })
  for (const [extra, name] of [[{ timeoutMs: 1000 }, 'timeoutMs'], [{ allowInsecureHttp: true }, 'allowInsecureHttp'], [{ clientOptions: {} }, 'clientOptions']] as const) {
    t.throws(() => new OktaMfaStrategy({ ...noClient, client, ...extra }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: new RegExp(`"${name}" option configures the client created from "orgUrl"`) }, `${name} with client`)
  }
  await client.close()
  // Bounds: a timer over 2^31 - 1 ms fires after 1 ms; Redis refuses a window beyond 64 bits of ms.
  t.throws(() => new OktaMfaStrategy({ ...base, requestTimeoutMs: 2 ** 31 }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"requestTimeoutMs" option must be an integer of at most 2147483647/ })
  // A deadline of 0 ms would let every request fail; a negative cache time is no setting at all: both refused at construction.
  t.throws(() => new OktaMfaStrategy({ ...base, requestTimeoutMs: 0 }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"requestTimeoutMs" option must be an integer of at least 1/ })
  t.throws(() => new OktaMfaStrategy({ ...base, factorCacheMs: -1 }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"factorCacheMs" option must be an integer of at least 0/ })
  t.throws(() => new OktaMfaStrategy({ ...base, windowMs: 1e19 }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"windowMs" option must be a positive integer of at most/ })
  t.throws(() => new OktaMfaStrategy({ ...base, clientOptions: null as never }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"clientOptions" option must be an object/ })
  t.throws(() => new OktaMfaStrategy({ ...base, clientOptions: 'x' as never }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"clientOptions" option must be an object/ })
  t.throws(() => new OktaMfaStrategy({ ...base, clientOptions: { orgUrl: 'https://other.okta.com' } }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"clientOptions\.orgUrl"/ })
  t.throws(() => new OktaMfaStrategy({ ...base, clientOptions: { token: 'y' } }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"token" and "clientOptions\.token"/ })
  t.throws(() => new OktaMfaStrategy({ ...base, timeoutMs: 100, clientOptions: { timeoutMs: 9000 } }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"timeoutMs" and "clientOptions\.timeoutMs" are both given/ })
  t.throws(() => new OktaMfaStrategy({ ...base, allowInsecureHttp: true, clientOptions: { allowInsecureHttp: false } }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"allowInsecureHttp" and "clientOptions\.allowInsecureHttp" are both given/ })
  t.throws(() => new OktaMfaStrategy({ ...base, clientOptions: { timeoutMS: 1 } as never }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"timeoutMS" is not an option/ }, 'a misspelt client option')
  const strategy = new OktaMfaStrategy(base)
  t.equal(strategy.name, 'okta-mfa')
  await strategy.close()

  // The verify overloads: a signature that does not match passReqToCallback must not compile (checked by tsc, never run).
  type Req = { ip: string }
  const typeChecks = (): void => {
    // @ts-expect-error a verify taking the request needs passReqToCallback: true
    void new OktaMfaStrategy<StackUser, Req>(base, (_req: Req, _user: StackUser, _info: MfaSuccessInfo, _done: MfaVerifyDone<StackUser>) => {})
    // @ts-expect-error with passReqToCallback: true the request comes first
    void new OktaMfaStrategy<StackUser, Req>({ ...base, passReqToCallback: true }, (_user: StackUser, _info: MfaSuccessInfo, _done: MfaVerifyDone<StackUser>) => {})
    void new OktaMfaStrategy<StackUser, Req>({ ...base, passReqToCallback: true }, (req, user, info, done) => { done(null, req.ip === '' ? false : user, info) })
  }
  t.type(typeChecks, 'function')
})

await t.test('a CommonJS app can require the package', async (t) => {
  const script = "const m = require('passport-okta-mfa'); console.log(JSON.stringify({ strategy: typeof m.OktaMfaStrategy, guard: typeof m.requireMfa, name: new m.OktaMfaStrategy({ orgUrl: 'https://dev-1.okta.com', token: 'x', resolveOktaUser: () => ({ id: 'u' }) }).name }))"
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { cwd: ROOT })
  t.same(JSON.parse(stdout.trim().split('\n').at(-1)!), { strategy: 'function', guard: 'function', name: 'okta-mfa' })
})

await t.test("Okta's verify gets the end user's IP (X-Forwarded-For), User-Agent and Accept-Language", async (t) => {
  const { createServer: createHttpServer } = await import('node:http')
  const seen: Array<Record<string, string | string[] | undefined>> = []
  const factor = { id: 'ost1', factorType: 'token:software:totp', provider: 'GOOGLE', status: 'ACTIVE', profile: {}, _links: {} }
  const okta = createHttpServer((req, res) => {
    const json = (body: unknown): void => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)) }
    req.resume()
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/api/v1/users/00u1/factors') return json([factor])
      if (req.method === 'POST' && req.url === '/api/v1/users/00u1/factors/ost1/verify') { seen.push(req.headers); return json({ factorResult: 'SUCCESS' }) }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errorCode":"E0000007","errorSummary":"Not found"}')
    })
  })
  await new Promise<void>((resolve) => okta.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { okta.closeAllConnections(); okta.close(() => resolve()) }))
  const port = (okta.address() as import('node:net').AddressInfo).port
  const strategy = new OktaMfaStrategy({ orgUrl: `http://127.0.0.1:${port}`, token: 'test-token', allowInsecureHttp: true, resolveOktaUser: () => ({ id: '00u1' }) })
  t.teardown(() => strategy.close())
  const outcome = await new Promise<[string, unknown]>((resolve) => {
    const augmented = Object.assign(Object.create(strategy) as OktaMfaStrategy & Record<string, unknown>, {
      success: (_user: unknown, info: unknown) => { resolve(['success', info]) },
      fail: (challenge: unknown) => { resolve(['fail', challenge]) },
      error: (err: unknown) => { resolve(['error', err]) },
    })
    augmented.authenticate({
      user: { id: 'app-1' },
      body: { passCode: '123456' },
      ip: '203.0.113.5',
      headers: { 'user-agent': 'EndUserBrowser/1.0', 'accept-language': 'fr-CA' },
      session: {},
    })
  })
  t.match(outcome, ['success', { factorId: 'ost1' }])
  t.equal(seen.length, 1)
  t.equal(seen[0]?.['x-forwarded-for'], '203.0.113.5')
  t.equal(seen[0]?.['user-agent'], 'EndUserBrowser/1.0')
  t.equal(seen[0]?.['accept-language'], 'fr-CA')
})

await t.test("a user no key can be derived for, or a userKey returning no string: core's InvalidOptionError for the error handler, before Okta is asked", async (t) => {
  // An org nothing listens on: the refusal comes before any call (a call would be OKTA_CONNECTION).
  for (const [options, user, message] of [
    [{}, { name: 'no id' }, /^cannot derive a key for this user: give it an "id" or pass the "userKey" option$/],
    [{ userKey: () => '' }, { id: 'app-1' }, /^"userKey" option must return a non-empty string/],
  ] as const) {
    const strategy = new OktaMfaStrategy({ orgUrl: 'http://127.0.0.1:9', token: 'test-token', allowInsecureHttp: true, resolveOktaUser: () => ({ id: '00u1' }), ...options })
    t.teardown(() => strategy.close())
    const outcome = await new Promise<[string, unknown]>((resolve) => {
      const augmented = Object.assign(Object.create(strategy) as OktaMfaStrategy & Record<string, unknown>, {
        success: () => { resolve(['success', undefined]) },
        fail: (challenge: unknown) => { resolve(['fail', challenge]) },
        error: (err: unknown) => { resolve(['error', err]) },
      })
      augmented.authenticate({ user, body: { passCode: '123456' }, headers: {}, session: {} })
    })
    t.match(outcome, ['error', { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message }], String(message))
    t.ok(outcome[1] instanceof CoreInvalidOptionError, "core's class, as the README's list of configuration errors says")
  }
})

await t.test("Okta refusing the app's own API token: a 500 for the error handler with the code, never Okta's 401 or its text", async (t) => {
  const emu = await withEmulator(t, { seed: seedUsers() })
  const stack = await startExpressStack(t, { strategy: { orgUrl: emu.url, token: 'not-the-api-token', allowInsecureHttp: true, clock: emu.clock.now } })
  const jar = stack.jar()
  await passwordLogin(jar, ada)
  t.equal((await mfaWith(jar, '/mfa')).status, 503, "the stack's own handler answered")
  t.equal(stack.errors.length, 1)
  const err = stack.errors[0] as { code?: unknown, status?: unknown, statusCode?: unknown, message: string, cause?: { code?: unknown, status?: unknown } }
  t.match(err, { code: 'OKTA_AUTHENTICATION', status: 500, statusCode: 500 }, 'the app sees the code, and a framework would answer 500')
  t.match(err.cause, { code: 'OKTA_AUTHENTICATION', status: 401 }, "Okta's error is the cause, for the logs")
  t.notMatch(err.message, /Invalid token|E0000011/, "no Okta text to show a user")
})

await t.test("Okta refusing a verify with a code no outcome names (403 E0000085): the strategy's 500 for the error handler is no outage", async (t) => {
  const emu = await withEmulator(t, { seed: seedUsers() })
  const proxy = await faultProxy(t, emu.url)
  proxy.hook = (req) => (req.url ?? '').endsWith('/verify') ? { status: 403, errorCode: 'E0000085' } : undefined
  const stack = await startExpressStack(t, { strategy: { orgUrl: proxy.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now } })
  const jar = stack.jar()
  await passwordLogin(jar, ada)
  await mfaWith(jar, '/mfa')
  t.equal(stack.errors.length, 1, 'passed to the error handler')
  const err = stack.errors[0] as { code?: unknown, status?: unknown, cause?: { code?: unknown, status?: unknown, errorCode?: unknown } }
  t.match(err, { code: 'OKTA_API_ERROR', status: 500 }, 'a 500 with the client code')
  t.match(err.cause, { code: 'OKTA_API_ERROR', status: 403, errorCode: 'E0000085' }, "Okta's refusal is its cause")
  // Read by its own status (500) it had been an Okta outage: the examples answered 503 "try again in a minute".
  t.equal(outcomeOfError(err), undefined, 'no outcome: a configuration error, not UPSTREAM_UNAVAILABLE')
})

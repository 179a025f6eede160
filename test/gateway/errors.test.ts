// Guards the error table end to end: every extensions.code is produced for real against the emulator (or a dead or
// silent upstream), with the HTTP status the table gives it, and nothing of Okta's body or a stack in the response.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer, type Socket } from 'node:net'
import { Writable } from 'node:stream'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { startEmulator } from '@okta-mfa/emulator'
import { GATEWAY_ERRORS } from '@okta-mfa/gateway'
import { MemoryAttemptStore, attemptKey } from '@okta-mfa/core'
import { emuFetch, withEmulator, type TestEmulator } from '../helpers/emulator.js'
import { CookieJar, faultProxy, listenLoopback } from '../helpers/http.js'
import { OPS, codeOf, gql, startGatewayApp, type GqlResponse } from '../helpers/gateway-app.js'
import { totp } from '../helpers/totp.js'
import { switchableAttemptStore } from '../helpers/store-contract.js'

const SECRET = 'JBSWY3DPEHPK3PXP'

/** Asserts the code, the status the table gives it, and that the request id is in the error. */
function expectCode (t: Test, res: GqlResponse, code: keyof typeof GATEWAY_ERRORS, what: string): void {
  t.equal(codeOf(res), code, what)
  t.equal(res.status, GATEWAY_ERRORS[code].status, `${what}: HTTP ${GATEWAY_ERRORS[code].status}`)
  t.equal(res.body.errors?.[0]?.extensions.requestId, res.headers['x-request-id'], `${what}: the request id is in the error and the header`)
  t.equal(res.headers['cache-control'], 'no-store', `${what}: kept by no cache`)
  t.notMatch(shown(res.body), /E0000|errorSummary|errorCauses|at .+\.js:\d+/, `${what}: nothing of Okta's body or a stack`)
  // Whether our check or Okta's 404 found it missing, the input at fault is named.
  if (code === 'FACTOR_NOT_FOUND') t.equal(res.body.errors?.[0]?.extensions.field, 'factorId', `${what}: field factorId`)
}

/** An answer as text without its request ids: a random UUID can hold any three digits, "555" among them. */
function shown (body: unknown): string {
  return JSON.stringify(body, (key, value: unknown) => key === 'requestId' ? undefined : value)
}

function wrongCode (secret: string, now: number): string {
  const right = totp(secret, now)
  return right === '000000' ? '111111' : '000000'
}

async function totpFactorId (emu: TestEmulator, jar: Parameters<typeof gql>[0]): Promise<string> {
  const res = await gql(jar, OPS.factors)
  const id = res.body.data.factors[0]?.id as string | undefined
  if (id === undefined) throw new Error(`no factor seeded at ${emu.url}`)
  return id
}

const seed = [
  { login: 'ada@example.com', factors: [{ factorType: 'token:software:totp' as const, sharedSecret: SECRET }] },
  { login: 'bob@example.com' },
]

await t.test('passcode outcomes, ownership, input and session', async (t) => {
  const emu = await withEmulator(t, { seed })
  const gw = await startGatewayApp(t, emu)
  const ada = await gw.signedIn('ada@example.com')
  const factorId = await totpFactorId(emu, ada)

  expectCode(t, await gql(ada, OPS.verify, { factorId, passCode: wrongCode(SECRET, emu.clock.now()) }), 'INVALID_PASSCODE', 'a wrong code')

  const code = totp(SECRET, emu.clock.now())
  t.equal((await gql(ada, OPS.verify, { factorId, passCode: code })).body.data.verifyFactor.result, 'SUCCESS')
  expectCode(t, await gql(ada, OPS.verify, { factorId, passCode: code }), 'PASSCODE_REPLAYED', 'the same code twice')

  expectCode(t, await gql(ada, OPS.enroll, { input: { factorType: 'TOTP', provider: 'GOOGLE' } }), 'ALREADY_ENROLLED', 'TOTP enrolled twice')

  const bob = await gw.signedIn('bob@example.com')
  expectCode(t, await gql(bob, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now() + 30_000) }), 'FACTOR_NOT_FOUND', "another user's factor")
  expectCode(t, await gql(bob, OPS.resend, { factorId }), 'FACTOR_NOT_FOUND', "resend of another user's factor")

  const malformed = await gql(ada, OPS.verify, { factorId, passCode: '12ab56' })
  expectCode(t, malformed, 'PASSCODE_MALFORMED', 'a malformed passcode (the code the strategy answers)')
  t.equal(malformed.body.errors?.[0]?.extensions.field, 'passCode')
  const phone = await gql(bob, OPS.enroll, { input: { factorType: 'SMS', phoneNumber: 'call me maybe' } })
  expectCode(t, phone, 'BAD_USER_INPUT', 'a bad phone number')
  t.equal(phone.body.errors?.[0]?.extensions.field, 'input.phoneNumber')
  const shortAnswer = await gql(bob, OPS.enroll, { input: { factorType: 'QUESTION', question: 'disliked_food', answer: ' abc ' } })
  t.match(shortAnswer.body.errors?.[0], { message: /must be 4 to/, extensions: { code: 'BAD_USER_INPUT', field: 'input.answer' } }, "an answer under Okta's 4 characters (spaces around it not counted)")
  // E.164: 7 to 15 digits after the plus, checked before Okta hears of it.
  for (const phoneNumber of ['+1234567890123456', '+123456']) {
    const refused = await gql(bob, OPS.enroll, { input: { factorType: 'SMS', phoneNumber } })
    t.match(refused.body.errors?.[0], { message: /must be an E\.164 number/, extensions: { code: 'BAD_USER_INPUT', field: 'input.phoneNumber' } }, `${phoneNumber.length - 1} digits are not an E.164 number`)
  }
  expectCode(t, await gql(bob, OPS.enroll, { input: { factorType: 'TOTP', phoneNumber: '+15555550123' } }), 'BAD_USER_INPUT', 'a field of another factor type')
  expectCode(t, await gql(bob, OPS.verify, { factorId: '../../users', passCode: '123456' }), 'FACTOR_NOT_FOUND', 'a factor id that is not one')
  expectCode(t, await gql(ada, OPS.resend, { factorId }), 'BAD_USER_INPUT', 'resend of a TOTP factor, which sends no codes')

  const anonymous = gw.jar()
  expectCode(t, await gql(anonymous, OPS.factors), 'UNAUTHENTICATED', 'no session')
  expectCode(t, await gql(anonymous, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) }), 'UNAUTHENTICATED', 'verify without a session')
  expectCode(t, await gql(anonymous, OPS.viewer), 'UNAUTHENTICATED', 'viewer without a session')
  // Who asks, before what is asked: no input of an operation is judged without a signed-in user.
  for (const id of [factorId, 'does-not-exist', 'has space', '']) {
    for (const [name, variables] of [['verify', { factorId: id, passCode: '12' }], ['activate', { factorId: id, passCode: 'abc' }], ['activate', { factorId: id, passCode: '' }], ['resend', { factorId: id }], ['remove', { factorId: id }]] as const) {
      expectCode(t, await gql(anonymous, OPS[name], variables), 'UNAUTHENTICATED', `${name} ${JSON.stringify(variables)} without a session`)
    }
  }
  for (const input of [{ factorType: 'SMS', phoneNumber: 'call me maybe' }, { factorType: 'QUESTION', question: 'disliked_food' }, { factorType: 'TOTP', phoneNumber: '+15555550123' }]) {
    expectCode(t, await gql(anonymous, OPS.enroll, { input }), 'UNAUTHENTICATED', `enroll ${JSON.stringify(input)} without a session`)
  }
  // A password alone (ada has an active factor): a step-up first, whatever the factor id, so it tells nothing of ids.
  const passwordOnly = await gw.signedIn('ada@example.com')
  for (const id of [factorId, 'ost0000000000000000', 'does-not-exist', 'has space', '']) {
    expectCode(t, await gql(passwordOnly, OPS.remove, { factorId: id }), 'MFA_REQUIRED', `remove ${JSON.stringify(id)} with a password alone`)
    // Activating the active factor itself is no other factor's change: Okta's to refuse.
    if (id !== factorId) expectCode(t, await gql(passwordOnly, OPS.activate, { factorId: id, passCode: 'abc' }), 'MFA_REQUIRED', `activate ${JSON.stringify(id)} with a password alone`)
  }
})

await t.test("the gateway's attempt limiter locks out, through the shared store interface", async (t) => {
  const emu = await withEmulator(t, { seed, lockoutThreshold: 0 })
  const store = new MemoryAttemptStore()
  const gw = await startGatewayApp(t, emu, { gateway: { attemptStore: store, maxAttempts: 3 } })
  const ada = await gw.signedIn('ada@example.com')
  const factorId = await totpFactorId(emu, ada)
  const wrong = wrongCode(SECRET, emu.clock.now())

  const first = await gql(ada, OPS.verify, { factorId, passCode: wrong })
  expectCode(t, first, 'INVALID_PASSCODE', 'first wrong code')
  t.equal(first.body.errors?.[0]?.extensions.attemptsRemaining, 2, 'says how many attempts are left')
  expectCode(t, await gql(ada, OPS.verify, { factorId, passCode: wrong }), 'INVALID_PASSCODE', 'second wrong code')
  t.match(await store.get(attemptKey('mfa', 'ada@example.com'), Date.now()), { count: 2 }, 'the attempts are counted in the given store under the hashed user key')
  const third = await gql(ada, OPS.verify, { factorId, passCode: wrong })
  // As the strategy: N wrong codes are each reported as wrong (the Nth with when to try again), LOCKED_OUT after them.
  expectCode(t, third, 'INVALID_PASSCODE', 'the last allowed wrong code is still a wrong code')
  t.equal(third.body.errors?.[0]?.extensions.attemptsRemaining, 0, 'none left')
  const announced = third.body.errors?.[0]?.extensions.retryAfterSeconds
  t.ok(typeof announced === 'number' && announced > 0 && announced <= 900, `and when to try again (${String(announced)} s)`)
  t.equal(third.headers['retry-after'], undefined, 'no Retry-After on the wrong code itself')
  const locked = await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })
  expectCode(t, locked, 'LOCKED_OUT', 'even the right code while locked out')
  const retry = locked.body.errors?.[0]?.extensions.retryAfterSeconds
  t.ok(typeof retry === 'number' && retry > 0 && retry <= 900, `retryAfterSeconds ${String(retry)}`)
  t.equal(locked.headers['retry-after'], String(retry), 'Retry-After header')
})

await t.test('an attempt store that cannot be reached: STORE_UNAVAILABLE (503, retryable), the code never reaches Okta', async (t) => {
  const emu = await withEmulator(t, { seed })
  const { store, setDown } = switchableAttemptStore()
  const gw = await startGatewayApp(t, emu, { gateway: { attemptStore: store } })
  const ada = await gw.signedIn('ada@example.com')
  const factorId = await totpFactorId(emu, ada)
  const refused = await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })
  expectCode(t, refused, 'STORE_UNAVAILABLE', 'the right code while the store is down')
  t.equal(GATEWAY_ERRORS.STORE_UNAVAILABLE.retryable, true)
  expectCode(t, await gql(ada, OPS.activate, { factorId, passCode: '123456' }), 'STORE_UNAVAILABLE', 'activation too')
  t.equal((await gql(ada, OPS.viewer)).body.data.viewer.mfa.completed, false, 'no MFA step')
  setDown(false)
  const ok = await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })
  t.equal(ok.body.data?.verifyFactor.result, 'SUCCESS', 'the same code was never used: Okta did not hear it while the store was down')
})

await t.test("Okta's own lockout and rate limit", async (t) => {
  const emu = await withEmulator(t, { seed: [...seed, { login: 'cy@example.com', factors: [{ factorType: 'sms', phoneNumber: '+15555550100' }] }], lockoutThreshold: 2 })
  const gw = await startGatewayApp(t, emu, { gateway: { maxAttempts: 50 } })
  const ada = await gw.signedIn('ada@example.com')
  const factorId = await totpFactorId(emu, ada)
  const wrong = wrongCode(SECRET, emu.clock.now())
  expectCode(t, await gql(ada, OPS.verify, { factorId, passCode: wrong }), 'INVALID_PASSCODE', 'wrong code 1')
  expectCode(t, await gql(ada, OPS.verify, { factorId, passCode: wrong }), 'INVALID_PASSCODE', 'wrong code 2')
  expectCode(t, await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) }), 'LOCKED_OUT', 'the user locked in Okta')

  const cy = await gw.signedIn('cy@example.com')
  const smsId = await totpFactorId(emu, cy)
  t.equal((await gql(cy, OPS.verify, { factorId: smsId })).body.data.verifyFactor.result, 'CHALLENGE')
  const limited = await gql(cy, OPS.resend, { factorId: smsId })
  expectCode(t, limited, 'RATE_LIMITED', 'a second sms within 30 seconds')
  const retry = limited.body.errors?.[0]?.extensions.retryAfterSeconds
  t.ok(typeof retry === 'number' && retry > 0, `retryAfterSeconds ${String(retry)}`)
  t.equal(limited.headers['retry-after'], String(retry))
})

await t.test('an app user with no Okta user is OKTA_USER_NOT_FOUND (routable, no 500); a wrong API token is a masked INTERNAL', async (t) => {
  const emu = await withEmulator(t, { seed })
  const gw = await startGatewayApp(t, emu)
  const ghost = await gw.signedIn('ghost@example.com')
  const res = await gql(ghost, OPS.factors)
  expectCode(t, res, 'OKTA_USER_NOT_FOUND', 'no Okta user and no provisioning')
  t.notMatch(res.body.errors?.[0]?.message, /ghost|E0000007|Not found/, 'no login and no Okta text in the message')
  expectCode(t, await gql(ghost, OPS.verify, { factorId: 'ost1', passCode: '123456' }), 'OKTA_USER_NOT_FOUND', 'verify as well')
  // A partial result stays 200: the status follows the first error only when no data came back.
  const partial = await gql(ghost, '{ viewer { userKey login } }')
  t.equal(partial.status, 200, 'data came back: 200')
  t.match(partial.body, { data: { viewer: { userKey: String, login: null } }, errors: [{ extensions: { code: 'OKTA_USER_NOT_FOUND' } }] })

  // An Okta user deleted after the session bound it: the queries say so as the mutations do (they said FACTOR_NOT_FOUND).
  const ada = await gw.signedIn('ada@example.com')
  t.equal((await gql(ada, OPS.factors)).status, 200, 'bound')
  const adaId = (await emuFetch(emu, 'GET', '/api/v1/users/ada%40example.com')).body.id as string
  await emuFetch(emu, 'DELETE', `/api/v1/users/${adaId}`)
  await emuFetch(emu, 'DELETE', `/api/v1/users/${adaId}`)
  // resendChallenge first, while the session still binds the deleted user (it answered FACTOR_NOT_FOUND).
  expectCode(t, await gql(ada, OPS.resend, { factorId: 'smsgone0000000000001' }), 'OKTA_USER_NOT_FOUND', 'resendChallenge')
  t.equal((await gql(ada, OPS.factors)).status, 403)
  t.equal((await gql(ada, OPS.catalog)).status, 403)
  for (const op of [OPS.factors, OPS.catalog]) expectCode(t, await gql(ada, op), 'OKTA_USER_NOT_FOUND', 'deleted since')
  // Made again under the same login: found again, and the new user's factors are listed.
  const made = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'ada@example.com', email: 'ada@example.com' } })
  t.same((await gql(ada, OPS.factors)).body.data.factors, [], "the new user's (none yet)")
  expectCode(t, await gql(ada, OPS.resend, { factorId: 'smsgone0000000000001' }), 'FACTOR_NOT_FOUND', 'a factor the (new) user does not have is still FACTOR_NOT_FOUND')
  t.equal((await gql(ada, OPS.catalog)).status, 200)
  // With provisioning, a user deleted since is made again at the next query, not refused first.
  const provisioned = await startGatewayApp(t, emu, { env: { OKTA_PROVISION: 'true' } })
  const cyd = await provisioned.signedIn('cyd@example.com')
  t.equal((await gql(cyd, OPS.factors)).status, 200, 'provisioned and bound')
  const cydId = (await emuFetch(emu, 'GET', '/api/v1/users/cyd%40example.com')).body.id as string
  await emuFetch(emu, 'DELETE', `/api/v1/users/${cydId}`)
  await emuFetch(emu, 'DELETE', `/api/v1/users/${cydId}`)
  t.equal((await gql(cyd, OPS.factors)).status, 200, 'provisioned again')
  t.not((await emuFetch(emu, 'GET', '/api/v1/users/cyd%40example.com')).body.id, cydId)
  t.ok(made.body.id)
  // A login Okta refuses to create (not an email): the app's mapping is at fault, so a masked INTERNAL, not
  // OKTA_USER_NOT_FOUND (which would send the user to a setup page that cannot help).
  expectCode(t, await gql(await provisioned.signedIn('not-an-email'), OPS.factors), 'INTERNAL', 'Okta refuses to create the user')

  const badToken = await startGatewayApp(t, emu, { env: { OKTA_API_TOKEN: 'not-the-token' } })
  expectCode(t, await gql(await badToken.signedIn('ada@example.com'), OPS.factors), 'INTERNAL', 'Okta refuses the API token')

  // A session user the default mapping has nothing to map by (no oktaUserId, login, email or username): the app's
  // configuration is at fault (it needs resolveOktaUser), so a masked INTERNAL, logged with the gateway's option code.
  const lines: string[] = []
  const logged = await startGatewayApp(t, emu, { logStream: new Writable({ write (chunk, _enc, done) { lines.push(String(chunk)); done() } }) })
  const unmapped = await gql(await logged.signedInAs({ id: 7 }), OPS.factors)
  expectCode(t, unmapped, 'INTERNAL', 'a user with nothing to map by')
  t.notMatch(unmapped.body.errors?.[0]?.message, /resolveOktaUser/, 'the reason stays in the log')
  t.ok(lines.some((l) => l.includes('OKTA_MFA_GATEWAY_INVALID_OPTION') && l.includes('pass the \\"resolveOktaUser\\" option')), 'logged with its code and the way out')
})

await t.test('UPSTREAM_UNAVAILABLE when Okta is down', async (t) => {
  const emu = await startEmulator({ port: 0, quiet: true, seed })
  const gw = await startGatewayApp(t, { ...emu, clock: { now: Date.now, advance: Date.now, set: Date.now }, authHeader: { authorization: '' } })
  const ada = await gw.signedIn('ada@example.com')
  t.equal((await gql(ada, OPS.factors)).status, 200, 'up')
  await emu.close()
  expectCode(t, await gql(ada, OPS.factors), 'UPSTREAM_UNAVAILABLE', 'the emulator stopped')
})

await t.test('codes sent while Okta cannot be reached use no attempt: no lockout once it is back', async (t) => {
  const ids = [{ id: '00udown00000000000001', login: 'ada@example.com', factors: [{ id: 'ostdown00000000000001', factorType: 'token:software:totp' as const, sharedSecret: SECRET }] }]
  let emu = await startEmulator({ port: 0, quiet: true, seed: ids })
  const port = new URL(emu.url).port
  const gw = await startGatewayApp(t, { ...emu, clock: { now: Date.now, advance: Date.now, set: Date.now }, authHeader: { authorization: '' } })
  const ada = await gw.signedIn('ada@example.com')
  const factorId = 'ostdown00000000000001'
  t.equal((await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, Date.now()) })).body.data?.verifyFactor.result, 'SUCCESS', 'a first verify binds the Okta user in the session')
  await emu.close()
  for (let i = 1; i <= 6; i++) {
    expectCode(t, await gql(ada, OPS.verify, { factorId, passCode: wrongCode(SECRET, Date.now()) }), 'UPSTREAM_UNAVAILABLE', `try ${i} with Okta down (connection refused): retryable, not counted`)
  }
  emu = await startEmulator({ port: Number(port), quiet: true, seed: ids, token: emu.token })
  t.teardown(() => emu.close())
  const back = await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, Date.now()) })
  t.equal(back.body.data?.verifyFactor.result, 'SUCCESS', `Okta back: the right code passes (${codeOf(back) ?? 'no error'})`)
})

await t.test('UPSTREAM_TIMEOUT when Okta accepts the connection and never answers', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => { sockets.add(socket) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => silent.close(resolve))
  })
  const address = silent.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  const gw = await startGatewayApp(t, undefined, { env: { OKTA_ORG_URL: `http://127.0.0.1:${address.port}`, OKTA_TIMEOUT_MS: '300' } })
  const ada = await gw.signedIn('ada@example.com')
  // Answered by the client's timeout (the test's own time limit would fail it otherwise), with no Okta answer at all.
  expectCode(t, await gql(ada, OPS.factors), 'UPSTREAM_TIMEOUT', 'a silent upstream')
})

await t.test("Okta refusing the app's own API token on a verify or an activation gives the attempt back: no lockout once it is fixed", async (t) => {
  const emu = await withEmulator(t, { seed })
  // The token rotated under a running app: Okta answers every verify and activate 401 E0000011 (403 E0000006 for a
  // token whose admin lost the role) until the app has the new one. `refuse` switches it; the rest passes through.
  let refuse: 401 | 403 | undefined
  const proxy = await faultProxy(t, emu.url)
  proxy.hook = (req) => refuse === undefined || !/\/(verify|lifecycle\/activate)$/.test(req.url ?? '')
    ? undefined
    : { status: refuse, errorCode: refuse === 401 ? 'E0000011' : 'E0000006' }
  const store = new MemoryAttemptStore()
  const gw = await startGatewayApp(t, emu, { env: { OKTA_ORG_URL: proxy.url }, gateway: { attemptStore: store } })
  const ada = await gw.signedIn('ada@example.com')
  const factorId = await totpFactorId(emu, ada)
  for (const status of [401, 403] as const) {
    refuse = status
    for (let i = 0; i < 5; i++) expectCode(t, await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) }), 'INTERNAL', `verify, Okta answers ${status} (${i + 1})`)
    t.notOk((await store.get(attemptKey('mfa', 'ada@example.com'), Date.now()))?.count, `${status}: no attempt left counted`)
  }
  const bob = await gw.signedIn('bob@example.com')
  refuse = undefined
  const pending = (await gql(bob, OPS.enroll, { input: { factorType: 'TOTP' } })).body.data.enrollFactor
  refuse = 401
  for (let i = 0; i < 5; i++) expectCode(t, await gql(bob, OPS.activate, { factorId: pending.factor.id, passCode: totp(pending.activation.sharedSecret, emu.clock.now()) }), 'INTERNAL', `activate, Okta answers 401 (${i + 1})`)
  t.notOk((await store.get(attemptKey('mfa', 'bob@example.com'), Date.now()))?.count, 'activation: no attempt left counted')
  refuse = undefined
  emu.clock.advance(30_000)
  t.equal((await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })).body.data?.verifyFactor.result, 'SUCCESS', 'the token fixed: the right code passes')
  t.equal((await gql(bob, OPS.activate, { factorId: pending.factor.id, passCode: totp(pending.activation.sharedSecret, emu.clock.now()) })).body.data?.activateFactor.status, 'ACTIVE', 'and activates')
})

await t.test("a firewall's 403 page in front of Okta on a verify is UPSTREAM_UNAVAILABLE (503), not INTERNAL, and gives the attempt back", async (t) => {
  const emu = await withEmulator(t, { seed })
  let block = false
  const proxy = await faultProxy(t, emu.url)
  proxy.hook = (req) => block && (req.url ?? '').endsWith('/verify') ? { status: 403, page: '<html><h1>403 Forbidden</h1>Request blocked by policy.</html>' } : undefined
  const store = new MemoryAttemptStore()
  const gw = await startGatewayApp(t, emu, { env: { OKTA_ORG_URL: proxy.url }, gateway: { attemptStore: store } })
  const ada = await gw.signedIn('ada@example.com')
  const factorId = await totpFactorId(emu, ada)
  block = true
  for (let i = 0; i < 5; i++) {
    const res = await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })
    expectCode(t, res, 'UPSTREAM_UNAVAILABLE', `blocked verify ${i + 1}`)
    t.equal(res.status, 503)
  }
  t.notOk((await store.get(attemptKey('mfa', 'ada@example.com'), Date.now()))?.count, 'no attempt left counted')
  block = false
  t.equal((await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })).body.data?.verifyFactor.result, 'SUCCESS', 'unblocked: the right code passes')
})

await t.test("Okta's other documented refusals of a verify and an activation are outcomes, never INTERNAL: locked or inactive users, inactive factors, a code past its window", async (t) => {
  const emu = await withEmulator(t, { seed })
  let refusal: { status: number, errorCode: string } | undefined
  const proxy = await faultProxy(t, emu.url)
  proxy.hook = (req) => refusal !== undefined && /\/(verify|lifecycle\/activate)$/.test(req.url ?? '') ? refusal : undefined
  const store = new MemoryAttemptStore()
  const gw = await startGatewayApp(t, emu, { env: { OKTA_ORG_URL: proxy.url }, gateway: { attemptStore: store } })
  const ada = await gw.signedIn('ada@example.com')
  const factorId = await totpFactorId(emu, ada)
  const bob = await gw.signedIn('bob@example.com')
  const pending = (await gql(bob, OPS.enroll, { input: { factorType: 'TOTP' } })).body.data.enrollFactor
  const counted = async (login: string): Promise<number> => (await store.get(attemptKey('mfa', login), Date.now()))?.count ?? 0
  const cases: Array<[number, string, keyof typeof GATEWAY_ERRORS, boolean]> = [
    // [status, errorCode, outcome, whether the attempt stays counted]
    [403, 'E0000119', 'LOCKED_OUT', true], // "Your account is locked. Please contact your administrator."
    [423, 'E0000155', 'LOCKED_OUT', true], // "User is not currently active."
    [410, 'E0000154', 'ENROLLMENT_REQUIRED', false], // "Invalid factor id, it is not currently active."
    [423, 'E0000180', 'ENROLLMENT_REQUIRED', false], // "Factor id is currently not active."
    [403, 'E0000083', 'INVALID_PASSCODE', true], // "PassCode is valid but exceeded time window."
  ]
  for (const [status, errorCode, code, stays] of cases) {
    refusal = { status, errorCode }
    for (const [who, jar, op, vars] of [
      ['ada@example.com', ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) }],
      ['bob@example.com', bob, OPS.activate, { factorId: pending.factor.id, passCode: totp(pending.activation.sharedSecret, emu.clock.now()) }],
    ] as const) {
      const before = await counted(who)
      const res = await gql(jar, op, vars)
      expectCode(t, res, code, `${status} ${errorCode} on ${op === OPS.verify ? 'a verify' : 'an activation'}`)
      if (code === 'LOCKED_OUT') t.equal(res.body.errors?.[0]?.message, 'This account is locked. Ask an administrator to unlock it.', `${errorCode}: an administrator acts`)
      t.equal(await counted(who), stays ? before + 1 : before, `${errorCode}: the attempt ${stays ? 'stays counted' : 'is given back (no code was judged)'}`)
    }
    await store.reset(attemptKey('mfa', 'ada@example.com'))
    await store.reset(attemptKey('mfa', 'bob@example.com'))
  }
  refusal = undefined
  t.equal((await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })).body.data?.verifyFactor.result, 'SUCCESS', 'Okta answering again: the right code passes')
})

await t.test('OKTA_TIMEOUT_MS above 5000 holds for the whole request: Okta answering in 5.5 s with 10000 is waited for', async (t) => {
  const emu = await withEmulator(t, { seed })
  // A slow Okta: the emulator behind a proxy that holds its first answer for 5.5 s, past the plugin's default deadline.
  let hold = 5500
  const url = await listenLoopback(t, createHttpServer((req, res) => {
    const wait = hold
    hold = 0
    setTimeout(() => {
      const { host: _host, connection: _connection, ...headers } = req.headers
      request(`${emu.url}${req.url ?? '/'}`, { method: req.method as 'GET', headers: headers as Record<string, string> })
        .then(async (up) => { res.writeHead(up.statusCode, { 'content-type': 'application/json' }).end(Buffer.from(await up.body.arrayBuffer())) },
          () => { res.writeHead(502).end() })
    }, wait)
  }))
  const gw = await startGatewayApp(t, emu, { env: { OKTA_ORG_URL: url, OKTA_TIMEOUT_MS: '10000' } })
  const ada = await gw.signedIn('ada@example.com')
  const res = await gql(ada, OPS.factors)
  t.equal(res.status, 200, `no UPSTREAM_TIMEOUT at the 5 s default: ${JSON.stringify(res.body.errors?.[0]?.extensions)}`)
  t.equal(res.body.data?.factors?.length, 1, "Okta's late answer is used")
})

await t.test('variables: a bad value is BAD_USER_INPUT naming it; an undefined or unused variable is a bad document', async (t) => {
  const emu = await withEmulator(t, { seed })
  const gw = await startGatewayApp(t, emu)
  const ada = await gw.signedIn('ada@example.com')
  const remove = 'mutation($f: ID!) { removeFactor(factorId: $f) { removedFactorId } }'
  const values: Array<[string, Record<string, unknown> | undefined, string]> = [
    ['a value of the wrong type', { f: { a: 1 } }, 'f'],
    ['a required variable not given', {}, 'f'],
    ['a required variable, no variables at all', undefined, 'f'],
    ['null for a non-null variable', { f: null }, 'f'],
  ]
  for (const [what, variables, field] of values) {
    const res = await gql(ada, remove, variables)
    expectCode(t, res, 'BAD_USER_INPUT', what)
    t.equal(res.body.errors?.[0]?.extensions.field, field, `${what}: field is the variable's name`)
  }
  const inside = await gql(ada, 'mutation($i: EnrollFactorInput!) { enrollFactor(input: $i) { factor { id } } }', { i: { factorType: 'BOGUS' } })
  expectCode(t, inside, 'BAD_USER_INPUT', 'a bad enum inside an input variable')
  t.equal(inside.body.errors?.[0]?.extensions.field, 'i.factorType', 'the place in the variable')
  // A passcode or an answer of the wrong type: named, never repeated back (graphql-js's message quotes the value).
  for (const [query, variables] of [
    ['mutation($c: String) { verifyFactor(factorId: "x", passCode: $c) { result } }', { c: 739104 }],
    ['mutation($c: String!) { verifyFactor(factorId: "x", passCode: $c) { result } }', { c: [739104] }],
    ['mutation($i: EnrollFactorInput!) { enrollFactor(input: $i) { factor { id } } }', { i: { factorType: 'question', question: 'q', answer: 739104 } }],
  ] as const) {
    const res = await gql(ada, query, variables)
    expectCode(t, res, 'BAD_USER_INPUT', JSON.stringify(variables))
    t.ok(res.body.errors?.[0]?.extensions.field, 'named')
    t.notMatch(shown(res.body), /739104/, 'the value is not in the answer')
  }
  t.equal((await gql(ada, 'mutation($c: String) { verifyFactor(factorId: "x", passCode: $c) { result } }', { c: 123456 })).body.errors?.[0]?.extensions.field, 'c')
  // A secret holding "; " or a reason's own words, beside a mistyped field: graphql-js's reason is kept, the value is not.
  const enroll = 'mutation($i: EnrollFactorInput!) { enrollFactor(input: $i) { factor { id } } }'
  for (const [variables, reason] of [
    [{ i: { factorType: 'QUESTION', question: 'disliked_food', answer: 'my secret; brussels sprouts', extra: 1 } }, 'Field "extra" is not defined by type "EnrollFactorInput".'],
    [{ i: { factorType: 'SMS', phoneNumber: '+1 555; 555 0123', phone: '+15555550199' } }, 'Field "phone" is not defined by type "EnrollFactorInput".'],
    [{ i: { factorType: 'QUESTION', answer: 'x; Field "a" is not defined by type "B". sprouts', extra: 1 } }, 'Field "extra" is not defined by type "EnrollFactorInput".'],
    [{ i: { factorType: 'QUESTION', answer: ['a; String cannot represent a non string value: sprouts'] } }, 'String cannot represent a non string value.'],
    [{ i: { factorType: 'QUESTION; Value "sprouts" does not exist in "X" enum.' } }, 'Value does not exist in "FactorType" enum.'],
  ] as const) {
    const res = await gql(ada, enroll, variables)
    expectCode(t, res, 'BAD_USER_INPUT', reason)
    const messages = (res.body.errors ?? []).map((e: { message: string }) => e.message)
    t.ok(messages.length > 0 && messages.every((m: string) => m.startsWith('Variable "$i" got an invalid value')), 'the variable is named')
    t.ok(messages.some((m: string) => m.endsWith(reason)), `graphql-js's reason is kept: ${reason}`)
    t.notMatch(shown(res.body), /sprouts|555|secret/, 'nothing of the values comes back')
  }
  // The same values written into the document as literals.
  for (const literal of ['"+15555550123"', '["my secret answer"]', '{ factorType: QUESTION, answer: 5 }', '{ factorType: SECRETANSWER }']) {
    const res = await gql(ada, `mutation { enrollFactor(input: ${literal}) { factor { id } } }`, {})
    expectCode(t, res, 'GRAPHQL_VALIDATION_FAILED', literal)
    t.notMatch(shown(res.body), /555|secret|answer: 5|SECRETANSWER/i, `${literal}: the literal is not repeated`)
  }
  // A syntax error names the token it found: its kind, not its text (a passcode or an answer written in the wrong place).
  for (const [query, found] of [
    ['mutation { verifyFactor(factorId: "x" passCode "918273") { result } }', /^Syntax Error: Expected ":", found String\.$/],
    ['mutation { verifyFactor(factorId: "x", passCode: "918273" "918273") { result } }', /^Syntax Error: Expected Name, found String\.$/],
    ['mutation { verifyFactor(factorId: "x", passCode: "1") { result } } 918273', /^Syntax Error: Unexpected Int\.$/],
    ['mutation 918273 { viewer { userKey } }', /^Syntax Error: Expected "\{", found Int\.$/],
    ['mutation { verifyFactor(factorId: "x", answer pizza918273) { result } }', /^Syntax Error: Expected ":", found Name\.$/],
    ['mutation { verifyFactor(factorId: "x", passCode: 918273.5e1 918273) { result } }', /^Syntax Error: Expected Name, found Int\.$/],
    ['{ viewer { userKey """918273""" } }', /^Syntax Error: Expected Name, found BlockString\.$/],
    ['{ viewer ... on "918273" }', /^Syntax Error: Expected Name, found String\.$/],
    // Lexer errors inside a literal: the kind of error, not the text it stopped at.
    ['mutation { verifyFactor(factorId: "x", passCode: "\\u{918273}") { result } }', /^Syntax Error: Invalid Unicode escape sequence\.$/],
    ['mutation { verifyFactor(factorId: "x", passCode: "91\\8273") { result } }', /^Syntax Error: Invalid character escape sequence\.$/],
    ['mutation { verifyFactor(factorId: "x", passCode: 0918273) { result } }', /^Syntax Error: Invalid number, unexpected digit after 0\.$/],
  ] as const) {
    const res = await gql(ada, query, {})
    expectCode(t, res, 'GRAPHQL_VALIDATION_FAILED', query)
    t.match(res.body.errors?.[0]?.message, found, `${query}: the kind of token is named`)
    t.ok((res.body.errors?.[0] as { locations?: unknown } | undefined)?.locations, 'with where it is')
    t.notMatch(shown(res.body), /918273/, `${query}: its text is not repeated`)
  }

  for (const [what, query] of [
    ['an undefined variable', 'mutation { removeFactor(factorId: $f) { removedFactorId } }'],
    ['an unused variable', 'query($v0: String) { viewer { userKey } }'],
    ['an unused variable of a named operation', 'query Q($v0: String) { viewer { userKey } }'],
    ['a variable in the wrong position', 'mutation($f: String) { removeFactor(factorId: $f) { removedFactorId } }'],
  ] as const) {
    const res = await gql(ada, query, { f: 'x', v0: 'y' })
    expectCode(t, res, 'GRAPHQL_VALIDATION_FAILED', what)
    t.equal(res.body.errors?.[0]?.extensions.field, undefined, `${what}: no field`)
  }
})

await t.test('Okta rejecting the input is BAD_USER_INPUT with the argument concerned', async (t) => {
  const emu = await withEmulator(t, { seed })
  const gw = await startGatewayApp(t, emu)
  const bob = await gw.signedIn('bob@example.com')
  // The gateway's shape check passes; the emulator, as Okta, knows no such question ("question: The security question is not valid.").
  const question = await gql(bob, OPS.enroll, { input: { factorType: 'QUESTION', question: 'not_a_question', answer: 'long enough' } })
  expectCode(t, question, 'BAD_USER_INPUT', 'an unknown security question')
  t.equal(question.body.errors?.[0]?.message, 'The identity provider rejected the input.')
  t.equal(question.body.errors?.[0]?.extensions.field, 'input.question', 'the input field Okta names')

  const ada = await gw.signedIn('ada@example.com')
  const factorId = await totpFactorId(emu, ada)
  // Activating an active factor: Okta refuses the activation (400 E0000001) without naming a field.
  const activate = await gql(ada, OPS.activate, { factorId, passCode: totp(SECRET, emu.clock.now()) })
  expectCode(t, activate, 'BAD_USER_INPUT', 'activation of an active factor')
  t.equal(activate.body.errors?.[0]?.extensions.field, 'passCode', "the operation's main argument")
})

await t.test('an activation clears no wrong code: Okta goes on counting them, and the limit stays below its lockout', async (t) => {
  const emu = await withEmulator(t, { seed }) // Okta's lockout at 5, the gateway's limit at 4 (the defaults)
  const gw = await startGatewayApp(t, emu)
  const ada = await gw.signedIn('ada@example.com')
  const factorId = await totpFactorId(emu, ada)
  t.match((await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })).body.data?.verifyFactor, { result: 'SUCCESS' })
  for (let i = 1; i <= 3; i++) {
    emu.clock.advance(30_000)
    const wrong = await gql(ada, OPS.verify, { factorId, passCode: wrongCode(SECRET, emu.clock.now()) })
    t.same([codeOf(wrong), wrong.body.errors?.[0]?.extensions.attemptsRemaining], ['INVALID_PASSCODE', 4 - i], `wrong code ${i}`)
  }
  const sms = (await gql(ada, OPS.enroll, { input: { factorType: 'SMS', phoneNumber: '+15555550142' } })).body.data?.enrollFactor.factor.id as string
  const activated = await gql(ada, OPS.activate, { factorId: sms, passCode: emu.lastMessage({ factorId: sms })!.code })
  t.equal(activated.body.data?.activateFactor.status, 'ACTIVE', JSON.stringify(activated.body.errors))
  emu.clock.advance(30_000)
  const fourth = await gql(ada, OPS.verify, { factorId, passCode: wrongCode(SECRET, emu.clock.now()) })
  t.same([codeOf(fourth), fourth.body.errors?.[0]?.extensions.attemptsRemaining], ['INVALID_PASSCODE', 0], "the fourth wrong code is the limit's last, as before the activation")
  emu.clock.advance(30_000)
  expectCode(t, await gql(ada, OPS.verify, { factorId, passCode: wrongCode(SECRET, emu.clock.now()) }), 'LOCKED_OUT', 'a fifth is refused by the gateway, never sent to Okta')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${(await emuFetch(emu, 'GET', '/api/v1/users/ada%40example.com')).body.id as string}`)).body.status, 'ACTIVE', 'Okta did not lock the user out')
})

await t.test('refusals that never judge a code use no attempt: a factor not activated yet, another user\'s factor', async (t) => {
  const emu = await withEmulator(t, { seed })
  const store = new MemoryAttemptStore()
  const gw = await startGatewayApp(t, emu, { gateway: { attemptStore: store, maxAttempts: 3 } })
  const adaFactor = await totpFactorId(emu, await gw.signedIn('ada@example.com'))
  const bob = await gw.signedIn('bob@example.com')
  const enrolled = (await gql(bob, OPS.enroll, { input: { factorType: 'TOTP' } })).body.data.enrollFactor
  const pendingId = enrolled.factor.id as string
  const secret = enrolled.activation.sharedSecret as string
  for (let i = 0; i < 4; i++) {
    expectCode(t, await gql(bob, OPS.verify, { factorId: pendingId, passCode: '123456' }), 'ENROLLMENT_REQUIRED', `verify before activation (${i + 1})`)
  }
  for (let i = 0; i < 2; i++) {
    expectCode(t, await gql(bob, OPS.activate, { factorId: adaFactor, passCode: '123456' }), 'FACTOR_NOT_FOUND', `activating another user's factor (${i + 1})`)
  }
  t.notOk((await store.get(attemptKey('mfa', 'bob@example.com'), Date.now()))?.count, 'no attempt left counted')
  const activated = await gql(bob, OPS.activate, { factorId: pendingId, passCode: totp(secret, emu.clock.now()) })
  t.equal(activated.body.data?.activateFactor.status, 'ACTIVE', JSON.stringify(activated.body.errors))
  // Okta's validation refusals judge no code either: a double-submitted activation, an answer sent to a TOTP factor.
  for (let i = 0; i < 4; i++) {
    expectCode(t, await gql(bob, OPS.activate, { factorId: pendingId, passCode: totp(secret, emu.clock.now()) }), 'BAD_USER_INPUT', `activating a factor already active (${i + 1})`)
  }
  const byAnswer = 'mutation A($f: ID!, $a: String) { verifyFactor(factorId: $f, answer: $a) { result } }'
  for (let i = 0; i < 2; i++) {
    expectCode(t, await gql(bob, byAnswer, { f: pendingId, a: 'an answer' }), 'BAD_USER_INPUT', `an answer to a TOTP factor (${i + 1})`)
  }
  t.notOk((await store.get(attemptKey('mfa', 'bob@example.com'), Date.now()))?.count, 'still no attempt counted')
  // No secret at all for a factor that needs one: PASSCODE_MISSING, not Okta's refusal (and no challenge sent).
  const missing = await gql(bob, OPS.verify, { factorId: pendingId })
  expectCode(t, missing, 'PASSCODE_MISSING', 'no passcode for a TOTP factor')
  t.equal(missing.body.errors?.[0]?.extensions.field, 'passCode')
  // The wrong kind of secret for the user's own factor: the same BAD_USER_INPUT, naming the secret the factor takes,
  // whether or not a factor list is cached in the session (a code sent to a question's `ufs…` id is looked up in the
  // list: its kind takes answers); a blank answer is refused before it uses an attempt.
  const question = await gql(bob, OPS.enroll, { input: { factorType: 'QUESTION', question: 'disliked_food', answer: 'mayonnaise' } })
  const questionId = question.body.data?.enrollFactor.factor.id as string
  t.ok(questionId, JSON.stringify(question.body.errors))
  for (const cached of [false, true]) {
    if (cached) {
      // A verify without a secret looks the factor up, which caches the user's list in the session.
      const noAnswer = await gql(bob, 'mutation N($f: ID!) { verifyFactor(factorId: $f) { result } }', { f: questionId })
      expectCode(t, noAnswer, 'PASSCODE_MISSING', 'no answer for a question factor')
      t.same([noAnswer.body.errors?.[0]?.extensions.field, noAnswer.body.errors?.[0]?.message], ['answer', 'Enter the answer to your security question.'])
    }
    const toQuestion = await gql(bob, OPS.verify, { factorId: questionId, passCode: '123456' })
    expectCode(t, toQuestion, 'BAD_USER_INPUT', `a passcode to a question factor (cached: ${String(cached)})`)
    t.equal(toQuestion.body.errors?.[0]?.extensions.field, 'answer', 'names the answer')
    // A passCode that is no code at all (empty, blank, not 6 digits) is still a passCode to a question: the same
    // refusal, not "Enter the 6-digit code" (PASSCODE_MISSING / PASSCODE_MALFORMED naming a passCode it never takes).
    for (const notACode of ['', '   ', '12345', 'abcdef']) {
      const noCode = await gql(bob, OPS.verify, { factorId: questionId, passCode: notACode })
      expectCode(t, noCode, 'BAD_USER_INPUT', `${JSON.stringify(notACode)} as a passcode to a question factor (cached: ${String(cached)})`)
      t.same([noCode.body.errors?.[0]?.extensions.field, noCode.body.errors?.[0]?.message], ['answer', toQuestion.body.errors?.[0]?.message])
    }
    const toTotp = await gql(bob, byAnswer, { f: pendingId, a: 'an answer' })
    expectCode(t, toTotp, 'BAD_USER_INPUT', `an answer to a TOTP factor (cached: ${String(cached)})`)
    t.equal(toTotp.body.errors?.[0]?.extensions.field, 'passCode', 'names the passcode')
    const blank = await gql(bob, byAnswer, { f: questionId, a: '   ' })
    expectCode(t, blank, 'BAD_USER_INPUT', `a blank answer (cached: ${String(cached)})`)
    t.equal(blank.body.errors?.[0]?.extensions.field, 'answer')
    for (const empty of ['', '   ']) {
      const blankToTotp = await gql(bob, byAnswer, { f: pendingId, a: empty })
      expectCode(t, blankToTotp, 'BAD_USER_INPUT', `a blank answer to a TOTP factor (cached: ${String(cached)})`)
      t.equal(blankToTotp.body.errors?.[0]?.extensions.field, 'passCode', 'names the passcode the factor takes')
    }
  }
  t.notOk((await store.get(attemptKey('mfa', 'bob@example.com'), Date.now()))?.count, 'none of these used an attempt')
  // The factor id is required: an empty one is no factor, never "the user's only one".
  expectCode(t, await gql(bob, OPS.verify, { factorId: '', passCode: totp(secret, emu.clock.now() + 30_000) }), 'FACTOR_NOT_FOUND', 'an empty factor id with the right code')
  const wrong = await gql(bob, OPS.verify, { factorId: pendingId, passCode: wrongCode(secret, emu.clock.now() + 30_000) })
  expectCode(t, wrong, 'INVALID_PASSCODE', 'a wrong code still counts')
  t.equal(wrong.body.errors?.[0]?.extensions.attemptsRemaining, 2)
})

await t.test('a push factor is refused before Okta hears of it; a query never rewrites the session a verify beside it records', async (t) => {
  const emu = await withEmulator(t, { seed: [...seed, { login: 'pat@example.com', factors: [{ id: 'opfpat00000000000000', factorType: 'push' as const }] }, { login: 'pia@example.com' }] })
  const gw = await startGatewayApp(t, emu)
  const pat = await gw.signedIn('pat@example.com')
  const noSecret = 'mutation N($f: ID!) { verifyFactor(factorId: $f) { result } }'
  for (let i = 0; i < 2; i++) {
    const push = await gql(pat, noSecret, { f: 'opfpat00000000000000' })
    expectCode(t, push, 'BAD_USER_INPUT', `verify of a push factor (${i + 1}): it could never complete the step`)
    t.equal(push.body.errors?.[0]?.extensions.field, 'factorId')
    // (The first binds the session to its Okta user, once; the list it read is not cached.)
    if (i === 1) t.equal(push.headers['set-cookie'], undefined, 'the refusal writes no session: it cannot undo a step recorded beside it')
  }
  const sent = await (await fetch(`${emu.url}/api/v1/users/pat@example.com/factors/opfpat00000000000000/verify`, { method: 'POST', headers: { authorization: `SSWS ${emu.token}`, accept: 'application/json', 'content-type': 'application/json' }, body: '{}' })).json() as { factorResult: string }
  t.equal(sent.factorResult, 'WAITING', 'the factor is an active push one Okta would have sent')
  expectCode(t, await gql(pat, noSecret, { f: 'opfnobody00000000000' }), 'FACTOR_NOT_FOUND', 'a factor id the user does not have')
  // With a passCode or an answer, from a session with no factor list cached (a new sign-in, a client without a
  // cookie jar): a push id is looked up, never sent to Okta, whose verify would send the user a push.
  const withSecret = 'mutation S($f: ID!, $p: String, $a: String) { verifyFactor(factorId: $f, passCode: $p, answer: $a) { result } }'
  for (const secret of [{ p: '123456' }, { a: 'an answer' }]) {
    const fresh = await gw.signedIn('pat@example.com')
    const res = await gql(fresh, withSecret, { f: 'opfpat00000000000000', ...secret })
    expectCode(t, res, 'BAD_USER_INPUT', `a push factor with ${'p' in secret ? 'a passCode' : 'an answer'}: refused before Okta`)
    t.equal(res.body.errors?.[0]?.extensions.field, 'factorId')
    t.equal(res.body.errors?.[0]?.extensions.attemptsRemaining, undefined, 'no attempt used')
  }
  // A pending push (enrolled elsewhere, never scanned): Okta's activate would restart it without reading any code.
  const pia = await gw.signedIn('pia@example.com')
  const piaPush = (await emuFetch(emu, 'POST', '/api/v1/users/pia@example.com/factors', { factorType: 'push', provider: 'OKTA' })).body
  t.equal(piaPush.status, 'PENDING_ACTIVATION')
  const activated = await gql(pia, OPS.activate, { factorId: piaPush.id, passCode: '000000' })
  expectCode(t, activated, 'BAD_USER_INPUT', 'activating a pending push with a code')
  t.equal(activated.body.errors?.[0]?.extensions.field, 'factorId')
  t.equal((await gql(pia, OPS.viewer)).body.data.viewer.mfa.completed, false, 'no MFA step recorded')
  const catalog = (await gql(pia, 'query { factorCatalog { factorType oktaFactorType provider } }')).body.data.factorCatalog as Array<{ factorType: string, oktaFactorType: string, provider: string }>
  t.same([...new Set(catalog.map((e) => e.factorType))].sort(), ['CALL', 'EMAIL', 'QUESTION', 'SMS', 'TOTP'], 'the catalog offers what enrollFactor enrolls, no push')
  t.ok(catalog.some((e) => e.oktaFactorType === 'token:software:totp' && e.provider === 'GOOGLE'), 'Google Authenticator among them')
  // Made-up ids without a code: the session's list (cached by the refusal of the unknown id above, which writes the
  // session) answers them; Okta is asked again at most once every 5 s.
  const factorsLeft = async (): Promise<number> => Number((await fetch(`${emu.url}/api/v1/users/pat@example.com/factors`, { headers: { authorization: `SSWS ${emu.token}`, accept: 'application/json' } })).headers.get('x-rate-limit-remaining'))
  const before = await factorsLeft()
  for (let i = 0; i < 20; i++) expectCode(t, await gql(pat, noSecret, { f: `opfmadeup${String(i).padStart(11, '0')}` }), 'FACTOR_NOT_FOUND', `made-up id ${i + 1}`)
  t.equal(before - await factorsLeft(), 1, 'twenty made-up ids cost Okta no factor-list call (only the probe itself)')
  // Made-up factor ids with a code go to Okta (one call per verify) and use no attempt, up to a budget per window:
  // then they count, and a stream of them ends in LOCKED_OUT instead of using up the org's Okta rate limit.
  // (A new session: the one above has the factor list cached, where made-up ids are refused without asking Okta.)
  const fresh = await gw.signedIn('pat@example.com')
  const codes: string[] = []
  for (let i = 0; i < 40; i++) codes.push(codeOf(await gql(fresh, OPS.verify, { factorId: `ostmadeup${String(i).padStart(11, '0')}`, passCode: '123456' }))!)
  t.same([...new Set(codes)], ['FACTOR_NOT_FOUND', 'LOCKED_OUT'], 'refused, then locked out')
  t.ok(codes.indexOf('LOCKED_OUT') > 20 && codes.indexOf('LOCKED_OUT') < 40, `locked out after the refund budget (at ${codes.indexOf('LOCKED_OUT')})`)
  // Made-up ids of another kind (a push's, none of Okta's) are looked up in the user's list instead: the same budget,
  // then LOCKED_OUT, from a client that replays its sign-in cookie (no list cached) as from one that keeps it.
  for (const [login, keeps] of [['pia@example.com', false], ['bob@example.com', true]] as const) {
    const signedIn = await gw.signedIn(login)
    const replay = signedIn.cookies.get('session')
    const other: string[] = []
    for (let i = 0; i < 40; i++) {
      if (!keeps && replay !== undefined) signedIn.cookies.set('session', replay)
      other.push(codeOf(await gql(signedIn, OPS.verify, { factorId: `${i % 2 === 0 ? 'opf' : 'zzz'}madeup${String(i).padStart(11, '0')}`, passCode: '123456' }))!)
    }
    t.same([...new Set(other)], ['FACTOR_NOT_FOUND', 'LOCKED_OUT'], `ids of other kinds (${keeps ? 'cookie kept' : 'cookie replayed'}): refused, then locked out`)
  }

  const ada = await gw.signedIn('ada@example.com')
  const factorId = await totpFactorId(emu, ada)
  const verified = await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })
  t.equal(verified.body.data?.verifyFactor.result, 'SUCCESS', JSON.stringify(verified.body.errors))
  t.ok(verified.headers['set-cookie'], 'the verify writes the step into the session')
  for (const query of [OPS.factors, OPS.viewer, 'query { factorCatalog { factorType } }']) {
    const read = await gql(ada, query)
    t.notOk(read.body.errors, JSON.stringify(read.body.errors))
    t.equal(read.headers['set-cookie'], undefined, `${query.slice(0, 30)}: no Set-Cookie, so it cannot undo a step recorded beside it`)
  }
  // Nor a verify without the code (an empty submit in a second tab): PASSCODE_MISSING, read from Okta's list, not cached.
  for (let i = 0; i < 2; i++) {
    const missing = await gql(ada, noSecret, { f: factorId })
    expectCode(t, missing, 'PASSCODE_MISSING', `a verify without the code (${i + 1})`)
    t.equal(missing.headers['set-cookie'], undefined, `a verify without the code (${i + 1}): no Set-Cookie, so it cannot undo the step`)
  }
  t.match((await gql(ada, OPS.viewer)).body.data.viewer.mfa, { completed: true })
})

await t.test('an Okta user suspended or deactivated by an administrator: LOCKED_OUT (403), never a 500', async (t) => {
  const emu = await withEmulator(t, { seed })
  const gw = await startGatewayApp(t, emu)
  const ada = await gw.signedIn('ada@example.com')
  const factorId = await totpFactorId(emu, ada)
  const user = await (await fetch(`${emu.url}/api/v1/users/ada@example.com`, { headers: { authorization: `SSWS ${emu.token}`, accept: 'application/json' } })).json() as { id: string }
  // Nor can a suspended user finish the step by activating a factor enrolled before (found by sequences).
  const bob = await gw.signedIn('bob@example.com')
  const pending = (await gql(bob, OPS.enroll, { input: { factorType: 'TOTP' } })).body.data.enrollFactor
  const bobUser = await emuFetch(emu, 'GET', '/api/v1/users/bob@example.com')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${bobUser.body.id}/lifecycle/suspend`)).status, 200)
  const activating = await gql(bob, OPS.activate, { factorId: pending.factor.id, passCode: totp(pending.activation.sharedSecret, emu.clock.now()) })
  expectCode(t, activating, 'LOCKED_OUT', 'activating while suspended')
  t.equal((await gql(bob, OPS.viewer)).body.data.viewer.mfa.completed, false, 'no MFA step')
  for (const op of ['suspend', 'unsuspend', 'deactivate']) {
    const res = await fetch(`${emu.url}/api/v1/users/${user.id}/lifecycle/${op}`, { method: 'POST', headers: { authorization: `SSWS ${emu.token}`, accept: 'application/json' } })
    t.equal(res.status, 200, op)
    if (op === 'unsuspend') continue
    const refused = await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })
    expectCode(t, refused, 'LOCKED_OUT', `after ${op}`)
    t.equal(refused.status, 403)
    t.equal(refused.body.errors?.[0]?.extensions.retryAfterSeconds, undefined, 'no time to wait for: an administrator must act')
    t.equal(refused.body.errors?.[0]?.message, 'This account is locked. Ask an administrator to unlock it.', 'and the message says so, not "try again later"')
  }
})

await t.test('two gateway instances in one app (two prefixes) without an attemptStore count one user\'s codes together', async (t) => {
  const emu = await withEmulator(t, { seed, lockoutThreshold: 5 })
  const { default: Fastify } = await import('fastify')
  const { default: secureSession } = await import('@fastify/secure-session')
  const { oktaMfaGateway } = await import('@okta-mfa/gateway')
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(secureSession, { key: randomBytes(32), cookie: { path: '/' } })
  const options = { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now, resolveUser: (request: { session: { get: (k: string) => unknown } }) => request.session.get('user') ?? null }
  for (const prefix of ['/v1', '/v2']) await app.register(async (scope) => { await scope.register(oktaMfaGateway, options as never) }, { prefix })
  app.post('/login', async (request) => { (request as unknown as { session: { set: (k: string, v: unknown) => void } }).session.set('user', { id: 'ada@example.com', login: 'ada@example.com' }); return { ok: true } })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  const jar = new CookieJar(url)
  await jar.fetch('/login', { json: {} })
  const ask = async (prefix: string, query: string, variables: Record<string, unknown>): Promise<GqlResponse> => {
    const res = await jar.fetch(`${prefix}/graphql`, { json: { query, variables } })
    return { status: res.status, headers: res.headers, body: res.json() }
  }
  const factorId = ((await ask('/v1', OPS.factors, {})).body.data as { factors: Array<{ id: string }> }).factors[0]!.id
  const wrong = wrongCode(SECRET, emu.clock.now())
  for (let i = 0; i < 4; i++) t.equal(codeOf(await ask('/v1', OPS.verify, { factorId, passCode: wrong })), 'INVALID_PASSCODE', `/v1 wrong code ${i + 1}`)
  const other = await ask('/v2', OPS.verify, { factorId, passCode: wrong })
  t.equal(codeOf(other), 'LOCKED_OUT', 'the other instance counts them too: refused before Okta')
  t.ok((other.body.errors?.[0]?.extensions as { retryAfterSeconds?: number }).retryAfterSeconds! > 0, 'with when to try again (ours, not Okta\'s lockout)')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/ada@example.com')).body.status, 'ACTIVE', 'Okta never saw a 5th wrong code: the user is not locked there')
})

await t.test("Okta's factor types are data: one named like Object's members, or a provider that is not text, lists as OTHER, never a 500", async (t) => {
  // An org that answers the user, a factor list and a catalog with such entries beside an ordinary one.
  const odd = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']
  const url = await listenLoopback(t, createHttpServer((req, res) => {
    const path = String(req.url).split('?')[0]!
    const body = path === '/api/v1/users/ada%40example.com'
      ? { id: '00uodd00000000000001', status: 'ACTIVE', profile: { login: 'ada@example.com' } }
      : path.endsWith('/factors/catalog')
        ? [{ factorType: 'token:software:totp', provider: 'GOOGLE' }, ...odd.map((factorType) => ({ factorType, provider: 'OKTA' }))]
        : [{ id: 'ostodd00000000000001', factorType: 'token:software:totp', provider: { toString: 1 }, status: 'ACTIVE' },
            ...odd.map((factorType, i) => ({ id: `ufsodd0000000000000${i}`, factorType, provider: 'OKTA', status: 'ACTIVE' }))]
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }))
  const gw = await startGatewayApp(t, { url, token: 'x'.repeat(40), clock: { now: Date.now, advance: Date.now, set: Date.now }, authHeader: { authorization: '' } } as unknown as TestEmulator)
  const ada = await gw.signedIn('ada@example.com')
  const factors = await gql(ada, OPS.factors)
  t.equal(factors.status, 200, 'the list answers')
  t.same(factors.body.data.factors.map((f: { factorType: string, oktaFactorType: string, provider: string }) => [f.factorType, f.oktaFactorType, f.provider]),
    [['TOTP', 'token:software:totp', ''], ...odd.map((type) => ['OTHER', type, 'OKTA'])])
  const catalog = await gql(ada, OPS.catalog)
  t.equal(catalog.status, 200)
  t.same(catalog.body.data.factorCatalog.map((f: { oktaFactorType: string }) => f.oktaFactorType), ['token:software:totp'], 'only what enrollFactor enrolls')
})

// A client decides whether to retry from the README's table: its status and "retryable?" columns are what GATEWAY_ERRORS
// sends, row for row, and it lists every code the gateway has (nor one it does not).
await t.test("the README's error table is GATEWAY_ERRORS: every code with its HTTP status and whether it is retryable, both ways", async (t) => {
  const readme = readFileSync(new URL('../../packages/gateway/README.md', import.meta.url), 'utf8')
  const header = '| `extensions.code` | meaning | HTTP | retryable? |'
  t.ok(readme.includes(header), 'the README has the error table')
  const rows = readme.slice(readme.indexOf(header)).split('\n').slice(2)
  const table = new Map<string, { status: number, retryable: boolean }>()
  for (const row of rows) {
    if (!row.startsWith('|')) break
    const cells = row.split('|').slice(1, -1).map((c) => c.trim())
    const code = /^`([A-Z_]+)`$/.exec(cells[0] ?? '')?.[1]
    const retry = cells.at(-1) ?? ''
    t.ok(code !== undefined && /^\d{3}$/.test(cells.at(-2) ?? '') && /^(yes|no)\b/.test(retry), `a well-formed row: ${row}`)
    t.notOk(table.has(code!), `${code} is listed once`)
    table.set(code!, { status: Number(cells.at(-2)), retryable: retry.startsWith('yes') })
  }
  t.same([...table.keys()].sort(), Object.keys(GATEWAY_ERRORS).sort(), 'the same codes in the README and in GATEWAY_ERRORS')
  for (const [code, spec] of Object.entries(GATEWAY_ERRORS)) {
    t.same(table.get(code), { status: spec.status, retryable: spec.retryable }, `${code}: the README's status and retryable`)
  }
})

// Guards the happy paths end to end: the client against the real emulator over loopback, each checked
// against Okta's contract (users, pagination, TOTP with codes from our own RFC 6238 helper, sms challenge,
// push, unenroll, reset, lifecycle) and Okta's errors arriving as the right classes.
import t from 'tap'
import { createOktaClient, pollTransactionId, totpActivation } from '@okta-mfa/client'
import type { OktaClient, OktaUser, PushActivationData, UserFactor } from '@okta-mfa/client'
import { withEmulator } from '../helpers/emulator.js'
import type { TestEmulator } from '../helpers/emulator.js'
import { totp } from '../helpers/totp.js'

async function setup (t: Parameters<typeof withEmulator>[0]): Promise<{ emu: TestEmulator, client: OktaClient }> {
  const emu = await withEmulator(t)
  const client = createOktaClient({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, userAgent: 'client-tests' })
  t.teardown(() => client.close())
  return { emu, client }
}

function profile (login: string): { login: string, email: string, firstName: string, lastName: string } {
  return { login, email: login, firstName: 'Dade', lastName: 'Murphy' }
}

void t.test('users: create, get by id and by login with @ and +, list 5 users 2 per page', async (t) => {
  const { emu, client } = await setup(t)
  const login = 'dade.murphy+mfa@example.com'
  const staged = await client.createUser({ profile: profile(login) }, { activate: false })
  t.equal(staged.status, 'STAGED', 'no credentials, activate=false: STAGED')
  t.match(staged.id, /^00u/)
  t.type(staged.oktaRequestId, 'string', 'the request id of the emulator response')
  t.match({ type: staged.type?.id, realmId: staged.realmId }, { type: /^oty/, realmId: /^guo/ }, "the user's type and realm, typed")
  const provisioned = await client.createUser({ profile: profile('kate.libby@example.com') }, { activate: true })
  t.equal(provisioned.status, 'PROVISIONED', 'no credentials, activate=true: PROVISIONED')

  t.equal((await client.getUser(staged.id)).profile.login, login)
  const byLogin = await client.getUser(login)
  t.equal(byLogin.id, staged.id, 'found by login (percent-encoded @ and +)')

  for (const name of ['a', 'b', 'c']) await client.createUser({ profile: profile(`${name}@example.com`) }, { activate: false })
  const listed: OktaUser[] = []
  for await (const user of client.listUsers({ limit: 2 })) listed.push(user)
  t.equal(listed.length, 5, 'every user, across three pages')
  t.equal(new Set(listed.map((u) => u.id)).size, 5, 'no user twice')
  t.ok(listed.some((u) => u.id === staged.id))

  // sendEmail: false: Okta emails nothing and answers the activation link, which the app then sends itself.
  const activation = await client.activateUser(staged.id, { sendEmail: false })
  t.match(activation, { activationUrl: `${emu.url}/tokens/${activation.activationToken}/verify`, activationToken: /^[A-Za-z0-9]{20}$/ })
  t.equal((await client.getUser(staged.id)).status, 'PROVISIONED', 'activated (no password yet)')
  const mailed = await client.createUser({ profile: profile('mailed@example.com') }, { activate: false })
  t.equal(await client.activateUser(mailed.id), undefined, 'Okta emails the link: nothing to answer')
  t.equal((await client.getUser(mailed.id)).status, 'PROVISIONED')
  await t.rejects(client.getUser('nobody@example.com'), { code: 'OKTA_NOT_FOUND', status: 404, errorCode: 'E0000007' })
})

void t.test('TOTP: enroll GOOGLE, activate, verify, wrong code, replayed code', async (t) => {
  const { emu, client } = await setup(t)
  const user = await client.createUser({ profile: profile('totp@example.com') }, { activate: true })
  const catalog = await client.listFactorCatalog(user.id)
  t.ok(catalog.some((f) => f.factorType === 'token:software:totp' && f.provider === 'GOOGLE'), 'the catalog offers Google TOTP')

  const factor = await client.enrollFactor(user.id, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  t.equal(factor.status, 'PENDING_ACTIVATION')
  t.equal(factor.factorType, 'token:software:totp')
  const activation = totpActivation(factor)
  if (activation === undefined) throw new Error('no activation data')
  t.match(activation, { timeStep: 30, encoding: 'base32', sharedSecret: /^[A-Z2-7]{16,}$/ })
  t.type(activation.qrCodeHref, 'string')
  t.equal(activation.sharedSecret, emu.factorSecret(factor.id))

  const active = await client.activateFactor(user.id, factor.id, { passCode: totp(activation.sharedSecret, emu.clock.now()) })
  t.equal(active.status, 'ACTIVE')
  t.equal(totpActivation(active), undefined, 'no secret once active')

  emu.clock.advance(60_000) // a fresh step: the activation code is spent
  const code = totp(activation.sharedSecret, emu.clock.now())
  const ok = await client.verifyFactor(user.id, factor.id, { passCode: code }, {}, {
    context: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0', acceptLanguage: 'en-US' },
    requestId: 'flow-1',
  })
  t.equal(ok.factorResult, 'SUCCESS')

  // A code from an hour away is outside the window.
  let wrong = totp(activation.sharedSecret, emu.clock.now() + 3_600_000)
  if (wrong === code) wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0')
  await t.rejects(client.verifyFactor(user.id, factor.id, { passCode: wrong }), { code: 'OKTA_INVALID_PASSCODE', status: 403, errorCode: 'E0000068' })
  await t.rejects(client.verifyFactor(user.id, factor.id, { passCode: code }), { code: 'OKTA_PASSCODE_REPLAYED', status: 403, errorCode: 'E0000082' })

  const listed = await client.listFactors(user.id)
  t.same(listed.map((f) => [f.id, f.status]), [[factor.id, 'ACTIVE']])
  t.type(listed.oktaRequestId, 'string', 'a list carries its request id, typed as OktaList')
  t.equal((await client.getFactor(user.id, factor.id)).id, factor.id)
})

void t.test('sms: enroll, activate and verify with codes from the outbox; the challenge has no body', async (t) => {
  const { emu, client } = await setup(t)
  const user = await client.createUser({ profile: profile('sms@example.com') }, { activate: true })
  const sms = await client.enrollFactor(user.id, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+1-555-415-1337' } })
  t.equal(sms.status, 'PENDING_ACTIVATION')
  const enrollCode = emu.lastMessage({ factorId: sms.id })?.code
  if (enrollCode === undefined) throw new Error('no enrollment code sent')
  t.equal((await client.activateFactor(user.id, sms.id, { passCode: enrollCode })).status, 'ACTIVE')

  // Out of any resend window of the enrollment code (whether it counts or not), a challenge sends one sms.
  emu.clock.advance(31_000)
  const before = emu.messages({ factorId: sms.id }).length
  const challenge = await client.verifyFactor(user.id, sms.id)
  t.equal(challenge.factorResult, 'CHALLENGE')
  const messages = emu.messages({ factorId: sms.id })
  t.equal(messages.length, before + 1, 'the challenge sent one sms')
  const sent = messages.at(-1)
  // Okta sends one sms per 30 s: asking again at once is refused at once (never waited for).
  await t.rejects(client.verifyFactor(user.id, sms.id), { code: 'OKTA_RATE_LIMITED', errorCode: 'E0000109' })
  t.equal(emu.messages({ factorId: sms.id }).length, before + 1, 'no second sms')
  t.equal(sent?.channel, 'sms')
  // A misspelt passCode is refused here: sent, Okta would take it for a new challenge and text another code.
  await t.rejects(client.verifyFactor(user.id, sms.id, { passcode: sent?.code ?? '' } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"passcode" is not a key/ })
  t.equal(emu.messages({ factorId: sms.id }).length, before + 1, 'no other sms')
  const ok = await client.verifyFactor(user.id, sms.id, { passCode: sent?.code ?? '' })
  t.equal(ok.factorResult, 'SUCCESS')

  // Unenrolled with the phone removed as a recovery method too: 204, and the factor is gone.
  await client.deleteFactor(user.id, sms.id, { removeRecoveryEnrollment: true })
  t.same((await client.listFactors(user.id)).map((f) => f.id), [])
  await t.rejects(client.getFactor(user.id, sms.id), { code: 'OKTA_NOT_FOUND' })
})

void t.test('push: verify waits, the poll follows the transaction to SUCCESS', async (t) => {
  const { emu, client } = await setup(t)
  const user = await client.createUser({ profile: profile('push@example.com') }, { activate: true })
  const push = await client.enrollFactor(user.id, { factorType: 'push', provider: 'OKTA' })
  emu.activatePush(push.id)
  const waiting = await client.verifyFactor(user.id, push.id)
  t.equal(waiting.factorResult, 'WAITING')
  const tx = pollTransactionId(waiting)
  if (tx === undefined) throw new Error('no poll link')
  t.equal((await client.getFactorTransaction(user.id, push.id, tx)).factorResult, 'WAITING')
  emu.approvePush(tx)
  t.equal((await client.getFactorTransaction(user.id, push.id, tx)).factorResult, 'SUCCESS')
})

void t.test('push: an expired activation restarts with no body; a number matching push carries the number to pick', async (t) => {
  const { emu, client } = await setup(t)
  const user = await client.createUser({ profile: profile('push-nmc@example.com') }, { activate: true })
  const push = await client.enrollFactor(user.id, { factorType: 'push', provider: 'OKTA' })
  // Typed as PushActivationData: no cast needed to reach its QR code and expiry.
  const activation = (f: UserFactor): PushActivationData => {
    if (f.factorType !== 'push' || f._embedded?.activation === undefined) throw new Error('expected a pending push factor')
    return f._embedded.activation
  }
  const first = activation(push)
  emu.clock.advance(11 * 60_000)
  t.equal(activation(await client.getFactor(user.id, push.id)).factorResult, 'TIMEOUT', 'the QR code has expired')
  const again = await client.activateFactor(user.id, push.id)
  if (again.factorType === undefined) throw new Error('expected the factor (the emulator answers it, as the OpenAPI example does)')
  t.equal(again.status, 'PENDING_ACTIVATION')
  t.equal(activation(again).factorResult, 'WAITING')
  t.ok(Date.parse(activation(again).expiresAt ?? '') > Date.parse(first.expiresAt ?? ''), 'a new expiresAt')
  t.not(activation(again)._links?.qrcode?.href, first._links?.qrcode?.href, 'a new QR code')
  const polled = await client.pollFactorActivation(user.id, push.id)
  t.equal(polled.factorType === undefined ? polled.factorResult : polled.status, 'PENDING_ACTIVATION', 'the poll: not scanned yet')
  emu.activatePush(push.id)
  const scanned = await client.pollFactorActivation(user.id, push.id)
  t.same(scanned.factorType === undefined ? [scanned.factorResult] : [scanned.id, scanned.status], [push.id, 'ACTIVE'], 'the poll once scanned: the factor, ACTIVE')
  const waiting = await client.verifyFactor(user.id, push.id, { useNumberMatchingChallenge: true })
  if (waiting.factorResult !== 'WAITING') throw new Error(`expected WAITING, got ${waiting.factorResult}`)
  const n = waiting._embedded?.challenge?.correctAnswer
  t.ok(typeof n === 'number' && n >= 10 && n <= 99, 'a two-digit number to pick')
  const plain = await client.verifyFactor(user.id, push.id)
  t.equal((plain as { _embedded?: { challenge?: unknown } })._embedded?.challenge, undefined, 'a standard push has no number')
})

void t.test('question, lockout and unlock, unenroll, reset factors, deactivate and delete the user', async (t) => {
  const { client } = await setup(t)
  const user = await client.createUser({ profile: profile('bye@example.com') }, { activate: true })
  const questions = await client.listSecurityQuestions(user.id)
  t.ok(questions.length > 0)
  const question = questions[0]?.question ?? 'disliked_food'
  const q = await client.enrollFactor(user.id, { factorType: 'question', provider: 'OKTA', profile: { question, answer: 'mayonnaise' } })
  t.equal((await client.verifyFactor(user.id, q.id, { answer: 'mayonnaise' })).factorResult, 'SUCCESS')
  await t.rejects(client.verifyFactor(user.id, q.id, { answer: 'ketchup' }), { code: 'OKTA_INVALID_PASSCODE' })
  // Wrong answers in a row lock the user; an admin unlock lets them verify again.
  let locked: unknown
  for (let i = 0; i < 6 && locked === undefined; i++) {
    const err = await client.verifyFactor(user.id, q.id, { answer: 'ketchup' }).catch((e: unknown) => e)
    if ((err as { code?: string }).code === 'OKTA_USER_LOCKED') locked = err
    else t.match(err, { code: 'OKTA_INVALID_PASSCODE' })
  }
  t.match(locked, { code: 'OKTA_USER_LOCKED', status: 403, errorCode: 'E0000069' })
  await client.unlockUser(user.id)
  t.equal((await client.verifyFactor(user.id, q.id, { answer: 'mayonnaise' })).factorResult, 'SUCCESS', 'unlocked')

  const totpFactor = await client.enrollFactor(user.id, { factorType: 'token:software:totp', provider: 'OKTA' })
  await t.rejects(client.enrollFactor(user.id, { factorType: 'token:software:totp', provider: 'OKTA' }),
    { code: 'OKTA_VALIDATION', errorCode: 'E0000001' }, 'a second factor of the same type')
  t.equal((await client.listFactors(user.id)).length, 2)

  await client.deleteFactor(user.id, totpFactor.id)
  await t.rejects(client.getFactor(user.id, totpFactor.id), { code: 'OKTA_NOT_FOUND' })
  t.equal((await client.listFactors(user.id)).length, 1)
  await client.resetFactors(user.id)
  t.same(await client.listFactors(user.id), [])

  await client.deactivateUser(user.id)
  t.equal((await client.getUser(user.id)).status, 'DEPROVISIONED')
  await client.deleteUser(user.id)
  await t.rejects(client.getUser(user.id), { code: 'OKTA_NOT_FOUND' })
})

void t.test('a wrong token is an AuthenticationError, and the token stays out of it', async (t) => {
  const { emu } = await setup(t)
  const bad = createOktaClient({ orgUrl: emu.url, token: 'not-the-token', allowInsecureHttp: true })
  t.teardown(() => bad.close())
  const err = await bad.getUser('anyone@example.com').catch((e: unknown) => e)
  t.match(err, { code: 'OKTA_AUTHENTICATION', status: 401, errorCode: 'E0000011' })
  t.notMatch(JSON.stringify(err) + String((err as Error).stack), 'not-the-token')
})

void t.test('an id of "." or ".." is refused before any call; a login of that name is a user Okta does not have', async (t) => {
  const { client } = await setup(t)
  const user = await client.createUser({ profile: profile('dot.segments@example.com') }, { activate: true })
  const factor = await client.enrollFactor(user.id, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  // Resolved as dot-segments, these would be DELETE /users/{id} (deactivating the user), GET /users/{id} read as a
  // factor, and /api/v1/factors.
  await t.rejects(client.deleteFactor(user.id, '..'), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: '"factorId" must not be "." or ".."' })
  await t.rejects(client.getFactor(user.id, '.'), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"factorId"/ })
  await t.rejects(client.listFactors('..'), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"userId"/ })
  await t.rejects(client.deactivateUser('.'), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"userId"/ })
  // GET /users/{idOrLogin} takes logins, the app's data: escaped, they name no user (not the user list).
  await t.rejects(client.getUser('.'), { code: 'OKTA_NOT_FOUND', errorCode: 'E0000007' })
  await t.rejects(client.getUser('..'), { code: 'OKTA_NOT_FOUND', errorCode: 'E0000007' })
  t.equal((await client.getUser(user.id)).status, 'PROVISIONED', 'the user is untouched')
  t.same((await client.listFactors(user.id)).map((f) => f.id), [factor.id], 'and so is the factor')
})

void t.test('many GETs waiting out a 429 at once: no leak warning, each retried; close() ends such waits at once', async (t) => {
  const emu = await withEmulator(t, { rateLimits: { windowMs: 1000, limits: { user: 11 } } })
  const client = createOktaClient({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true })
  t.teardown(() => client.close())
  const warnings: Error[] = []
  const onWarning = (w: Error): void => { warnings.push(w) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  const user = await client.createUser({ profile: profile('rate.limited@example.com') }, { activate: false })
  // 22 at once against 11 a window: 11 meet the 429 and wait (1 s) together; the window turns while they wait.
  const first = Promise.all(Array.from({ length: 22 }, async () => await client.getUser(user.id)))
  await new Promise((resolve) => setTimeout(resolve, 200))
  emu.clock.advance(1000)
  t.equal((await first).length, 22, 'every call served, the limited ones after the wait')

  // The window is full again (the 11 retries): all 22 wait, and close() ends every wait.
  const again = Array.from({ length: 22 }, async () => await client.getUser(user.id).then(() => 'ok', (e: { code?: string }) => e.code))
  await new Promise((resolve) => setTimeout(resolve, 200))
  await client.close()
  t.same(new Set(await Promise.all(again)), new Set(['OKTA_CLIENT_CLOSED']), 'the calls waiting out the 429 end at once on close()')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings.map((w) => w.name), [], 'no MaxListenersExceededWarning')
})

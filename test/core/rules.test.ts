// The rest of the shared rules of @okta-mfa/core, tested once: the outcome table both front doors answer with,
// the mapping of client and store errors to it, the attempt limiter and the capped memory store (a flood of fresh
// keys cannot reset a victim's counter, memory stays bounded), the MFA state and the Okta binding bound to the user,
// the end-user context and the masks used before the MFA step.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import {
  AttemptLimiter, DEFAULT_MAX_ATTEMPTS, MFA_OUTCOMES, MemoryAttemptStore, MfaError, OKTA_LOCKOUT_THRESHOLD, StoreUnavailableError,
  attemptKey, bindOktaUser, cacheFactors, cachedFactors, dropCachedFactors, endUserContext, getMfaState, getOktaUserBinding,
  isStoreUnavailableError, maskEmail, maskPhoneNumber, readAnswer, readPasscode, outcomeMessage, outcomeOfError, recordMfa, userKeyOf,
  DEFAULT_REVOCATION_TTL_MS, MemoryRevocationStore, SESSION_IDENTITY_KEY, getSessionIdentity, ensureSession, isSessionRevoked, revokeSession,
  revokeUserSessions, settleRefusal, refundAccessRefusal, startSession, OKTA_USER_SESSION_KEY, NoSessionError, InvalidOptionError, MAX_TIMER_MS, MAX_WINDOW_MS, RequestDeadline, type MfaOutcomeCode, type RevocationStore,
} from '@okta-mfa/core'
import {
  ConnectionError, InvalidPasscodeError, InvalidResponseError, NotFoundError, OktaApiError, RateLimitedError, TimeoutError, ValidationError, AbortedError,
  type OktaApiErrorDetails,
} from '@okta-mfa/client'

await t.test('one outcome table: the codes the front doors used to disagree on', async (t) => {
  t.same(MFA_OUTCOMES.UNAUTHENTICATED, { status: 401, retryable: false, message: 'Sign in first.' })
  t.notOk('NOT_AUTHENTICATED' in MFA_OUTCOMES, 'one name for "not signed in"')
  t.equal(MFA_OUTCOMES.MFA_REQUIRED.retryable, false, 'MFA_REQUIRED: trying again without an MFA step does not help')
  t.equal(MFA_OUTCOMES.FACTOR_NOT_FOUND.status, 404)
  t.same(MFA_OUTCOMES.STORE_UNAVAILABLE, { status: 503, retryable: true, message: MFA_OUTCOMES.STORE_UNAVAILABLE.message })
  for (const [code, spec] of Object.entries(MFA_OUTCOMES)) {
    t.ok(spec.status >= 400 && spec.status < 600 && spec.message.length > 0, `${code} has a status and a message`)
    const err = new MfaError(code as keyof typeof MFA_OUTCOMES)
    t.equal(err.status, spec.status)
    t.equal(err.statusCode, spec.status, 'statusCode for Fastify error handlers')
    t.equal(err.retryable, spec.retryable)
  }
  t.equal(outcomeMessage('LOCKED_OUT', 600), 'Too many attempts. Try again in 10 minutes.')
  t.equal(outcomeMessage('LOCKED_OUT'), 'This account is locked. Ask an administrator to unlock it.', "without a wait (Okta's lockout, a suspended user): an administrator")
  t.equal(new MfaError('LOCKED_OUT').message, outcomeMessage('LOCKED_OUT'))
  t.equal(outcomeMessage('RATE_LIMITED', 42), 'Too many requests. Try again in 42 seconds.')
  // The last attempt of a window says what was wrong and that sign-in waits, not when "the next one" comes.
  t.equal(outcomeMessage('INVALID_PASSCODE', 900), "That code didn't match. Too many attempts: try again in 15 minutes.")
  t.equal(outcomeMessage('PASSCODE_REPLAYED', 900), 'That code was already used. Too many attempts: try again in 15 minutes.')
  t.equal(outcomeMessage('INVALID_PASSCODE', 60), "That code didn't match. Too many attempts: try again in 60 seconds.")
  t.equal(outcomeMessage('LOCKED_OUT', 1), 'Too many attempts. Try again in 1 second.', 'one second, not "1 seconds"')
  t.equal(outcomeMessage('RATE_LIMITED', 0.2), 'Too many requests. Try again in 1 second.')
  t.equal(outcomeMessage('RATE_LIMITED', 1.2), 'Too many requests. Try again in 2 seconds.')
  t.equal(outcomeMessage('LOCKED_OUT', 89), 'Too many attempts. Try again in 89 seconds.', 'seconds under 90 s')
  t.equal(outcomeMessage('LOCKED_OUT', 90), 'Too many attempts. Try again in 2 minutes.', 'minutes from 90 s')
  t.equal(outcomeMessage('LOCKED_OUT', 0), outcomeMessage('LOCKED_OUT'), 'a wait of 0 is no wait: not "in 0 seconds"')
  t.equal(outcomeMessage('RATE_LIMITED', 0), MFA_OUTCOMES.RATE_LIMITED.message)
  t.equal(outcomeMessage('PASSCODE_REPLAYED'), 'That code was already used. Wait for the next one.', 'without a wait: the table\'s text')
})

await t.test("the README's outcome table is MFA_OUTCOMES: every row's status and retryable, every code in both", async (t) => {
  // The README is what front doors and apps are written against: a retryable flag flipped in the code (a malformed
  // code then read as "do not try again") must not drift from the table unseen, nor a code be added to one only.
  const readme = await readFile(fileURLToPath(new URL('../../packages/mfa-core/README.md', import.meta.url)), 'utf8')
  const table = readme.split('\n\n').find((block) => block.startsWith('| code | status | retryable | meaning |'))
  t.ok(table, 'the README has the outcome table')
  const rows = [...(table ?? '').matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| (yes|no) \|/gm)].map((m) => ({ code: m[1]!, status: Number(m[2]), retryable: m[3] === 'yes' }))
  t.equal(rows.length, (table ?? '').split('\n').length - 2, 'every row of the table was read')
  const documented = new Set(rows.map((r) => r.code))
  t.equal(documented.size, rows.length, 'each code has one row')
  for (const row of rows) {
    t.ok(row.code in MFA_OUTCOMES, `${row.code}: in MFA_OUTCOMES`)
    const spec = MFA_OUTCOMES[row.code as MfaOutcomeCode] as { status: number, retryable: boolean } | undefined
    t.same(spec === undefined ? undefined : { status: spec.status, retryable: spec.retryable }, { status: row.status, retryable: row.retryable }, `${row.code}: the README's status and retryable`)
  }
  for (const code of Object.keys(MFA_OUTCOMES)) t.ok(documented.has(code), `${code}: a row of the README's table`)
})

await t.test('client and store errors map to the table; Okta texts stay out of messages', async (t) => {
  const details = (status: number, errorCode: string, errorSummary: string): OktaApiErrorDetails =>
    ({ status, errorCode, errorSummary, errorLink: errorCode, errorId: 'oae1', errorCauses: [] })
  const cases: Array<[unknown, string | undefined]> = [
    [new InvalidPasscodeError(details(403, 'E0000068', 'Invalid Passcode/Answer')), 'INVALID_PASSCODE'],
    [new NotFoundError(details(404, 'E0000007', 'Not found: Resource not found: ada@example.com (User)')), 'FACTOR_NOT_FOUND'],
    [new TimeoutError(5000), 'UPSTREAM_TIMEOUT'],
    [new AbortedError(), 'UPSTREAM_TIMEOUT'],
    [new ConnectionError('connect ECONNREFUSED'), 'UPSTREAM_UNAVAILABLE'],
    // An answer that is not Okta's (a proxy's HTML page, cut JSON): Okta is unavailable, not slow.
    [new InvalidResponseError('Okta answered with something that is not JSON', { status: 200 }), 'UPSTREAM_UNAVAILABLE'],
    [new OktaApiError(details(500, 'E0000009', 'Internal Server Error')), 'UPSTREAM_UNAVAILABLE'],
    [new OktaApiError(details(401, 'E0000011', 'Invalid token provided')), undefined],
    [new ValidationError({ ...details(400, 'E0000001', 'Api validation failed'), errorCauses: [{ errorSummary: 'A factor of this type is already set up.' }] }), 'ALREADY_ENROLLED'],
    [new ValidationError({ ...details(400, 'E0000001', 'Api validation failed: factorEnrollRequest'), errorCauses: [{ errorSummary: 'There is an existing verified phone number.' }] }), 'ALREADY_ENROLLED'],
    [new ValidationError({ ...details(400, 'E0000001', 'Api validation failed: factorVerifyRequest'), errorCauses: [{ errorSummary: 'Factor status is PENDING_ACTIVATION; this operation needs a factor in ACTIVE.' }] }), 'ENROLLMENT_REQUIRED'],
    [new ValidationError({ ...details(400, 'E0000001', 'Api validation failed'), errorCauses: [{ errorSummary: 'Something else.' }] }), 'BAD_USER_INPUT'],
    [new OktaApiError(details(403, 'E0000038', "This operation is not allowed in the user's current status.")), 'LOCKED_OUT'],
    [new OktaApiError(details(403, 'E0000119', 'Your account is locked. Please contact your administrator.')), 'LOCKED_OUT'],
    [new OktaApiError(details(423, 'E0000155', 'User is not currently active.')), 'LOCKED_OUT'],
    [new OktaApiError(details(403, 'E0000083', 'PassCode is valid but exceeded time window.')), 'INVALID_PASSCODE'],
    [new OktaApiError(details(410, 'E0000154', 'Invalid factor id, it is not currently active.')), 'ENROLLMENT_REQUIRED'],
    [new OktaApiError(details(423, 'E0000180', 'Factor id is currently not active.')), 'ENROLLMENT_REQUIRED'],
    // Okta's codes are matched with the status its table gives them: the same code with another status is not Okta's.
    [new OktaApiError(details(400, 'E0000119', 'Your account is locked.')), undefined],
    [new OktaApiError(details(403, 'E0000015', 'You do not have permission to access the feature you are requesting')), undefined],
    [new StoreUnavailableError(), 'STORE_UNAVAILABLE'],
    [new Error('a bug'), undefined],
    ['a string', undefined],
  ]
  for (const [err, expected] of cases) {
    const outcome = outcomeOfError(err)
    t.equal(outcome?.code, expected, `${(err as { code?: string }).code ?? String(err)} → ${String(expected)}`)
    if (outcome !== undefined) t.notMatch(outcome.message, /ada@example|E00000|ECONNREFUSED|Resource/)
    // Okta's 404 on a factor operation names the input at fault, as the id refused before Okta does; nothing else does.
    t.equal(outcome?.details.field, expected === 'FACTOR_NOT_FOUND' ? 'factorId' : undefined, `${String(expected)}: field`)
  }
  const limited = new RateLimitedError({ ...details(429, 'E0000047', 'rate limit'), resetAt: undefined, retryAfterSeconds: 41.2 } as ConstructorParameters<typeof RateLimitedError>[0])
  t.match(outcomeOfError(limited), { code: 'RATE_LIMITED', details: { retryAfterSeconds: 42 } })
  // An MfaError of another installed copy of @okta-mfa/core (an app's own, beside the strategy's): the same refusal.
  class MfaError2 extends Error { override name = 'MfaError'; code = 'LOCKED_OUT'; details = { retryAfterSeconds: 60 } }
  const foreign = new MfaError2('Too many attempts. Try again in 60 seconds.')
  const adopted = outcomeOfError(foreign)
  t.ok(adopted instanceof MfaError, "another copy's MfaError is this copy's outcome")
  t.match(adopted, { code: 'LOCKED_OUT', status: 403, details: { retryAfterSeconds: 60 }, message: 'Too many attempts. Try again in 60 seconds.', cause: foreign })
  t.equal(outcomeOfError(Object.assign(new Error('x'), { name: 'MfaError', code: 'NOT_A_CODE' })), undefined, 'not with a code of no outcome')
  // A reset hours ahead (a skewed clock, a proxy) is not believed: the default wait, not "try again in 3 years".
  const farOff = (retryAfterSeconds: number): unknown => outcomeOfError(new RateLimitedError({ ...details(429, 'E0000047', 'rate limit'), resetAt: undefined, retryAfterSeconds } as ConstructorParameters<typeof RateLimitedError>[0]))
  t.match(farOff(3600), { details: { retryAfterSeconds: 3600 } }, 'an hour is believed')
  t.match(farOff(98203922578), { details: { retryAfterSeconds: 60 } }, 'a reset years ahead: the default 60 s')
  t.equal((farOff(98203922578) as Error).message, 'Too many requests. Try again in 60 seconds.')
  // A reset that has just arrived (X-Rate-Limit-Reset equal to the answer's Date second) is a known wait of 0: the
  // smallest wait the outcomes state, not the default minute of a reset that could not be read.
  t.match(farOff(0), { details: { retryAfterSeconds: 1 } }, 'a reset that has just arrived: 1 s')
  t.equal((farOff(0) as Error).message, 'Too many requests. Try again in 1 second.')
  t.match(outcomeOfError(new RateLimitedError({ ...details(429, 'E0000047', 'rate limit'), resetAt: undefined, retryAfterSeconds: undefined } as ConstructorParameters<typeof RateLimitedError>[0])), { details: { retryAfterSeconds: 60 } }, 'no reset to read: the default 60 s')
  t.ok(isStoreUnavailableError({ code: 'STORE_UNAVAILABLE' }), 'recognised across package copies')
})

await t.test('settleRefusal: an unjudged refusal gives its attempt back, a judged one counts; a store without decrement keeps both', async (t) => {
  const out = (code: MfaOutcomeCode): MfaError => new MfaError(code)
  const memory = new MemoryAttemptStore()
  const limiter = new AttemptLimiter({ maxAttempts: 3, store: memory })
  const count = async (l: AttemptLimiter): Promise<number> => (await l.store.get(attemptKey('mfa', 'ada'), Date.now()))?.count ?? 0
  for (const code of ['FACTOR_NOT_FOUND', 'ENROLLMENT_REQUIRED', 'OKTA_USER_NOT_FOUND'] as const) {
    const decision = await limiter.consume('ada')
    t.equal((await settleRefusal(out(code), limiter, 'ada', decision)).code, code)
    t.equal(await count(limiter), 0, `${code}: the attempt is given back`)
  }
  for (const code of ['BAD_USER_INPUT', 'LOCKED_OUT', 'RATE_LIMITED', 'UPSTREAM_TIMEOUT', 'UPSTREAM_UNAVAILABLE'] as const) {
    const before = await count(limiter)
    await settleRefusal(out(code), limiter, 'ada', await limiter.consume('ada'))
    t.equal(await count(limiter), before + 1, `${code} without Okta's cause: stays counted`)
    await limiter.succeed('ada')
  }
  // Okta never took the request: its rate limit (429), no server reached, or 503. Given back, so a person who retries
  // through an Okta outage is not locked out once it ends. A request Okta may have judged stays counted.
  const api = (status: number): OktaApiError => new OktaApiError({ status, errorCode: 'E0000009', errorSummary: 'x', errorLink: 'E0000009', errorId: 'oae1', errorCauses: [] })
  const upstream: Array<[string, unknown, boolean]> = [
    ['Okta 429', new RateLimitedError({ status: 429, errorCode: 'E0000047', errorSummary: 'x', errorLink: 'E0000047', errorId: 'oae1', errorCauses: [], resetAt: undefined, retryAfterSeconds: 30 } as ConstructorParameters<typeof RateLimitedError>[0]), true],
    ...['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].map((causeCode): [string, unknown, boolean] => [causeCode, new ConnectionError('could not reach Okta', { causeCode }), true]),
    ['Okta 503', api(503), true],
    ['a reset connection (the code may have been judged)', new ConnectionError('could not reach Okta', { causeCode: 'ECONNRESET' }), false],
    ['a socket closed mid-answer', new ConnectionError('could not reach Okta', { causeCode: 'UND_ERR_SOCKET' }), false],
    ['a connection error without a code', new ConnectionError('could not reach Okta'), false],
    ['Okta 500', api(500), false],
    ['Okta 502', api(502), false],
    ['Okta 504', api(504), false],
    ['a timeout', new TimeoutError(5000), false],
  ]
  for (const [name, err, givenBack] of upstream) {
    const outcome = outcomeOfError(err)!
    await settleRefusal(outcome, limiter, 'ada', await limiter.consume('ada'))
    t.equal(await count(limiter), givenBack ? 0 : 1, `${name} (${outcome.code}): ${givenBack ? 'given back' : 'stays counted'}`)
    await limiter.succeed('ada')
  }
  // Okta's validation refusal (E0000001, E0000003) judged no code: given back; a bare HTTP 400 stays counted.
  const okta400 = (errorCode: string | undefined, cause = 'passCode: The field cannot be left blank'): MfaError =>
    outcomeOfError(new ValidationError({ status: 400, errorCode, errorCauses: [{ errorSummary: cause }] }))!
  for (const errorCode of ['E0000001', 'E0000003']) {
    const outcome = okta400(errorCode)
    t.equal(outcome.code, 'BAD_USER_INPUT')
    await settleRefusal(outcome, limiter, 'ada', await limiter.consume('ada'))
    t.equal(await count(limiter), 0, `Okta's ${errorCode}: the attempt is given back`)
  }
  // One without Okta's body is a proxy's page: given back. A 400 of Okta's with another code may have judged it: counted.
  const page = okta400(undefined)
  t.equal(page.code, 'UPSTREAM_UNAVAILABLE', "an HTTP 400 without Okta's error code is a page in front of Okta")
  await settleRefusal(page, limiter, 'ada', await limiter.consume('ada'))
  t.equal(await count(limiter), 0, 'and its attempt is given back')
  await settleRefusal(okta400('E0000002'), limiter, 'ada', await limiter.consume('ada'))
  t.equal(await count(limiter), 1, 'an Okta 400 of another error code stays counted')
  await limiter.succeed('ada')
  const wrong = await settleRefusal(out('INVALID_PASSCODE'), limiter, 'ada', await limiter.consume('ada'))
  t.match(wrong, { code: 'INVALID_PASSCODE', details: { attemptsRemaining: 2 } }, 'a wrong code counts and says what is left')
  t.equal((await settleRefusal(out('FACTOR_NOT_FOUND'), limiter, 'ada', undefined)).code, 'FACTOR_NOT_FOUND', 'nothing counted: nothing given back')
  t.equal(await count(limiter), 1)

  // A store of an app's own with no decrement: attempts stay counted; one whose decrement fails: the same, no error.
  const plain = new AttemptLimiter({ maxAttempts: 3, store: { increment: memory.increment.bind(memory), reset: memory.reset.bind(memory), get: memory.get.bind(memory) } })
  await plain.succeed('ada')
  await settleRefusal(out('FACTOR_NOT_FOUND'), plain, 'ada', await plain.consume('ada'))
  t.equal(await count(plain), 1, 'no decrement: the attempt stays counted')
  const failing = new AttemptLimiter({ maxAttempts: 3, store: { ...{ increment: memory.increment.bind(memory), reset: memory.reset.bind(memory), get: memory.get.bind(memory) }, decrement: async () => { throw new Error('down') } } })
  t.equal((await settleRefusal(out('FACTOR_NOT_FOUND'), failing, 'ada', await failing.consume('ada'))).code, 'FACTOR_NOT_FOUND', 'a failing decrement is not an error')
  t.equal(await count(failing), 2, 'and leaves the attempt counted')

  // Refunds are bounded: 8 × maxAttempts per user per window. Past them, a refusal that judged no code (a made-up
  // factor id, each one an Okta call) stays counted, and the user is soon LOCKED_OUT rather than Okta flooded.
  let at = 5_000_000
  const budgetClock = (): number => at
  const budgeted = new AttemptLimiter({ maxAttempts: 2, windowMs: 60_000, clock: budgetClock, store: new MemoryAttemptStore({ clock: budgetClock }) })
  const held = async (): Promise<number> => (await budgeted.store.get(attemptKey('mfa', 'mal'), at))?.count ?? 0
  for (let i = 0; i < 16; i++) await settleRefusal(out('FACTOR_NOT_FOUND'), budgeted, 'mal', await budgeted.consume('mal'))
  t.equal(await held(), 0, 'sixteen refusals of a window are given back')
  await settleRefusal(out('FACTOR_NOT_FOUND'), budgeted, 'mal', await budgeted.consume('mal'))
  t.equal(await held(), 1, 'the seventeenth stays counted')
  await settleRefusal(out('FACTOR_NOT_FOUND'), budgeted, 'mal', await budgeted.consume('mal'))
  t.notOk((await budgeted.consume('mal')).allowed, 'and the user is locked out: no more Okta calls this window')
  at += 60_001
  await settleRefusal(out('FACTOR_NOT_FOUND'), budgeted, 'mal', await budgeted.consume('mal'))
  t.equal(await held(), 0, 'a new window has a new budget')
  // An outage's refusals are outside the budget: a person retrying through an Okta outage of any length is not locked
  // out once it ends, even after the budget was spent on made-up ids.
  for (let i = 0; i < 15; i++) await settleRefusal(out('FACTOR_NOT_FOUND'), budgeted, 'mal', await budgeted.consume('mal'))
  t.equal(await held(), 0, 'the new window\'s budget spent')
  const outages: unknown[] = [
    new ConnectionError('could not reach Okta', { causeCode: 'ECONNREFUSED' }), api(503), okta400(undefined),
    new RateLimitedError({ status: 429, errorCode: 'E0000047', errorSummary: 'x', errorLink: 'E0000047', errorId: 'oae1', errorCauses: [], resetAt: undefined, retryAfterSeconds: 30 } as ConstructorParameters<typeof RateLimitedError>[0]),
  ]
  for (let i = 0; i < 200; i++) await settleRefusal(outcomeOfError(outages[i % outages.length])!, budgeted, 'mal', await budgeted.consume('mal'))
  t.equal(await held(), 0, 'two hundred outage refusals past the spent budget: all given back')
  // A right activation code (it clears no wrong one) is outside it too: its own attempt is given back.
  await budgeted.refund('mal', await budgeted.consume('mal'), { accepted: true })
  t.equal(await held(), 0, 'a right activation code past the spent budget: given back')
  // The app's own access refused stays within it: Okta processed each call (a user Okta refuses the app, for good).
  await refundAccessRefusal({ code: 'OKTA_AUTHENTICATION' }, budgeted, 'mal', await budgeted.consume('mal'))
  t.equal(await held(), 1, 'the app\'s own access refused past the spent budget: counted')
  await budgeted.succeed('mal')
  await settleRefusal(out('FACTOR_NOT_FOUND'), budgeted, 'mal', await budgeted.consume('mal'))
  t.equal(await held(), 1, 'while a made-up id past the budget still counts')

  // A refund answers for the window that counted the attempt: Okta's late answer never frees one of the next window.
  let now = 1_000_000
  const clock = (): number => now
  const windowed = new AttemptLimiter({ maxAttempts: 4, windowMs: 900_000, clock, store: new MemoryAttemptStore({ clock }) })
  for (let i = 0; i < 3; i++) await windowed.consume('eve')
  const inFlight = await windowed.consume('eve')
  now += 900_001
  for (let i = 0; i < 4; i++) t.ok((await windowed.consume('eve')).allowed, `window 2, code ${i + 1}`)
  await settleRefusal(out('FACTOR_NOT_FOUND'), windowed, 'eve', inFlight)
  t.notOk((await windowed.consume('eve')).allowed, 'the late refund of window 1 frees no fifth code in window 2')
  now += 900_001
  const early = await windowed.consume('eve')
  now += 899_500
  await settleRefusal(out('FACTOR_NOT_FOUND'), windowed, 'eve', early)
  t.equal((await windowed.store.get(attemptKey('mfa', 'eve'), now))?.count, 1, 'within a second of the end: dropped, the attempt stays counted')
  now += 1000
  const fresh = await windowed.consume('eve')
  now += 898_000
  await settleRefusal(out('FACTOR_NOT_FOUND'), windowed, 'eve', fresh)
  t.equal((await windowed.store.get(attemptKey('mfa', 'eve'), now))?.count ?? 0, 0, 'earlier in its window: given back')
})

await t.test('the limiter: decisions, hashed keys, default below the Okta lockout, fail closed', async (t) => {
  let now = 1_000_000
  const store = new MemoryAttemptStore({ clock: () => now })
  const limiter = new AttemptLimiter({ store, maxAttempts: 2, windowMs: 10_000, clock: () => now })
  t.same(await limiter.check('k'), { allowed: true, retryAfterSeconds: 0, remaining: 2 })
  t.same(await limiter.fail('k'), { allowed: true, retryAfterSeconds: 0, remaining: 1, resetAt: 1_010_000 }, 'the window ends 10 s after its first attempt')
  now += 4_000
  t.same(await limiter.fail('k'), { allowed: false, retryAfterSeconds: 6, remaining: 0, resetAt: 1_010_000 })
  t.same(await limiter.consume('k'), { allowed: false, retryAfterSeconds: 6, remaining: 0, resetAt: 1_010_000 })
  now += 6_000
  t.same(await limiter.check('k'), { allowed: true, retryAfterSeconds: 0, remaining: 2 }, 'the window ended')
  await limiter.consume('k')
  t.match(await store.get(attemptKey('mfa', 'k'), now), { count: 1 }, 'the store holds the hashed key')
  await limiter.succeed('k')
  t.equal(await store.get(attemptKey('mfa', 'k'), now), undefined, 'success resets')
  // The window ends at exactly windowMs after its first attempt for consume too, not only for check (which would
  // have dropped the counter before it): the attempt made then is the first of a new window, not LOCKED_OUT.
  const opened = now
  await limiter.consume('j')
  t.equal((await limiter.consume('j')).allowed, true)
  t.equal((await limiter.consume('j')).allowed, false, 'locked out within the window')
  now = opened + 10_000
  t.same(await limiter.consume('j'), { allowed: true, retryAfterSeconds: 0, remaining: 1, resetAt: opened + 20_000 }, 'at windowMs: a new window')
  await limiter.consume('x'.repeat(100_000))
  t.match(attemptKey('mfa', 'x'.repeat(100_000)), /^mfa:[A-Za-z0-9_-]{43}$/, 'a huge key is stored as 47 characters')

  t.equal(DEFAULT_MAX_ATTEMPTS, OKTA_LOCKOUT_THRESHOLD - 1)
  t.equal(new AttemptLimiter().maxAttempts, 4, 'strictly below the documented Okta lockout of 5')
  const failing = new AttemptLimiter({ store: { increment: async () => { throw new Error('socket closed') }, reset: async () => {}, get: async () => undefined } })
  await t.rejects(failing.consume('k'), { code: 'STORE_UNAVAILABLE' }, 'any store failure is StoreUnavailableError: the caller refuses')
  // An empty attempt key would count every user's attempts under one key: the caller's mistake, refused before the store.
  const keyed = new AttemptLimiter()
  for (const key of ['', undefined, 7]) {
    for (const call of ['check', 'consume', 'refund', 'settle', 'succeed'] as const) {
      await t.rejects((keyed[call] as (key: unknown, decision?: unknown) => Promise<unknown>)(key, { allowed: true, retryAfterSeconds: 0, remaining: 1, resetAt: 0 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: 'attempt key must be a non-empty string' }, `${call}(${String(key)})`)
    }
  }
  t.throws(() => new AttemptLimiter({ maxAttempts: 0 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxAttempts"/ })
  t.throws(() => new AttemptLimiter({ windowMs: 1.5 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"windowMs"/ })
  const refused = ((): unknown => { try { return new AttemptLimiter({ maxAttempts: 0 }) } catch (err) { return err } })()
  t.ok(refused instanceof InvalidOptionError && refused instanceof TypeError, "the core's class, a TypeError")
  for (const windowMs of [MAX_WINDOW_MS + 1, 2 ** 63, 1e19, Number.MAX_SAFE_INTEGER]) {
    t.throws(() => new AttemptLimiter({ windowMs }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"windowMs" option must be a positive integer of at most 31622400000 \(366 days\)/ }, `windowMs ${windowMs}`)
  }
  t.equal(new AttemptLimiter({ windowMs: MAX_WINDOW_MS }).windowMs, MAX_WINDOW_MS, 'a year is fine')
  for (const ms of [MAX_TIMER_MS + 1, 2 ** 40]) {
    t.throws(() => new RequestDeadline(ms), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^RequestDeadline: "ms" must be a positive integer of at most 2147483647$/ }, `a deadline of ${ms} ms would fire after 1 ms`)
  }
  for (const ms of [0, -1, 1.5]) t.throws(() => new RequestDeadline(ms), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^RequestDeadline: "ms"/ }, `a deadline of ${ms} ms`)
  // A request id the client cannot send as X-Request-Id (an app may take it from a request header) is left out, so
  // the request's Okta calls are made without it rather than each failing.
  t.same(new RequestDeadline(5000, 'req-1').options.requestId, 'req-1')
  for (const requestId of ['', 'a\r\nX-Injected: 1', 'x'.repeat(201), 'a\tb', ' lead', 'trail ', 'req\u0085id', 'req\u009b31m', 'req-€']) {
    t.notOk('requestId' in new RequestDeadline(5000, requestId).options, `request id ${JSON.stringify(requestId.slice(0, 20))} is not sent`)
  }
  t.equal(new RequestDeadline(5000, 'x'.repeat(200)).options.requestId, 'x'.repeat(200), '200 characters are')
  for (const requestId of ['r', 'corr 42', 'réq-ñ']) t.equal(new RequestDeadline(5000, requestId).options.requestId, requestId, `"${requestId}" is`)
  t.throws(() => new AttemptLimiter({ store: {} as never }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"store"/ })
  t.throws(() => new MemoryAttemptStore({ maxKeys: -1 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxKeys"/ })
  t.throws(() => new MemoryAttemptStore({ sweepAbove: 0 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"sweepAbove" option/ }, 'the old name is named')
})

await t.test('retryAfterSeconds rounds up: never 0 while locked out, never a second short', async (t) => {
  let now = 2_000_000
  const limiter = new AttemptLimiter({ store: new MemoryAttemptStore({ clock: () => now }), maxAttempts: 1, windowMs: 60_000, clock: () => now })
  const first = await limiter.consume('k')
  t.match(first, { allowed: true, remaining: 0, resetAt: 2_060_000 })
  now = first.resetAt! - 29_500
  t.match(await limiter.consume('k'), { allowed: false, retryAfterSeconds: 30 }, '29.5 s left: 30, not 29')
  t.match(await limiter.check('k'), { allowed: false, retryAfterSeconds: 30 })
  now = first.resetAt! - 400
  t.match(await limiter.consume('k'), { allowed: false, retryAfterSeconds: 1 }, '400 ms left: 1, not 0 (a wait of 0 reads as "no wait")')
  t.match(await limiter.check('k'), { allowed: false, retryAfterSeconds: 1 })
})

await t.test('a right code takes back itself and the wrong codes Okta answered before it; codes in flight stay counted', async (t) => {
  let now = 1_000_000
  const store = new MemoryAttemptStore({ clock: () => now })
  const limiter = new AttemptLimiter({ store, maxAttempts: 4, windowMs: 10_000, clock: () => now })
  const count = async (): Promise<number | undefined> => (await store.get(attemptKey('mfa', 'k'), now))?.count
  const answered = await limiter.consume('k') // a wrong code, answered
  await limiter.settle('k', answered)
  const inFlight = await limiter.consume('k') // a wrong code sent just before the right one, not answered yet
  const right = await limiter.consume('k') // the right code: the 3rd attempt
  await limiter.consume('k') // a wrong code counted while it was in flight, which Okta may judge after it
  await limiter.settle('k', inFlight) // answered now: Okta may have judged it after the right code
  await limiter.succeed('k', right)
  t.equal(await count(), 2, 'the one in flight and the one after stay: 2 more wrong codes at most, not 4')
  const after = await limiter.consume('k')
  t.same([after.allowed, after.remaining, after.resetAt], [true, 1, 1_010_000], 'the same window goes on')
  await limiter.succeed('k', after)
  t.equal(await count(), 1, 'a right code after them takes back itself and the one answered since')
  const copy = await limiter.consume('k')
  await limiter.succeed('k', { ...copy })
  t.equal(await count(), 1, 'a copied decision takes back only its own attempt')
  await limiter.settle('k', { ...copy, resetAt: now + 500 })
  t.same((await store.increment(attemptKey('mfa', 'k'), 10_000, now)).settled, 2, 'a settle within a second of its window end is dropped')

  // Once the window that counted the right code has ended, what the store holds was counted after it: kept.
  const late = await limiter.consume('k')
  now = late.resetAt! + 1
  await limiter.consume('k') // a new window's first attempt
  await limiter.succeed('k', late)
  t.equal(await count(), 1, "a late success takes nothing from the next window")

  // Without the decision, or with a store of an app's own that has no subtract: the whole counter is reset.
  await limiter.succeed('k')
  t.equal(await count(), undefined, 'succeed(key) resets')
  const plain = new AttemptLimiter({ maxAttempts: 4, clock: () => now, store: { increment: store.increment.bind(store), reset: store.reset.bind(store), get: store.get.bind(store) } })
  const first = await plain.consume('k')
  await plain.consume('k')
  await plain.succeed('k', first)
  t.equal(await count(), undefined, 'no subtract: reset, as before')
})

await t.test('the memory store is capped, and a flood of fresh keys cannot reset a counter that is counting', async (t) => {
  let now = 5_000_000
  const store = new MemoryAttemptStore({ clock: () => now, maxKeys: 1000 })
  const limiter = new AttemptLimiter({ store, maxAttempts: 4, windowMs: 60_000, clock: () => now })
  for (let i = 0; i < 3; i++) await limiter.consume('victim')
  let refused = 0
  const reasons = new Set<unknown>()
  for (let i = 0; i < 5000; i++) {
    try { await limiter.consume(`flood-${i}-${'x'.repeat(200)}`) } catch (err) { if (isStoreUnavailableError(err)) { refused++; reasons.add(err.reason) } else throw err }
  }
  t.same([...reasons], ['full'], 'refused as full')
  t.equal(store.size, 1000, 'never more than maxKeys counters')
  t.equal(refused, 5000 - 999, 'new keys past the cap are refused (fail closed), not let through uncounted')
  t.match(await limiter.consume('victim'), { allowed: true, retryAfterSeconds: 60, remaining: 0 }, "the victim's counter kept counting: 4th attempt")
  t.equal((await limiter.consume('victim')).allowed, false, 'and the 5th is refused')
  now += 60_000
  t.match(await limiter.consume('newcomer'), { allowed: true, retryAfterSeconds: 0, remaining: 3 }, 'once windows end, expired counters make room')
  t.ok(store.size <= 1000)
})

await t.test('MFA state and the Okta binding are bound to the user', async (t) => {
  const req = { session: {} as Record<string, unknown>, user: { id: 'u1' } }
  recordMfa(req, { user: req.user, factorId: 'ost1', method: 'form', now: 42 })
  t.same(getMfaState(req), { userKey: 'u1', factorId: 'ost1', method: 'form', completedAt: 42 })
  t.equal(getMfaState({ ...req, user: { id: 'u2' } }), undefined, 'void for another user of the same session')
  bindOktaUser(req, 'u1', '00u1')
  cacheFactors(req, 'u1', [{ id: 'ost1', factorType: 'token:software:totp', status: 'ACTIVE', provider: 'GOOGLE' }], 1000)
  t.same(cachedFactors(req, 'u1', 1000 + 29_999), [{ id: 'ost1', factorType: 'token:software:totp', status: 'ACTIVE', provider: 'GOOGLE' }])
  t.equal(cachedFactors(req, 'u1', 1000 + 30_000), undefined, 'the cache lasts 30 s')
  t.equal(cachedFactors(req, 'u2', 1000), undefined, "another user never sees u1's factors")
  dropCachedFactors(req)
  t.equal(cachedFactors(req, 'u1', 1000), undefined, 'dropped on enrollment changes')
  t.same(getOktaUserBinding(req, 'u1'), { userKey: 'u1', oktaUserId: '00u1' }, 'the id stays')
  t.equal(getOktaUserBinding(req, 'u2'), undefined)
  t.throws(() => userKeyOf({ id: 'x'.repeat(513) }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION' }, 'over-long user keys are refused')
  t.throws(() => userKeyOf('x'.repeat(513)), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION' }, 'a user that is a string too')
  t.equal(userKeyOf('x'.repeat(512)), 'x'.repeat(512), 'MAX_USER_KEY_LENGTH is allowed')
  // A name that NFKC lengthens past the bound (29 characters, 522 once U+FDFA is spelt out): keyed by its digest.
  const long = userKeyOf({ username: '\uFDFA'.repeat(29) })
  t.match(long, /^nfkc-sha256:[A-Za-z0-9_-]{43}$/, 'a name normalized past 512 characters is keyed by its SHA-256')
  t.equal(userKeyOf({ login: '\uFDFA'.repeat(29) }), long, 'the same name, the same key')
  t.not(userKeyOf({ username: '\uFDFA'.repeat(28) }), long)
  // A list of more than MAX_CACHED_FACTORS (16) is not cached, and drops the list cached before.
  const factor = (i: number): { id: string, factorType: string, status: string } => ({ id: `ost${i}`, factorType: 'token:software:totp', status: 'ACTIVE' })
  cacheFactors(req, 'u1', Array.from({ length: 16 }, (_, i) => factor(i)), 2000)
  t.equal(cachedFactors(req, 'u1', 2000)?.length, 16, '16 factors are cached')
  cacheFactors(req, 'u1', Array.from({ length: 17 }, (_, i) => factor(i)), 2000)
  t.equal(cachedFactors(req, 'u1', 2000), undefined, '17 are not, and the 16 cached before are dropped')
  t.same(req.session[OKTA_USER_SESSION_KEY], { userKey: 'u1', oktaUserId: '00u1' }, 'none of the 17 is written to the session (its cookie)')
  // A list stamped later than now (another instance's clock ahead) is not taken as fresh.
  cacheFactors(req, 'u1', [factor(1)], 5000)
  t.equal(cachedFactors(req, 'u1', 4000), undefined, 'a list from the future is not cached')
  // No session middleware: a TypeError with a stable code, for the app's error handler.
  const noSession = (() => { try { recordMfa({ user: { id: 'u1' } } as never, { user: { id: 'u1' }, factorId: 'ost1', method: 'form', now: 1 }) } catch (err) { return err } })()
  t.type(noSession, NoSessionError)
  t.type(noSession, TypeError)
  t.match(noSession, { name: 'TypeError', code: 'OKTA_MFA_NO_SESSION', message: /needs a session/ })
})

await t.test('end-user context is bounded; phone numbers and addresses are masked before the MFA step', async (t) => {
  const context = endUserContext({ ip: '203.0.113.5', headers: { 'user-agent': 'A'.repeat(10_000), 'accept-language': ['fr-CA', 'en'] } })
  t.equal(context.ip, '203.0.113.5')
  t.equal(context.userAgent?.length, 512)
  t.equal(context.acceptLanguage, 'fr-CA')
  t.same(endUserContext({ headers: {} }), {})
  // A server listening on '::' (Express's app.listen(port)) sees an IPv4 client as ::ffff:a.b.c.d: Okta gets a.b.c.d.
  t.equal(endUserContext({ ip: '::ffff:203.0.113.5', headers: {} }).ip, '203.0.113.5', 'an IPv4-mapped address as IPv4')
  t.equal(endUserContext({ ip: '::FFFF:198.51.100.7', headers: {} }).ip, '198.51.100.7', 'in any case')
  t.equal(endUserContext({ ip: '::ffff:2001:db8::1', headers: {} }).ip, '::ffff:2001:db8::1', 'not an IPv4 tail: as it is')
  t.equal(endUserContext({ ip: '2001:db8::1', headers: {} }).ip, '2001:db8::1', 'IPv6 as it is')
  // The README's input limits: an IP over 64 characters (a forged X-Forwarded-For behind trust proxy) is not sent,
  // an Accept-Language is cut to 256 characters.
  t.same(endUserContext({ ip: '1'.repeat(65), headers: {} }), {}, 'an IP over 64 characters is not sent')
  t.equal(endUserContext({ ip: 'f'.repeat(64), headers: {} }).ip, 'f'.repeat(64), 'one of 64 is')
  t.equal(endUserContext({ headers: { 'accept-language': 'en;q=0.9,'.repeat(1000) } }).acceptLanguage, 'en;q=0.9,'.repeat(1000).slice(0, 256))
  // At the bounds: 512 and 256 characters are kept whole, one more is cut to them.
  const edge = (ua: number, al: number): ReturnType<typeof endUserContext> => endUserContext({ headers: { 'user-agent': 'U'.repeat(ua), 'accept-language': 'L'.repeat(al) } })
  t.same(edge(512, 256), { userAgent: 'U'.repeat(512), acceptLanguage: 'L'.repeat(256) }, '512 and 256 characters: whole')
  t.same(edge(513, 257), { userAgent: 'U'.repeat(512), acceptLanguage: 'L'.repeat(256) }, '513 and 257: cut to 512 and 256')
  t.equal(maskEmail('ada.lovelace@example.com'), 'a•••@example.com')
  t.equal(maskEmail('not an address'), '•••')
  t.equal(maskEmail('@example.com'), '•••', 'no local part: nothing of it to show')
  t.equal(maskEmail(`${'a'.repeat(300)}@${'b'.repeat(20)}.com`), '•••', 'longer than an address can be (320): its domain is not shown')
  t.equal(maskEmail('𝓐da@example.com'), '𝓐•••@example.com', 'the first character, not half of it')
  t.equal(maskEmail('\ud835da@example.com'), '••••@example.com', 'a lone surrogate is not shown')
})

await t.test('passcodes lose any whitespace; answers count code points', async (t) => {
  for (const raw of ['123 456', '123\u00a0456', '\t123456\n', '12\u3000 34 56', '\u2009123456']) {
    t.same(readPasscode(raw), { ok: true, passCode: '123456' }, JSON.stringify(raw))
  }
  t.same(readPasscode('123-456'), { ok: false, code: 'PASSCODE_MALFORMED' })
  // The README: over 32 characters as sent is PASSCODE_MALFORMED unread; 32, padding included, is read.
  t.same(readPasscode('123456'.padEnd(32, ' ')), { ok: true, passCode: '123456' }, '32 characters, spaces included, are read')
  t.same(readPasscode(' 123456'.padEnd(32, '\t')), { ok: true, passCode: '123456' }, 'whatever the whitespace')
  t.same(readPasscode('123456'.padEnd(33, ' ')), { ok: false, code: 'PASSCODE_MALFORMED' }, '33 are not')
  t.equal(readAnswer('🐈'.repeat(256)), '🐈'.repeat(256), '256 emoji are 256 characters')
  t.throws(() => readAnswer('🐈'.repeat(257)), { code: 'BAD_USER_INPUT' })
  t.throws(() => readAnswer('a'.repeat(257)), { code: 'BAD_USER_INPUT' })
  t.throws(() => readAnswer('a'.repeat(1_000_000)), { code: 'BAD_USER_INPUT' })
  for (const blank of [' ', '  \t\n', '\u00a0\u3000']) {
    t.throws(() => readAnswer(blank), { code: 'BAD_USER_INPUT', details: { field: 'answer' } }, `a blank answer is no answer: ${JSON.stringify(blank)}`)
  }
  for (const lone of ['\ud800\ud800\ud800\ud800', 'pizza\udc00', '\ud83c']) {
    t.throws(() => readAnswer(lone), { code: 'BAD_USER_INPUT', details: { field: 'answer' }, message: /lone UTF-16 surrogate/ }, `an answer with no UTF-8 form: ${JSON.stringify(lone)}`)
  }
  t.equal(readAnswer('\ud83c\udf4e pie'), '🍎 pie', 'a surrogate pair is one character, taken')
})

await t.test('a revocation store of your own that fails with any error is a store outage (fail closed, no raw message)', async (t) => {
  const req = { session: {} as Record<string, unknown>, user: { id: 'ada' } }
  startSession(req)
  const store = { revokeSession: async () => {}, revokeUser: async () => {}, isRevoked: async () => { throw new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5') } }
  const err = await isSessionRevoked(req, store).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof StoreUnavailableError, 'StoreUnavailableError')
  t.notMatch(String((err as Error).message), /hunter2/)
  const own = new StoreUnavailableError()
  t.equal(await isSessionRevoked(req, { ...store, isRevoked: async () => { throw own } }).catch((e: unknown) => e), own, 'one already coded is passed as it is')
  // A session without an identity is given one only once the store says it is not revoked: one the store could not
  // judge (or a revoked one) is left as it came, since a write renews a session.
  const lazy = { session: { passport: { user: 'ada' } } as Record<string, unknown>, user: { id: 'ada' } }
  t.ok(await isSessionRevoked(lazy, store).catch((e: unknown) => e) instanceof StoreUnavailableError)
  t.same(lazy.session, { passport: { user: 'ada' } }, 'the store cannot answer: nothing written')
  t.equal(await isSessionRevoked(lazy, { ...store, isRevoked: async () => true }), true)
  t.same(lazy.session, { passport: { user: 'ada' } }, 'revoked: nothing written')
  t.equal(await isSessionRevoked(lazy, { ...store, isRevoked: async () => false }), false)
  t.match(lazy.session[SESSION_IDENTITY_KEY], { sessionId: /^[A-Za-z0-9_-]{22}$/, userKey: 'ada' }, 'not revoked: given its identity')
})

await t.test('revocation: session ids at login, logout revokes one, sign-out-everywhere the user; the memory store is capped', async (t) => {
  let now = 1_000_000
  const clock = (): number => now
  const store = new MemoryRevocationStore({ clock, maxEntries: 50 })
  const a = { session: {} as Record<string, unknown>, user: { id: 'ada' } }
  const copy = { session: a.session, user: a.user }
  const identity = startSession(a, { clock })
  t.match(identity, { sessionId: /^[A-Za-z0-9_-]{22}$/, issuedAt: now, userKey: 'ada' })
  t.not(startSession({ session: {}, user: { id: 'ada' } }).sessionId, identity.sessionId, 'random per login')
  t.same(getSessionIdentity(a, 'ada'), identity)
  t.equal(getSessionIdentity(a, 'bob'), undefined, 'bound to the user')
  t.equal(await isSessionRevoked(copy, store, { clock }), false)
  await revokeSession(a, store)
  t.equal(getSessionIdentity(a, 'ada'), undefined, 'logout forgets the identity in the session')
  const stolen = { session: { [SESSION_IDENTITY_KEY]: identity }, user: { id: 'ada' } }
  t.equal(await isSessionRevoked(stolen, store, { clock }), true, 'a copy of the cookie is revoked')
  // So is that of a user whose name normalizing lengthens past the key bound (its identity was dropped, and every check
  // gave it a new id no revocation covered).
  for (const how of ['logout', 'everywhere'] as const) {
    const user = { username: '\uFDFA'.repeat(29) }
    const long = { session: {} as Record<string, unknown>, user }
    const first = startSession(long, { clock })
    t.same(getSessionIdentity(long, userKeyOf(user)), first, `${how}: the identity is kept`)
    const copied = { session: { ...long.session }, user }
    if (how === 'logout') await revokeSession(long, store)
    else { now += 1; await revokeUserSessions(store, userKeyOf(user), { clock }) }
    t.equal(await isSessionRevoked(copied, store, { clock }), true, `${how}: a copy of its cookie is revoked`)
  }

  const b1 = { session: {}, user: { id: 'bea' } }
  const b2 = { session: {}, user: { id: 'bea' } }
  startSession(b1, { clock }); now += 10; startSession(b2, { clock })
  const c = { session: {}, user: { id: 'cyd' } }
  startSession(c, { clock })
  await revokeUserSessions(store, 'bea', { clock })
  t.equal(await isSessionRevoked(b1, store, { clock }), true)
  t.equal(await isSessionRevoked(b2, store, { clock }), true, 'every session issued until then')
  t.equal(await isSessionRevoked(c, store, { clock }), false, 'other users untouched')
  // A change of the app's user key re-keys the identity (same id, same issued-at); the MFA step stays with the old key.
  recordMfa(c, { user: c.user, factorId: 'ost1', method: 'form', now })
  const cyd = getSessionIdentity(c, 'cyd')
  const byLogin = { userKey: () => 'cyd@example.com', clock: (): number => now + 5 }
  t.same(ensureSession(c, byLogin), { ...cyd, userKey: 'cyd@example.com' }, 'ensureSession keeps the id and the issued-at time')
  t.same(getSessionIdentity(c, 'cyd@example.com'), { ...cyd, userKey: 'cyd@example.com' })
  t.equal(getMfaState(c, byLogin), undefined, 'the MFA step is not carried to the new key')
  // A "sign out of all sessions" made under the old key still holds once the key changed: asked under the old key first.
  const e = { session: {}, user: { id: 'eli' } }
  startSession(e, { clock })
  await revokeUserSessions(store, 'eli', { clock })
  t.equal(await isSessionRevoked(e, store, { userKey: () => 'eli@example.com', clock }), true, 'revoked under the old key: still revoked under the new one')
  // Revoked under the new key: refused, and nothing written to the session (a write renews a cookie session's lifetime,
  // so a copy of the cookie would outlive the revocation).
  const g = { session: {} as Record<string, unknown>, user: { id: 'gus' } }
  const gus = startSession(g, { clock })
  now += 1
  await revokeUserSessions(store, 'gus@example.com', { clock })
  const before = JSON.stringify(g.session)
  t.equal(await isSessionRevoked(g, store, { userKey: () => 'gus@example.com', clock }), true, 'revoked under the new key: revoked')
  t.equal(JSON.stringify(g.session), before, 'and the session is left as it was, its identity under the old key')
  t.same(getSessionIdentity(g, 'gus'), gus)
  // Not revoked: re-keyed, as ensureSession does.
  const h = { session: {} as Record<string, unknown>, user: { id: 'hal' } }
  const hal = startSession(h, { clock })
  t.equal(await isSessionRevoked(h, store, { userKey: () => 'hal@example.com', clock }), false)
  t.same(getSessionIdentity(h, 'hal@example.com'), { ...hal, userKey: 'hal@example.com' }, 'not revoked: re-keyed, same id and issued-at')
  // startSession forgets the session's MFA step: a login that kept the session's data (keepSessionInfo) asks again.
  const f = { session: {}, user: { id: 'fay' } }
  recordMfa(f, { user: f.user, factorId: 'ost1', method: 'form', now })
  startSession(f, { clock })
  t.equal(getMfaState(f), undefined, 'a new sign-in asks for the code again')
  now += 1
  const b3 = { session: {}, user: { id: 'bea' } }
  startSession(b3, { clock })
  t.equal(await isSessionRevoked(b3, store, { clock }), false, 'a login after it is not')
  // @fastify/secure-session (the gateway plugin's and the demo's sessions; the gateway server's cookie follows it) keeps
  // a cookie for 24 h and 1 s after its last write, timestamped to the nearest second: a cookie copied just before the
  // logout must still be refused then.
  const logout = now - 11
  now = logout + (86_401 + 1) * 1000
  t.equal(await isSessionRevoked(stolen, store, { clock }), true, "still revoked when secure-session's cookie lifetime ends")
  t.equal(await isSessionRevoked(b1, store, { clock }), true, '"sign out of all sessions" too: its default TTL is DEFAULT_REVOCATION_TTL_MS')
  now = logout + DEFAULT_REVOCATION_TTL_MS
  t.equal(await isSessionRevoked(stolen, store, { clock }), false, 'remembered for the TTL (at least the session lifetime)')

  for (let i = 0; i < 500; i++) await store.revokeSession(`s${i}`, 60_000)
  t.ok(store.size <= 2 * 50, 'capped: at most maxEntries sessions and maxEntries user marks')
  t.equal(await store.isRevoked('s499', undefined, 0), true, 'the newest revocations are kept')
  t.throws(() => new MemoryRevocationStore({ maxEntries: 0 }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxEntries"/ })

  // A store of your own failing at logout: STORE_UNAVAILABLE (a 503 through the app's error handler), not its own error.
  const failing: RevocationStore = {
    revokeSession: async () => { throw new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5') },
    revokeUser: async () => { throw new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5') },
    isRevoked: async () => false,
  }
  const d = { session: {}, user: { id: 'dee' } }
  startSession(d, { clock })
  await t.rejects(revokeSession(d, failing), { code: 'STORE_UNAVAILABLE', status: 503, retryable: true }, 'logout')
  await t.rejects(revokeUserSessions(failing, 'dee'), { code: 'STORE_UNAVAILABLE', status: 503 }, 'sign out of all sessions')
  const refused = await revokeUserSessions(failing, 'dee').catch((e: unknown) => e)
  t.notMatch((refused as Error).message, /hunter2|ECONNREFUSED/, "the store's message is not repeated")
})

await t.test('the classes an app configures refuse an option that is not one, naming it', async (t) => {
  t.throws(() => new AttemptLimiter({ maxAtempts: 2 } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"maxAtempts" is not an option of AttemptLimiter$/ }, 'a misspelt maxAttempts would leave 4')
  t.throws(() => new AttemptLimiter(null as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /options must be an object/ })
  t.throws(() => new MemoryAttemptStore({ toString: 10 } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"toString" is not an option of MemoryAttemptStore/ }, 'a name every object inherits is no option either')
  t.throws(() => new MemoryAttemptStore({ maxKey: 10 } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxKey" is not an option of MemoryAttemptStore/ })
  t.throws(() => new MemoryRevocationStore({ maxEntrie: 10 } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxEntrie" is not an option of MemoryRevocationStore/ })
  const { RememberedDevices } = await import('@okta-mfa/core')
  t.throws(() => new RememberedDevices({ secret: 'x'.repeat(32), activeFactorIds: async () => [], maxAgeDay: 7 } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxAgeDay" is not an option of RememberedDevices/ })
  t.equal(new AttemptLimiter({ maxAttempts: 2, windowMs: 1000, namespace: 'x', clock: Date.now, store: new MemoryAttemptStore({ maxKeys: 5, clock: Date.now }) }).maxAttempts, 2, 'every documented option is accepted')
  // A bad value is refused when given, null included (a config's missing value is not "use the default").
  t.throws(() => new RememberedDevices({ secret: 'x'.repeat(32), activeFactorIds: async () => [], userKey: 42 } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"userKey" option must be a function$/ })
  t.throws(() => new MemoryAttemptStore({ maxKeys: null } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxKeys"/ })
  t.throws(() => new MemoryAttemptStore({ maxKeys: 5, sweepAbove: 'x' } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"sweepAbove"/ })
  t.throws(() => new MemoryRevocationStore({ maxEntries: null } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxEntries"/ })
  t.throws(() => new RememberedDevices({ secret: 'x'.repeat(32), activeFactorIds: async () => [], maxAgeDays: null } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"maxAgeDays"/ })
  t.throws(() => new RememberedDevices({ secret: 'x'.repeat(32), activeFactorIds: async () => [], cookieName: null } as never), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"cookieName"/ })
})

await t.test("two limiters in one store never share a counter: a namespace of `mfa.refunds` is not the refund budget of `mfa`", async (t) => {
  const store = new MemoryAttemptStore()
  const mfa = new AttemptLimiter({ store, maxAttempts: 4 })
  const other = new AttemptLimiter({ store, maxAttempts: 4, namespace: 'mfa.refunds' })
  for (let i = 0; i < 4; i++) await mfa.refund('ada', await mfa.consume('ada'))
  t.match(await other.consume('ada'), { allowed: true, remaining: 3 }, "mfa's refunds are not the other limiter's attempts")
  for (let i = 0; i < 40; i++) await other.consume('bob')
  const before = await mfa.consume('bob')
  await mfa.refund('bob', before)
  t.match(await mfa.consume('bob'), { allowed: true, remaining: 3 }, "the other limiter's attempts did not spend mfa's refund budget")
  // `:` is no namespace character: no limiter can be named as the refund budget of another.
  t.throws(() => new AttemptLimiter({ store, namespace: 'mfa:refunds' }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"namespace"/ })
})

await t.test('a phone number shows its whole country calling code and only the last 4 national digits', async (t) => {
  const cases: Array<[string, string]> = [
    ['+1 555-555-0103', '+1••••••0103'],
    ['+1 (415) 555-2671', '+1••••••2671'], // the area code is national: masked
    ['+44 7700 900123', '+44••••••0123'],
    ['+353 85 123 4567', '+353•••••4567'],
    ['+7 912 345 6789', '+7••••••6789'],
    ['+86 138 0013 8000', '+86•••••••8000'],
    ['+971 50 123 4567', '+971•••••4567'],
    ['+33 6 12 34 56 78', '+33•••••5678'],
    ['+880 1712 345678', '+880••••••5678'],
    ['+683 1234', '+683•••4'], // a 4-digit national number: at least 3 digits stay hidden
  ]
  for (const [phone, masked] of cases) t.equal(maskPhoneNumber(phone), masked, phone)
  // Not E.164: no country code shown (none can be trusted), never more than 4 digits, none of a short number.
  const malformed: Array<[string, string]> = [
    ['5555550103', '••••••0103'], // no +
    ['+123', '••••'], // too short
    ['+44 77', '••••'],
    ['', '••••'],
    ['+0123456789', '••••••6789'], // no country code starts with 0
    ['+2801234567', '••••••4567'], // +280 is a spare code
    ['+1234567890123456789', '•••••••••••'], // more than E.164's 15 digits
  ]
  for (const [phone, masked] of malformed) t.equal(maskPhoneNumber(phone), masked, `malformed: ${JSON.stringify(phone)}`)
  for (const [phone] of [...cases, ...malformed]) {
    const shown = maskPhoneNumber(phone).replace(/^\+\d+(?=•)/, '').replace(/•/g, '')
    t.ok(shown.length <= 4, `${phone}: at most 4 digits after the country code (${shown})`)
  }
})

// Guards the security rules of factor verification, with an injected clock (no sleeping): TOTP per
// RFC 6238 and its window, single-use codes (E0000082) consumed atomically under concurrency,
// Okta's activation throttle (5 wrong per 5 minutes -> 429), and user lockout after repeated
// wrong codes (E0000069) until an admin unlocks.
import t from 'tap'
import { totp } from '../helpers/totp.js'
import { emuFetch, testClock, userWithTotp, withEmulator } from '../helpers/emulator.js'
import { spawnSync } from 'node:child_process'
import { totpCodeOf } from '@okta-mfa/emulator'

// RFC 6238 appendix B, SHA-1 seed "12345678901234567890"; Okta's codes are the last 6 of the 8 digits.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
const RFC_VECTORS: Array<[number, string]> = [
  [59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'], [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130'],
]

await t.test('totpCodeOf (exported for tests and demos) and the example app\'s totp-cli give RFC 6238 codes', async (t) => {
  for (const [seconds, code] of RFC_VECTORS) t.equal(totpCodeOf(RFC_SECRET, seconds * 1000), code.slice(-6), `T=${seconds}`)
  t.equal(totpCodeOf('GEZD GNBV-GY3T QOJQ GEZD GNBV GY3T QOJQ', 59_000), '287082', 'spaces and dashes as apps show keys')
  t.throws(() => totpCodeOf('not base32!'), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION' })
  for (const secret of ['', ' - ', null, 42]) {
    t.throws(() => totpCodeOf(secret as string, 0), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION', message: 'totpCodeOf: "secret" must be a non-empty base32 string' }, `secret ${JSON.stringify(secret)}`)
  }
  for (const atMs of [Number.NaN, Infinity, -1, '5', null]) {
    t.throws(() => totpCodeOf(RFC_SECRET, atMs as number), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION', message: /^totpCodeOf: "atMs" must be a finite, non-negative number/ }, `atMs ${String(atMs)}`)
  }
  const cli = spawnSync(process.execPath, ['examples/fastify-app/dist/totp-cli.js', 'GEZD GNBV GY3T QOJQ'], { encoding: 'utf8' })
  t.equal(cli.status, 0, cli.stderr)
  const printed = /^(\d{6}) {3}\(changes in (\d+) s\)$/.exec(cli.stdout.trim())
  t.ok(printed, cli.stdout)
  t.ok([totp('GEZDGNBVGY3TQOJQ', Date.now()), totp('GEZDGNBVGY3TQOJQ', Date.now() - 30_000)].includes(printed![1]!), 'the code of now (or of the step just ended)')
  t.equal(spawnSync(process.execPath, ['examples/fastify-app/dist/totp-cli.js', 'bad!'], { encoding: 'utf8' }).status, 2)
})

await t.test('RFC 6238 test vectors, through the API', async (t) => {
  const clock = testClock(59_000)
  const emu = await withEmulator(t, {
    clock,
    seed: [{ id: '00uRfc6238TestVector', login: 'rfc@example.com', factors: [{ id: 'ostRfc6238TestVector', factorType: 'token:software:totp', sharedSecret: RFC_SECRET }] }],
  })
  for (const [seconds, eight] of RFC_VECTORS) {
    const code = eight.slice(-6)
    t.equal(emu.totpCode('ostRfc6238TestVector', seconds * 1000), code, `T=${seconds}`)
    t.equal(totp(RFC_SECRET, seconds * 1000), code, 'the independent test generator agrees')
    clock.set(seconds * 1000)
    const r = await emuFetch(emu, 'POST', '/api/v1/users/00uRfc6238TestVector/factors/ostRfc6238TestVector/verify', { passCode: code })
    t.same(r.body, { factorResult: 'SUCCESS' }, `verify at T=${seconds}`)
  }
  t.equal((await emuFetch(emu, 'GET', '/__emulator/factors/ostRfc6238TestVector/totp')).body.code, '353130', 'the /__emulator TOTP endpoint')
})

await t.test("the emulator's own HMAC-SHA1 agrees with node:crypto (via the test generator)", async (t) => {
  const { randomBytes, randomInt } = await import('node:crypto')
  const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  // Secrets from 1 to 120 bytes: keys longer than SHA-1's 64-byte block are hashed first (RFC 2104).
  const secrets = Array.from({ length: 60 }, (_, i) => [...randomBytes(Math.ceil(((i * 2 + 1) * 8) / 5))].map((b) => B32[b & 31]).join(''))
  const emu = await withEmulator(t, {
    seed: secrets.map((sharedSecret, i) => ({ login: `k${i}@example.com`, factors: [{ id: `ostHmacCheck${String(i).padStart(8, '0')}`, factorType: 'token:software:totp' as const, sharedSecret }] })),
  })
  let mismatches = 0
  for (const [i, secret] of secrets.entries()) {
    for (let j = 0; j < 20; j++) {
      const at = randomInt(0, 2 ** 47)
      if (emu.totpCode(`ostHmacCheck${String(i).padStart(8, '0')}`, at) !== totp(secret, at)) mismatches++
    }
  }
  t.equal(mismatches, 0, '1200 codes, 60 secrets of 1 to 120 bytes, random times')
})

await t.test('the window: one step either side by default, configurable', async (t) => {
  const emu = await withEmulator(t)
  const { userId, factorId } = await userWithTotp(emu)
  const V = `/api/v1/users/${userId}/factors/${factorId}/verify`
  const secret = emu.factorSecret(factorId)
  const now = emu.clock.now()
  // The helpers agree on what they take: a time for totpCode, and a 404 OktaError for an unknown factor from both.
  t.equal(emu.totpCode(factorId, now), totp(secret, now))
  for (const atMs of [Number.NaN, '5', -30_000]) {
    t.throws(() => emu.totpCode(factorId, atMs as number), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION', message: /^totpCode: "atMs" must be/ }, `totpCode(id, ${String(atMs)})`)
  }
  const unknown = { name: 'OktaError', status: 404, errorCode: 'E0000007', message: 'Not found: Resource not found: ostNoSuchFactor00000 (UserFactor)' }
  t.throws(() => emu.totpCode('ostNoSuchFactor00000'), unknown)
  t.throws(() => emu.factorSecret('ostNoSuchFactor00000'), unknown)
  t.equal((await emuFetch(emu, 'POST', V, { passCode: totp(secret, now + 60_000) })).body.errorCode, 'E0000068', 'two steps ahead: refused')
  t.equal((await emuFetch(emu, 'POST', V, { passCode: totp(secret, now - 60_000) })).body.errorCode, 'E0000068', 'two steps behind: refused')
  emu.clock.advance(60_000)
  t.equal((await emuFetch(emu, 'POST', V, { passCode: totp(secret, emu.clock.now() - 30_000) })).status, 200, 'the previous step: accepted')
  emu.clock.advance(60_000)
  t.equal((await emuFetch(emu, 'POST', V, { passCode: totp(secret, emu.clock.now() + 30_000) })).status, 200, 'the next step: accepted')

  const strict = await withEmulator(t, { totpWindow: 0 })
  const s = await userWithTotp(strict)
  const prev = totp(strict.factorSecret(s.factorId), strict.clock.now() - 30_000)
  const r = await emuFetch(strict, 'POST', `/api/v1/users/${s.userId}/factors/${s.factorId}/verify`, { passCode: prev })
  t.equal(r.body.errorCode, 'E0000068', 'totpWindow 0: only the current step')
})

await t.test('a code accepted once is refused afterwards', async (t) => {
  const emu = await withEmulator(t)
  const { userId, factorId } = await userWithTotp(emu)
  const V = `/api/v1/users/${userId}/factors/${factorId}/verify`
  const secret = emu.factorSecret(factorId)!
  const code = totp(secret, emu.clock.now())
  t.equal((await emuFetch(emu, 'POST', V, { passCode: code })).status, 200)
  const replay = await emuFetch(emu, 'POST', V, { passCode: code })
  t.equal(replay.status, 403)
  t.equal(replay.body.errorCode, 'E0000082')
  t.equal(replay.body.errorSummary, 'Each code can only be used once. Please wait for a new code and try again.')
  // Accepting the next step's code (inside the window) burns the current step's code too.
  const next = totp(secret, emu.clock.now() + 30_000)
  t.equal((await emuFetch(emu, 'POST', V, { passCode: next })).status, 200)
  emu.clock.advance(30_000)
  t.equal((await emuFetch(emu, 'POST', V, { passCode: totp(secret, emu.clock.now() - 30_000) })).body.errorCode, 'E0000082', 'an earlier step than an accepted one')
  t.equal((await emuFetch(emu, 'POST', V, { passCode: next })).body.errorCode, 'E0000082')
  emu.clock.advance(30_000)
  t.equal((await emuFetch(emu, 'POST', V, { passCode: totp(secret, emu.clock.now()) })).status, 200, 'a new step: accepted')

  // The activation code is consumed as well: the next verify needs the next step.
  const u2 = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'act@example.com', email: 'act@example.com' } })
  const f2 = await emuFetch(emu, 'POST', `/api/v1/users/${u2.body.id}/factors`, { factorType: 'token:software:totp', provider: 'OKTA' })
  const actCode = emu.totpCode(f2.body.id)
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${u2.body.id}/factors/${f2.body.id}/lifecycle/activate`, { passCode: actCode })).status, 200)
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${u2.body.id}/factors/${f2.body.id}/verify`, { passCode: actCode })).body.errorCode, 'E0000082')
})

await t.test('two concurrent verifies of one code: exactly one SUCCESS', async (t) => {
  const emu = await withEmulator(t)
  const { userId, factorId } = await userWithTotp(emu)
  const V = `/api/v1/users/${userId}/factors/${factorId}/verify`
  for (let round = 0; round < 3; round++) {
    const code = emu.totpCode(factorId)
    const results = await Promise.all(Array.from({ length: 20 }, () => emuFetch(emu, 'POST', V, { passCode: code })))
    t.equal(results.filter((r) => r.status === 200).length, 1, `round ${round}: one SUCCESS`)
    t.same([...new Set(results.filter((r) => r.status !== 200).map((r) => r.body.errorCode))], ['E0000082'], 'the rest: E0000082')
    emu.clock.advance(30_000)
  }
})

await t.test('rejectReplayedCodes: false (benchmarks only) accepts a code again', async (t) => {
  const emu = await withEmulator(t, { rejectReplayedCodes: false })
  const { userId, factorId } = await userWithTotp(emu)
  const code = emu.totpCode(factorId)
  for (let i = 0; i < 3; i++) t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${factorId}/verify`, { passCode: code })).status, 200)
})

await t.test('activation: 5 wrong tries per 5 minutes, then 429 E0000047', async (t) => {
  const emu = await withEmulator(t)
  const user = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'throttle@example.com', email: 'throttle@example.com' } })
  const f = await emuFetch(emu, 'POST', `/api/v1/users/${user.body.id}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  const A = `/api/v1/users/${user.body.id}/factors/${f.body.id}/lifecycle/activate`
  const wrong = emu.totpCode(f.body.id) === '000000' ? '111111' : '000000'
  const firstFailure = emu.clock.now()
  for (let i = 0; i < 5; i++) {
    const r = await emuFetch(emu, 'POST', A, { passCode: wrong })
    t.equal(r.body.errorCode, 'E0000068', `wrong try ${i + 1}`)
    t.same(r.body.errorCauses, [{ errorSummary: "Your passcode doesn't match our records. Please try again." }])
    emu.clock.advance(10_000)
  }
  const blocked = await emuFetch(emu, 'POST', A, { passCode: emu.totpCode(f.body.id) })
  t.equal(blocked.status, 429, 'even the right code is refused now')
  t.equal(blocked.body.errorCode, 'E0000047')
  t.equal(blocked.headers.get('x-rate-limit-remaining'), '0')
  t.equal(blocked.headers.get('x-rate-limit-reset'), String(Math.ceil((firstFailure + 5 * 60_000) / 1000)), 'X-Rate-Limit-Reset says when the throttle lifts')
  emu.clock.advance(5 * 60_000 - 50_000 + 1)
  t.equal((await emuFetch(emu, 'POST', A, { passCode: emu.totpCode(f.body.id) })).status, 200, 'five minutes after the first failure')
  const again = await emuFetch(emu, 'POST', A, { passCode: emu.totpCode(f.body.id) })
  t.equal(again.status, 400, 'activating an ACTIVE factor')
  t.match(again.body.errorCauses[0].errorSummary, /ACTIVE/, 'the cause names the status')

  const pending = await emuFetch(emu, 'POST', `/api/v1/users/${user.body.id}/factors`, { factorType: 'token:software:totp', provider: 'OKTA' })
  const v = await emuFetch(emu, 'POST', `/api/v1/users/${user.body.id}/factors/${pending.body.id}/verify`, { passCode: '123456' })
  t.equal(v.status, 400, 'verifying a PENDING_ACTIVATION factor')
  t.match(v.body.errorCauses[0].errorSummary, /PENDING_ACTIVATION/)
})

await t.test('lockout after lockoutThreshold consecutive failures, until unlocked', async (t) => {
  const emu = await withEmulator(t, { lockoutThreshold: 3 })
  // An ACTIVE user (with a password): unlock brings a user back to the status the lockout interrupted.
  const login = 'locked-active@example.com'
  const created = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login, email: login }, credentials: { password: { value: 'Sup3r-Secret1' } } })
  t.equal(created.body.status, 'ACTIVE')
  const userId = created.body.id as string
  const enrolled = await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  const factorId = enrolled.body.id as string
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${factorId}/lifecycle/activate`, { passCode: emu.totpCode(factorId) })).status, 200)
  emu.clock.advance(30_000)
  const V = `/api/v1/users/${userId}/factors/${factorId}/verify`
  const wrong = (): string => (emu.totpCode(factorId) === '000000' ? '111111' : '000000')
  const q = await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'first_award', answer: 'spelling bee' } })

  // A success resets the count.
  t.equal((await emuFetch(emu, 'POST', V, { passCode: wrong() })).status, 403)
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${q.body.id}/verify`, { answer: 'wrong answer' })).body.errorCode, 'E0000068', 'a wrong answer counts too')
  t.equal((await emuFetch(emu, 'POST', V, { passCode: emu.totpCode(factorId) })).status, 200)
  emu.clock.advance(30_000)

  for (let i = 0; i < 3; i++) t.equal((await emuFetch(emu, 'POST', V, { passCode: wrong() })).body.errorCode, 'E0000068', `failure ${i + 1}`)
  const locked = await emuFetch(emu, 'POST', V, { passCode: emu.totpCode(factorId) })
  t.equal(locked.status, 403)
  t.equal(locked.body.errorCode, 'E0000069')
  t.equal(locked.body.errorSummary, 'User Locked')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${q.body.id}/verify`, { answer: 'spelling bee' })).body.errorCode, 'E0000069', 'every factor of the user')
  emu.clock.advance(24 * 3600_000)
  t.equal((await emuFetch(emu, 'POST', V, { passCode: emu.totpCode(factorId) })).body.errorCode, 'E0000069', 'no time-based unlock')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${userId}`)).body.status, 'LOCKED_OUT')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users?filter=status%20eq%20%22LOCKED_OUT%22')).body.length, 1)

  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/lifecycle/unlock`)).status, 200)
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${userId}`)).body.status, 'ACTIVE')
  t.equal((await emuFetch(emu, 'POST', V, { passCode: emu.totpCode(factorId) })).status, 200, 'verifies again after unlock')
  // Okta's unlock also takes an ACTIVE user (200, failure count cleared); other statuses are 403 E0000032.
  const wrongCode = (): string => emu.totpCode(factorId) === '000000' ? '111111' : '000000'
  for (let i = 0; i < 2; i++) await emuFetch(emu, 'POST', V, { passCode: wrongCode() })
  const unlockActive = await emuFetch(emu, 'POST', `/api/v1/users/${userId}/lifecycle/unlock`)
  t.equal(unlockActive.status, 200, 'unlocking an ACTIVE user is allowed')
  t.equal(unlockActive.text, '{}')
  for (let i = 0; i < 2; i++) await emuFetch(emu, 'POST', V, { passCode: wrongCode() })
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${userId}`)).body.status, 'ACTIVE', 'the unlock cleared the two earlier failures')
  // Every other status: Okta's "Unlock forbidden exception", and the user is left as it was.
  const mkUser = async (name: string, query: string, extra: object, ops: string[]): Promise<string> => {
    const id = (await emuFetch(emu, 'POST', `/api/v1/users${query}`, { profile: { login: `${name}@example.com`, email: `${name}@example.com` }, ...extra })).body.id as string
    for (const op of ops) await emuFetch(emu, 'POST', `/api/v1/users/${id}/lifecycle/${op}`)
    return id
  }
  const pwd = { credentials: { password: { value: 'Sup3r-Secret1' } } }
  const others: Array<[string, string]> = [
    ['STAGED', await mkUser('unlock-staged', '?activate=false', {}, [])],
    ['PROVISIONED', await mkUser('unlock-prov', '', {}, [])],
    ['SUSPENDED', await mkUser('unlock-susp', '', pwd, ['suspend'])],
    ['DEPROVISIONED', await mkUser('unlock-deprov', '', pwd, ['deactivate'])],
    ['RECOVERY', await mkUser('unlock-recovery', '', pwd, ['reset_password?sendEmail=false'])],
    ['PASSWORD_EXPIRED', await mkUser('unlock-expired', '', pwd, ['expire_password'])],
  ]
  for (const [status, id] of others) {
    const r = await emuFetch(emu, 'POST', `/api/v1/users/${id}/lifecycle/unlock`)
    t.equal(r.status, 403, `unlocking a ${status} user`)
    t.match(r.body, { errorCode: 'E0000032', errorSummary: 'Unlock is not allowed for this user.', errorLink: 'E0000032', errorId: /^oae[\w-]{22}$/ }, status)
    t.same([Object.keys(r.body), r.body.errorCauses], [['errorCode', 'errorSummary', 'errorLink', 'errorId', 'errorCauses'], []], `${status}: Okta's envelope, no causes`)
    t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${id}`)).body.status, status, `${status}: unchanged`)
  }

  const never = await withEmulator(t, { lockoutThreshold: 0 })
  const n = await userWithTotp(never)
  for (let i = 0; i < 20; i++) {
    const r = await emuFetch(never, 'POST', `/api/v1/users/${n.userId}/factors/${n.factorId}/verify`, { passCode: never.totpCode(n.factorId) === '000000' ? '111111' : '000000' })
    if (r.body.errorCode !== 'E0000068') t.fail(`attempt ${i}: ${r.body.errorCode}`)
  }
  t.equal((await emuFetch(never, 'POST', `/api/v1/users/${n.userId}/factors/${n.factorId}/verify`, { passCode: never.totpCode(n.factorId) })).status, 200, 'lockoutThreshold 0: never locks')
})

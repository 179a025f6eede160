// Guards the attempt limits: our limiter locks a user out after N wrong codes with a retry time (on both
// stacks), a parallel burst of guesses cannot get past it, the window reopens on the injected clock; and
// Okta's own lockout (E0000069) and rate limit (429) reach the page as LOCKED_OUT and RATE_LIMITED.
import t from 'tap'
import { withEmulator } from '../helpers/emulator.js'
import { totp } from '../helpers/totp.js'
import { FACTORS, STACKS, USERS, passwordLogin, seedUsers, wrongCode } from '../helpers/strategy-stacks.js'
import { switchableAttemptStore } from '../helpers/store-contract.js'

const [ada] = USERS as [typeof USERS[0]]

for (const start of STACKS) {
  await t.test(`${start.name}: our limiter locks out after maxAttempts wrong codes`, async (t) => {
    const emu = await withEmulator(t, { seed: seedUsers() })
    const stack = await start(t, {
      strategy: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now, maxAttempts: 3, windowMs: 600_000 },
    })
    const code = (): string => totp(FACTORS.ada.secret, emu.clock.now())
    const jar = stack.jar()
    await passwordLogin(jar, ada)

    const first = await jar.fetch('/api/mfa', { form: { passCode: wrongCode(code()) } })
    t.match(first.json(), { code: 'INVALID_PASSCODE', attemptsRemaining: 2 })
    emu.clock.advance(60_000)
    const second = await jar.fetch('/api/mfa', { form: { passCode: wrongCode(code()) } })
    t.match(second.json(), { code: 'INVALID_PASSCODE', attemptsRemaining: 1 })
    const third = await jar.fetch('/api/mfa', { form: { passCode: wrongCode(code()) } })
    t.equal(third.status, 401, 'the Nth wrong code is still a wrong code (N failures, then the lockout)')
    t.match(third.json(), { code: 'INVALID_PASSCODE', attemptsRemaining: 0, retryAfterSeconds: 540 }, 'the last attempt of the window says when to retry')
    t.match(third.json().message, /9 minutes/)

    const fourth = await jar.fetch('/api/mfa', { form: { passCode: wrongCode(code()) } })
    t.equal(fourth.status, 403)
    t.match(fourth.json(), { code: 'LOCKED_OUT', retryAfterSeconds: 540 }, 'after maxAttempts failures: locked out with the retry time')
    t.match(fourth.json().message, /9 minutes/)

    const right = await jar.fetch('/api/mfa', { form: { passCode: code() } })
    t.match(right.json(), { code: 'LOCKED_OUT', retryAfterSeconds: 540 }, 'even the right code waits')
    t.equal((await jar.fetch('/api/data')).status, 401)

    emu.clock.advance(540_000)
    const after = await jar.fetch('/api/mfa', { form: { passCode: code() } })
    t.equal(after.status, 200, 'the window reopened')
    t.equal((await jar.fetch('/api/data')).status, 200)
  })

  await t.test(`${start.name}: an attempt store that cannot be reached refuses the attempt (error 503 STORE_UNAVAILABLE)`, async (t) => {
    const emu = await withEmulator(t, { seed: seedUsers() })
    const { store, setDown } = switchableAttemptStore()
    const stack = await start(t, { strategy: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now, store } })
    const jar = stack.jar()
    await passwordLogin(jar, ada)
    const code = totp(FACTORS.ada.secret, emu.clock.now())
    const refused = await jar.fetch('/api/mfa', { form: { passCode: code } })
    t.equal(refused.status, 503)
    t.same(refused.json(), { error: 'STORE_UNAVAILABLE' })
    t.match(stack.errors, [{ code: 'STORE_UNAVAILABLE', status: 503, retryable: true }], 'an MfaError reached the error handler')
    t.equal((await jar.fetch('/api/data')).status, 401, 'no MFA step')
    setDown(false)
    t.equal((await jar.fetch('/api/mfa', { form: { passCode: code } })).status, 200, 'the same code works after: Okta never heard it')
  })

  await t.test(`${start.name}: a parallel burst of guesses reaches Okta at most maxAttempts times`, async (t) => {
    // Okta (the emulator) locks the user for good after 5 consecutive failures; 20 parallel guesses
    // must not get there, or the right code below would meet E0000069.
    const emu = await withEmulator(t, { seed: seedUsers(), lockoutThreshold: 5 })
    const stack = await start(t, {
      strategy: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now, maxAttempts: 3, windowMs: 60_000 },
    })
    const jar = stack.jar()
    await passwordLogin(jar, ada)
    const guess = wrongCode(totp(FACTORS.ada.secret, emu.clock.now()))
    const answers = await Promise.all(Array.from({ length: 20 }, async () => (await jar.fetch('/api/mfa', { form: { passCode: guess } })).json().code as string))
    t.equal(answers.filter((c) => c === 'INVALID_PASSCODE').length, 3)
    t.equal(answers.filter((c) => c === 'LOCKED_OUT').length, 17)
    emu.clock.advance(60_000)
    const right = await jar.fetch('/api/mfa', { form: { passCode: totp(FACTORS.ada.secret, emu.clock.now()) } })
    t.equal(right.status, 200, 'Okta never saw more than 3 failures')
  })
}

await t.test('Okta lockout and rate limit map to LOCKED_OUT and RATE_LIMITED', async (t) => {
  for (const start of STACKS) {
    const emu = await withEmulator(t, { seed: seedUsers(), lockoutThreshold: 2, rateLimits: { windowMs: 60_000, limits: { verify: 3 } } })
    const stack = await start(t, { strategy: { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now, limiter: false } })
    const jar = stack.jar()
    await passwordLogin(jar, ada)
    const bad = (): string => wrongCode(totp(FACTORS.ada.secret, emu.clock.now()))
    const answers: unknown[] = []
    for (let i = 0; i < 4; i++) answers.push((await jar.fetch('/api/mfa', { form: { passCode: bad() } })).json())
    t.match(answers[0], { code: 'INVALID_PASSCODE' }, start.name)
    t.match(answers[2], { code: 'LOCKED_OUT' }, `${start.name}: Okta locked the user`)
    t.notOk((answers[2] as { retryAfterSeconds?: number }).retryAfterSeconds, 'an Okta lockout has no retry time (an admin unlocks)')
    t.match(answers[3], { code: 'RATE_LIMITED' }, `${start.name}: the fourth verify in a minute is over Okta's limit`)
    t.ok((answers[3] as { retryAfterSeconds: number }).retryAfterSeconds > 0, 'with a retry time')
    t.same(stack.errors, [])
  }
})

// "Remember this device" (@okta-mfa/core's RememberedDevices): the signed cookie bound to the user and to their
// factors, its lifetime, "forget remembered devices" across instances sharing a store, never a step-up; then both
// guards (Express and Fastify) honouring it, and the plain step-up guard refusing it.
import { createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import express from 'express'
import session from 'express-session'
import t from 'tap'
import {
  MemoryRevocationStore, RememberedDevices, StoreUnavailableError, factorFingerprint, forgetRememberedDevices, getMfaState, isRememberedMfa,
  readCookie, recordMfa, revokeUserSessions, activeFactorIdsOf, DEFAULT_REMEMBER_DAYS, MAX_DEVICE_COOKIE_LENGTH, type RevocationStore,
} from '@okta-mfa/core'
import { createOktaClient } from '@okta-mfa/client'
import { requireMfa, requireMfaFastify } from 'passport-okta-mfa'
import { emuFetch, userWithTotp, withEmulator } from '../helpers/emulator.js'
import { CookieJar, listenLoopback } from '../helpers/http.js'
import { STACKS, USERS, passwordLogin, seedUsers, FACTORS } from '../helpers/strategy-stacks.js'

const secret = randomBytes(32)
const ada = { id: 'u1', username: 'ada' }
const eve = { id: 'u9', username: 'eve' }

function setup (overrides: Partial<ConstructorParameters<typeof RememberedDevices>[0]> = {}): { devices: RememberedDevices, factors: Map<string, string[]>, clock: { now: number } } {
  const clock = { now: Date.UTC(2030, 0, 1) }
  const factors = new Map<string, string[]>([['u1', ['ost1', 'mbl1']], ['u9', ['ost9']]])
  const devices = new RememberedDevices({
    secret,
    clock: () => clock.now,
    activeFactorIds: async (user) => factors.get((user as { id: string }).id) ?? [],
    ...overrides,
  })
  return { devices, factors, clock }
}

await t.test('a device cookie is signed, bound to the user and to their factors, and expires', async (t) => {
  const { devices, factors, clock } = setup()
  const value = await devices.issue(ada, 'ost1')
  const ok = await devices.check(value, ada)
  t.equal(ok?.factorId, 'ost1')
  t.equal(ok?.expiresAt, clock.now + DEFAULT_REMEMBER_DAYS * 86_400_000, '30 days by default')
  t.equal(await devices.check(value, eve), undefined, 'another user cannot use it')
  const [body, mac] = value.split('.') as [string, string]
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), exp: clock.now + 1e12 })).toString('base64url')
  t.equal(await devices.check(`${forged}.${mac}`, ada), undefined, 'a changed payload fails the signature')
  t.equal(await devices.check(`${body}.${mac.slice(0, -2)}AA`, ada), undefined, 'a changed signature fails')
  // Node's base64url decoder reads these as the same bytes as the signature: only the signature as issued passes.
  const lastBits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const sameBytes = lastBits[lastBits.indexOf(mac.at(-1)!) ^ 1]!
  for (const altered of [`.${mac}`, `${mac}.`, `${mac.slice(0, 10)}%${mac.slice(10)}`, `${mac}=`, `${mac.slice(0, -1)}${sameBytes}`,
    // a character whose low byte is the signature's (as a percent-decoded cookie could carry)
    `${String.fromCharCode(0x100 + mac.charCodeAt(0))}${mac.slice(1)}`]) {
    t.equal(await devices.check(`${body}.${altered}`, ada), undefined, `the signature written otherwise (${JSON.stringify(altered.slice(-4))}) fails`)
  }
  // '+' and '/' for '-' and '_': a cookie is issued again (each has a random id) until its signature has one of them
  let withDash = value
  while (!/[-_]/.test(withDash.split('.')[1]!)) withDash = await devices.issue(ada, 'ost1')
  const [dashBody, dashMac] = withDash.split('.') as [string, string]
  t.ok(await devices.check(withDash, ada), 'the cookie as issued passes')
  t.equal(await devices.check(`${dashBody}.${dashMac.replace(/-/g, '+').replace(/_/g, '/')}`, ada), undefined, 'the signature in base64 rather than base64url fails')
  t.equal(await setup({ secret: randomBytes(32) }).devices.check(value, ada), undefined, 'another app secret: another key')
  // A rotation: the new secret first, the old kept in the list. The old cookies are honoured, new ones signed with the
  // new secret, and once the old one leaves the list its cookies are no longer honoured.
  const next = randomBytes(32)
  const rotating = setup({ secret: [next, secret] }).devices
  t.ok(await rotating.check(value, ada), 'a cookie signed under a secret still listed is honoured')
  const signedNew = await rotating.issue(ada, 'ost1')
  t.ok(await setup({ secret: next }).devices.check(signedNew, ada), 'a new cookie is signed under the first secret')
  t.equal(await devices.check(signedNew, ada), undefined, '...which the old secret alone does not honour')
  t.equal(await setup({ secret: [next] }).devices.check(value, ada), undefined, 'the old secret gone, its cookies go')
  t.equal(await devices.check('x'.repeat(5000), ada), undefined, 'oversized values are not parsed')
  t.ok(value.length < MAX_DEVICE_COOKIE_LENGTH / 2, `a real one is ${value.length} characters`)
  // A factor id that is none (a code sent without one leaves the request's undefined): refused, not signed into a
  // cookie that would never be honoured (or, past MAX_DEVICE_COOKIE_LENGTH, never read).
  for (const bad of [undefined, 5, '', '../x', 'f'.repeat(800)]) {
    await t.rejects(devices.issue(ada, bad as string), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /^"factorId" must be the id of the factor just verified/ }, `factorId ${JSON.stringify(bad)?.slice(0, 12)}`)
  }
  // A cookie signed with the secret whose factor id is none (signed by a release that let it through): not honoured,
  // so no MFA step is recorded with it. Re-signed here as the class signs (HKDF-SHA-256 key, HMAC-SHA-256).
  const key = Buffer.from(hkdfSync('sha256', secret, 'okta-mfa', 'remembered-device/v1', 32))
  const resigned = (fid: string): string => {
    const payload = JSON.parse(Buffer.from(value.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>
    const body = Buffer.from(JSON.stringify({ ...payload, fid })).toString('base64url')
    return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`
  }
  t.equal((await devices.check(resigned('ost1'), ada))?.factorId, 'ost1', 're-signed with a factor id: honoured (the signing is right)')
  t.equal(await devices.check(resigned('../x'), ada), undefined, 'with one that is no factor id: not honoured')
  t.equal(await devices.check('not-a-cookie', ada), undefined)

  factors.set('u1', ['mbl1', 'ost1'])
  t.ok(await devices.check(value, ada), 'the same factors in another order')
  factors.set('u1', ['ost1'])
  t.equal(await devices.check(value, ada), undefined, 'removing a factor forgets the device')
  factors.set('u1', ['ost1', 'mbl1', 'clf1'])
  t.equal(await devices.check(value, ada), undefined, 'adding a factor forgets the device')
  factors.set('u1', ['ost1', 'mbl1'])
  t.equal(await devices.check(value, ada), undefined, 'the change undone (the factor removed again): still forgotten, for good')
  clock.now += 1000
  const fresh = await devices.issue(ada, 'ost1')
  t.ok(await devices.check(fresh, ada), 'a device remembered after that works')
  clock.now += 30 * 86_400_000
  t.equal(await devices.check(value, ada), undefined, 'expired after its lifetime')
  t.equal(factorFingerprint(['a', 'b']), factorFingerprint(['b', 'a', 'a']))

  // Another instance (or a restart) with a shorter lifetime honours a cookie issued for 30 days only that long.
  const long = setup()
  const issued = await long.devices.issue(ada, 'ost1')
  const short = setup({ maxAgeDays: 1, clock: () => long.clock.now })
  t.equal((await short.devices.check(issued, ada))?.expiresAt, long.clock.now + 86_400_000, 'the shorter lifetime bounds its expiry')
  long.clock.now += 86_400_000 - 1
  t.ok(await short.devices.check(issued, ada), 'honoured within the shorter lifetime')
  long.clock.now += 1
  t.equal(await short.devices.check(issued, ada), undefined, 'not after it, though the cookie says 30 days')
  t.ok(await long.devices.check(issued, ada), 'the 30-day instance still honours it')
})

await t.test('the Set-Cookie header: httpOnly, SameSite=Lax, Secure on https, the configured lifetime', async (t) => {
  const { devices } = setup({ maxAgeDays: 7 })
  const header = devices.cookie('v.s', { secure: true })
  t.match(header, /^okta_mfa_device=v\.s; Path=\/; Max-Age=604800; HttpOnly; SameSite=Lax; Secure$/)
  t.notMatch(devices.cookie('v.s', { secure: false }), /Secure/)
  t.match(devices.clearCookie({ secure: false }), /Max-Age=0/)
  t.equal(readCookie('a=1; okta_mfa_device=v.s; b=2', 'okta_mfa_device'), 'v.s')
  t.equal(readCookie(undefined, 'okta_mfa_device'), undefined)
  t.throws(() => new RememberedDevices({ secret: 'short', activeFactorIds: async () => [] }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"secret"/ })
  t.throws(() => new RememberedDevices({ secret: [secret, 'short'], activeFactorIds: async () => [] }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"secret" option must be at least 32 bytes/ })
  t.throws(() => new RememberedDevices({ secret: [], activeFactorIds: async () => [] }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /"secret" option must be one secret or a list of 1 to 8/ })
  t.throws(() => new RememberedDevices({ secret: Array.from({ length: 9 }, () => randomBytes(32)), activeFactorIds: async () => [] }), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message: /list of 1 to 8/ })
  t.throws(() => new RememberedDevices({ secret, activeFactorIds: async () => [], maxAgeDays: 0 }), { message: /"maxAgeDays"/ })
  t.throws(() => new RememberedDevices({ secret, activeFactorIds: 'no' as never }), { message: /"activeFactorIds"/ })
  t.throws(() => new RememberedDevices({ secret, activeFactorIds: async () => [], cookieName: 'a b' }), { message: /"cookieName"/ })
  t.throws(() => requireMfa({ rememberedDevices: {} as never }), { name: 'TypeError', code: 'OKTA_MFA_PASSPORT_INVALID_OPTION', message: /"rememberedDevices"/ })
  t.throws(() => requireMfaFastify({ rememberedDevices: { honour: async () => undefined } as never }), { message: /"rememberedDevices"/ })
})

await t.test('forgetRememberedDevices writes the mark a RememberedDevices of the same userKey reads, for that user only', async (t) => {
  const store = new MemoryRevocationStore()
  const clock = { now: Date.UTC(2030, 0, 1) }
  const userKey = (u: unknown): string => `staff:${(u as { id: string }).id}`
  const devices = new RememberedDevices({ secret, store, userKey, clock: () => clock.now, activeFactorIds: async () => ['ost1'] })
  const bob = { id: 'u2' }
  const adas = await devices.issue(ada, 'ost1')
  const bobs = await devices.issue(bob, 'ost1')
  clock.now += 1000
  await forgetRememberedDevices(store, ada, { clock: () => clock.now })
  t.ok(await devices.check(adas, ada), 'a mark under the default key forgets nothing of a custom-keyed device')
  await forgetRememberedDevices(store, ada, { userKey, clock: () => clock.now })
  t.equal(await devices.check(adas, ada), undefined, "ada's device is forgotten")
  t.ok(await devices.check(bobs, bob), "bob's is not")
  clock.now += 1000
  t.ok(await devices.check(await devices.issue(ada, 'ost1'), ada), 'a device remembered afterwards works')
  // A wiring mistake is a TypeError naming it, never a forget written under the wrong key or a store "outage".
  for (const [what, call, message] of [
    ['a misspelt option', () => forgetRememberedDevices(store, ada, { userkey: userKey } as never), /^"userkey" is not an option of forgetRememberedDevices$/],
    ['no store', () => forgetRememberedDevices(undefined as never, ada), /^"store" must implement RevocationStore$/],
    ['a store without revokeUser', () => forgetRememberedDevices({} as never, ada), /^"store" must implement RevocationStore$/],
    ['a userKey that is not a function', () => forgetRememberedDevices(store, ada, { userKey: 'id' as never }), /^"userKey" option must be a function$/],
    ['a clock that is not a function', () => forgetRememberedDevices(store, ada, { clock: 5 as never }), /^"clock" option must be a function$/],
  ] as const) {
    await t.rejects(call(), { name: 'TypeError', code: 'OKTA_MFA_INVALID_OPTION', message }, what)
  }
})

await t.test('"forget remembered devices" holds on every instance sharing the store', async (t) => {
  const store = new MemoryRevocationStore()
  const clock = { now: Date.UTC(2030, 0, 1) }
  const make = (): RememberedDevices => new RememberedDevices({ secret, store, clock: () => clock.now, activeFactorIds: async () => ['ost1'] })
  const one = make()
  const two = make()
  const value = await one.issue(ada, 'ost1')
  t.ok(await two.check(value, ada), 'the other instance honours it')
  clock.now += 1000
  await one.forgetAll(ada)
  t.equal(await two.check(value, ada), undefined, 'forgotten on the other instance too')
  clock.now += 1000
  const fresh = await two.issue(ada, 'ost1')
  t.ok(await two.check(fresh, ada), 'a device remembered afterwards works')
  clock.now += 1000
  await revokeUserSessions(store, 'device:u1', { clock: () => clock.now }) // "sign out everywhere" of a user named like the mark
  await revokeUserSessions(store, 'u1', { clock: () => clock.now }) // and of ada herself: sessions, not devices
  t.ok(await two.check(fresh, ada), "no user's session revocation forgets ada's devices")

  // An instance with a shorter lifetime forgets: the mark outlives it, so a 30-day instance does not honour the
  // forgotten cookie again once a day has passed.
  const shared = new MemoryRevocationStore({ clock: () => clock.now })
  const long = new RememberedDevices({ secret, store: shared, clock: () => clock.now, activeFactorIds: async () => ['ost1'] })
  const short = new RememberedDevices({ secret, store: shared, clock: () => clock.now, maxAgeDays: 1, activeFactorIds: async () => ['ost1'] })
  const kept = await long.issue(ada, 'ost1')
  clock.now += 1000
  await short.forgetAll(ada)
  for (const days of [2, 10, 29]) {
    clock.now += (days === 2 ? 2 : days === 10 ? 8 : 19) * 86_400_000
    t.equal(await long.check(kept, ada), undefined, `still forgotten on the 30-day instance after ${days} days`)
  }
  const down: RevocationStore = {
    revokeSession: async () => { throw new StoreUnavailableError() },
    revokeUser: async () => { throw new StoreUnavailableError() },
    isRevoked: async () => { throw new StoreUnavailableError() },
  }
  const broken = new RememberedDevices({ secret, store: down, activeFactorIds: async () => ['ost1'] })
  await t.rejects(broken.check(await broken.issue(ada, 'ost1'), ada), { code: 'STORE_UNAVAILABLE' }, 'a store that cannot answer fails closed')
  const own: RevocationStore = {
    revokeSession: async () => { throw new Error('redis://:hunter2@10.0.0.5 refused') },
    revokeUser: async () => { throw new Error('redis://:hunter2@10.0.0.5 refused') },
    isRevoked: async () => { throw new Error('redis://:hunter2@10.0.0.5 refused') },
  }
  const ownDown = new RememberedDevices({ secret, store: own, activeFactorIds: async () => ['ost1'] })
  for (const call of [ownDown.check(await ownDown.issue(ada, 'ost1'), ada), ownDown.forgetAll(ada), forgetRememberedDevices(own, ada)]) {
    const err = await call.then(() => undefined, (e: unknown) => e) as Error
    t.match(err, { code: 'STORE_UNAVAILABLE' }, "a store of the app's own failing with its own error: the same outage")
    t.notMatch(err.message, /hunter2/)
  }
})

await t.test('Okta failing while the factors are listed means "ask for the code"; a store outage or a bug still rejects', async (t) => {
  // A real client against a port nothing listens on: the connection error Okta being down gives.
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const { port } = closed.address() as AddressInfo
  await new Promise<void>((resolve) => closed.close(() => { resolve() }))
  const okta = createOktaClient({ orgUrl: `http://127.0.0.1:${port}`, token: 'x'.repeat(40), allowInsecureHttp: true })
  t.teardown(async () => { await okta.close() })
  // Issued while Okta answered (same secret, same factors); checked by an instance whose factor listing fails.
  const healthy = new RememberedDevices({ secret, activeFactorIds: async () => ['ost1'] })
  const cookieOf = async (): Promise<string> => await healthy.issue(ada, 'ost1')
  const oktaDown = new RememberedDevices({ secret, activeFactorIds: async () => (await okta.listFactors('00uada')).map((f) => f.id) })
  const value = await cookieOf()
  t.equal(await oktaDown.check(value, ada), undefined, 'not remembered: the user is asked for a code')
  const req = { session: {} as Record<string, unknown>, user: ada, headers: { cookie: `${oktaDown.cookieName}=${value}` } }
  t.equal(await oktaDown.honour(req), undefined, 'honour() too, so both front doors ask for the code')
  t.equal(getMfaState(req), undefined, 'and no MFA step is recorded')
  const storeDown = new RememberedDevices({ secret, activeFactorIds: async () => { throw new StoreUnavailableError() } })
  await t.rejects(storeDown.check(await cookieOf(), ada), { code: 'STORE_UNAVAILABLE' }, 'a store outage fails closed')
  const bug = new RememberedDevices({ secret, activeFactorIds: async () => { throw new TypeError('a bug') } })
  await t.rejects(bug.check(await cookieOf(), ada), { name: 'TypeError', message: 'a bug' }, 'a bug is not hidden')
})

await t.test('a user Okta would not let sign in (suspended, deactivated, locked out) is never remembered', async (t) => {
  const emu = await withEmulator(t)
  const okta = createOktaClient({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true })
  t.teardown(async () => { await okta.close() })
  let { userId, factorId } = await userWithTotp(emu, 'grace@example.com')
  const grace = { id: userId }
  const devices = new RememberedDevices({ secret, clock: emu.clock.now, userKey: (u) => (u as { id: string }).id, activeFactorIds: async (user) => await activeFactorIdsOf(okta, (user as { id: string }).id) })
  const status = async (): Promise<string> => (await emuFetch(emu, 'GET', `/api/v1/users/${userId}`)).body.status as string
  const lifecycle = async (step: string): Promise<void> => { t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/lifecycle/${step}`)).status, 200, step) }
  t.equal(await status(), 'STAGED', 'made without credentials, as this project makes them')
  t.same(await activeFactorIdsOf(okta, userId), [factorId])
  let cookie = await devices.issue(grace, factorId)
  t.ok(await devices.check(cookie, grace), 'STAGED: remembered')
  // A factor being set up (enrolled, not yet activated) is not one of the user's factors yet: the device stays remembered.
  const pending = await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15555550123' } })
  t.equal(pending.body.status, 'PENDING_ACTIVATION')
  t.same(await activeFactorIdsOf(okta, userId), [factorId], 'a factor pending activation does not count')
  t.ok(await devices.check(cookie, grace), 'still remembered while another factor is being set up')

  await lifecycle('activate')
  t.equal(await status(), 'PROVISIONED')
  t.ok(await devices.check(cookie, grace), 'PROVISIONED: remembered')
  // A user made with a password is ACTIVE, the status an administrator may suspend.
  const made = await emuFetch(emu, 'POST', '/api/v1/users?activate=true', { profile: { login: 'heidi@example.com', email: 'heidi@example.com', firstName: 'Heidi', lastName: 'L' }, credentials: { password: { value: 'Correct-Horse-9' } } })
  userId = made.body.id as string
  const heidi = { id: userId }
  factorId = (await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body.id as string
  await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${factorId}/lifecycle/activate`, { passCode: emu.totpCode(factorId) })
  t.equal(await status(), 'ACTIVE')
  emu.clock.advance(30_000)
  cookie = await devices.issue(heidi, factorId)
  t.ok(await devices.check(cookie, heidi), 'ACTIVE: remembered')
  await lifecycle('suspend')
  t.same(await activeFactorIdsOf(okta, userId), [], 'SUSPENDED: no factor counts, though Okta lists them')
  t.equal((await okta.listFactors(userId)).length, 1, '(Okta does list them)')
  t.equal(await devices.check(cookie, heidi), undefined, 'SUSPENDED: not remembered')
  const req = { session: {} as Record<string, unknown>, user: heidi, headers: { cookie: `${devices.cookieName}=${cookie}` } }
  t.equal(await devices.honour(req), undefined, 'honour() records no MFA step')
  t.equal(getMfaState(req, { userKey: (u) => (u as { id: string }).id }), undefined)
  await lifecycle('unsuspend')
  t.ok(await devices.check(cookie, heidi), 'unsuspended: remembered again (a refusal forgets nothing; the factors did not change)')
  emu.clock.advance(1000)
  cookie = await devices.issue(heidi, factorId)
  t.ok(await devices.check(cookie, heidi), 'a device remembered afterwards works')

  // Okta's own lockout: five wrong codes in a row.
  for (let i = 0; i < 5; i++) await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${factorId}/verify`, { passCode: '000000' })
  t.equal(await status(), 'LOCKED_OUT')
  t.equal(await devices.check(cookie, heidi), undefined, 'LOCKED_OUT: not remembered')
  await lifecycle('unlock')
  emu.clock.advance(1000)
  cookie = await devices.issue(heidi, factorId)
  await lifecycle('deactivate')
  t.equal(await devices.check(cookie, heidi), undefined, 'DEPROVISIONED: not remembered')
})

await t.test('activeFactorIds is handed the request being served (honour, and check or issue given one), to read its session', async (t) => {
  const seen: unknown[] = []
  const devices = new RememberedDevices({ secret, activeFactorIds: async (_user, request) => { seen.push(request); return ['ost1'] } })
  const req = { user: ada, session: { oktaMfaUser: 'bound' } as Record<string, unknown>, headers: {} as Record<string, string> }
  const value = await devices.issue(ada, 'ost1', req)
  req.headers = { cookie: `okta_mfa_device=${value}` }
  await devices.honour(req)
  await devices.check(value, ada, req)
  await devices.check(value, ada)
  t.same(seen.map((r) => r === req), [true, true, true, false], 'issue, honour and check with a request: that request; check without one: undefined')
  t.equal(seen[3], undefined)
})

await t.test('honour records the MFA step of the code that remembered the device, marked as never fresh', async (t) => {
  const { devices, clock } = setup()
  const value = await devices.issue(ada, 'ost1')
  const issuedAt = clock.now
  clock.now += 3 * 86_400_000
  const req = { user: ada, session: {} as Record<string, unknown>, headers: { cookie: `okta_mfa_device=${value}` } }
  t.equal(isRememberedMfa(req), false)
  const state = await devices.honour(req)
  t.equal(state?.completedAt, issuedAt, 'the time of the real code, not now')
  t.match(getMfaState(req), { factorId: 'ost1', method: 'remembered' }, 'the factor of the code that remembered it, recorded as remembered')
  t.equal(isRememberedMfa(req), true, 'step-ups see it came from a remembered device')
  // Forgetting acts at the next sign-in (the README says so): the session the device opened keeps its step.
  await devices.forgetAll(ada)
  t.equal((await devices.honour(req))?.completedAt, issuedAt, 'a forget leaves the session the device opened')
  t.equal(await devices.honour({ user: ada, session: {}, headers: req.headers }), undefined, 'and refuses the next sign-in')
  recordMfa(req, { user: ada, factorId: 'ost1', method: 'form', now: clock.now })
  t.equal(isRememberedMfa(req), false, 'a fresh code clears the mark')
  const other = { user: eve, session: {}, headers: { cookie: `okta_mfa_device=${value}` } }
  t.equal(await devices.honour(other), undefined, "another user's session is not helped by it")
  t.equal(getMfaState(other), undefined)
})

for (const start of STACKS) {
  await t.test(`${start.name}: requireMfa honours a remembered device, a step-up guard does not`, async (t) => {
    const emu = await withEmulator(t, { seed: seedUsers() })
    const factorIds = new Map<string, string[]>([['u1', [FACTORS.ada.id]], ['u2', [FACTORS.bob.id]]])
    const devices = new RememberedDevices({ secret, clock: emu.clock.now, activeFactorIds: async (user) => factorIds.get((user as { id: string }).id) ?? [] })
    const strategy = { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now }
    const stack = await start(t, { strategy, guard: { clock: emu.clock.now, rememberedDevices: devices } })
    const stepUp = await start(t, { strategy, guard: { clock: emu.clock.now, maxAgeSeconds: 300, rememberedDevices: devices } })
    const [adaUser, bobUser] = USERS as [typeof USERS[0], typeof USERS[1]]
    const cookie = await devices.issue(adaUser, FACTORS.ada.id)

    /** A browser of `on` signed in with a password as `user`, holding `device` as its device cookie. */
    const browser = async (on: typeof stack, user: typeof adaUser, device?: string): Promise<ReturnType<typeof stack.jar>> => {
      const jar = on.jar()
      await passwordLogin(jar, user)
      if (device !== undefined) jar.cookies.set('okta_mfa_device', device)
      return jar
    }
    const plain = await browser(stack, adaUser)
    t.equal((await plain.fetch('/api/data')).status, 401, 'without the cookie: MFA required')

    const data = await (await browser(stack, adaUser, cookie)).fetch('/api/data')
    t.equal(data.status, 200, 'with it: through')
    t.equal(data.json().mfa.factorId, FACTORS.ada.id)

    t.equal((await (await browser(stack, bobUser, cookie)).fetch('/api/data')).status, 401, "ada's device cookie does nothing for bob")

    const refused = await (await browser(stepUp, adaUser, cookie)).fetch('/api/data')
    t.equal(refused.status, 401, 'never honoured for a step-up')
    t.equal(refused.json().code, 'MFA_REQUIRED')
    // Nor recorded by it: a page of the same app whose guard takes no remembered device still asks for a code.
    const both = await browser(stepUp, adaUser, cookie)
    t.equal((await both.fetch('/api/plain')).status, 401, 'a plain guard: MFA required')
    t.equal((await both.fetch('/api/data')).status, 401, 'the step-up guard refuses')
    t.equal((await both.fetch('/api/plain')).status, 401, 'and the plain guard still does: nothing was recorded')

    factorIds.set('u1', [FACTORS.ada.id, 'mblnew00000000000001'])
    const later = await browser(stack, adaUser, cookie)
    t.equal((await later.fetch('/api/data')).status, 401, 'a factor added since: forgotten')
  })
}

await t.test('one app: a step the plain guard honoured from a device cookie is refused by its step-up guard, however fresh', async (t) => {
  const { devices, clock } = setup()
  const app = express()
  app.use(session({ secret: 'x'.repeat(32), resave: false, saveUninitialized: false }))
  app.use((req, _res, next) => { (req as unknown as { user: unknown }).user = ada; next() })
  app.get('/remembered', requireMfa({ rememberedDevices: devices, clock: () => clock.now }), (_req, res) => { res.json({ ok: true }) })
  app.get('/sensitive', requireMfa({ maxAgeSeconds: 300, clock: () => clock.now }), (_req, res) => { res.json({ ok: true }) })
  const jar = new CookieJar(await listenLoopback(t, app))
  jar.cookies.set(devices.cookieName, await devices.issue(ada, 'ost1'))
  t.equal((await jar.fetch('/remembered')).status, 200, 'the device cookie stands for a code on the plain guard, which records the step')
  const sensitive = await jar.fetch('/sensitive')
  t.equal(sensitive.status, 401, 'the step-up guard of the same session refuses that step, though it is seconds old')
  t.match(sensitive.json(), { code: 'MFA_REQUIRED', stepUp: true })
})

void t.test('an instance from another installed copy of @okta-mfa/core is accepted by the guards and the gateway', async (t) => {
  // A second instance of the module (what two installed copies of the package amount to): a different class.
  const url = new URL('../../packages/mfa-core/dist/remembered-device.js', import.meta.url)
  const copy = await import(`${url.href}?second-copy`) as { RememberedDevices: typeof RememberedDevices }
  t.not(copy.RememberedDevices, RememberedDevices, 'really another class')
  const other = new copy.RememberedDevices({ secret, activeFactorIds: async () => ['ost1'] })
  t.ok(other instanceof RememberedDevices, 'instanceof holds across copies')
  t.ok(new RememberedDevices({ secret, activeFactorIds: async () => [] }) instanceof copy.RememberedDevices, 'both ways')
  t.doesNotThrow(() => requireMfa({ rememberedDevices: other }), 'the Express guard takes it')
  t.doesNotThrow(() => requireMfaFastify({ rememberedDevices: other }), 'the Fastify guard takes it')

  const forged = { [Symbol.for('@okta-mfa/core.RememberedDevices.v1')]: true }
  t.notOk(forged instanceof RememberedDevices, 'the mark alone is not enough')
  t.notOk({ honour () {}, check () {}, issue () {} } instanceof RememberedDevices, 'nor the methods alone')
  t.throws(() => requireMfa({ rememberedDevices: forged as never }), { message: /"rememberedDevices" option must be a RememberedDevices/ })
  const { oktaMfaGateway } = await import('@okta-mfa/gateway')
  const { default: Fastify } = await import('fastify')
  const { default: secureSession } = await import('@fastify/secure-session')
  for (const [value, ok] of [[other, true], [forged, false]] as const) {
    const app = Fastify()
    await app.register(secureSession, { key: secret })
    const err = await (async () => {
      await app.register(oktaMfaGateway, { orgUrl: 'https://dev-1.okta.com', token: 't', rememberedDevices: value as never })
      await app.ready()
    })().then(() => undefined, (e: unknown) => e)
    if (ok) t.equal(err, undefined, 'the gateway plugin takes it')
    else t.match(err, { message: /"rememberedDevices" option must be a RememberedDevices/ }, 'and refuses the forgery')
    await app.close()
  }
})

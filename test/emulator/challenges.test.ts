// Guards the factors whose codes travel outside the API — sms, voice call, email — and push:
// codes land in the outbox (emulator.messages() and GET /__emulator/messages), verify without a
// passCode answers 200 CHALLENGE, Okta's resend throttles (E0000109 / E0000133 / E0000118), code
// expiry after tokenLifetimeSeconds, no resend past the activation limit, push's 201 WAITING with
// approve/reject on the "phone" (number matching too), and unenrolling as Okta does it (an ACTIVE
// phone factor's number kept as a recovery phone).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { emuFetch, withEmulator, type TestEmulator } from '../helpers/emulator.js'

async function newUser (emu: TestEmulator, login: string): Promise<string> {
  const r = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login, email: login } })
  return r.body.id as string
}

const CHANNELS = [
  { factorType: 'sms', profile: { phoneNumber: '+1-555-415-1337' }, to: '+1-555-415-1337', wait: 30_000, tooSoon: 'E0000109', summary: 'An SMS message was recently sent. Please wait 30 seconds before trying again.' },
  { factorType: 'call', profile: { phoneNumber: '+1-555-415-1338', phoneExtension: '1234' }, to: '+1-555-415-1338', wait: 30_000, tooSoon: 'E0000133', summary: 'A phone call was recently made. Please wait 30 seconds before trying again.' },
  { factorType: 'email', profile: { email: 'EMAIL@example.com' }, to: 'EMAIL@example.com', wait: 5_000, tooSoon: 'E0000118', summary: 'An email was recently sent. Please wait 5 seconds before trying again.' },
] as const

for (const c of CHANNELS) {
  await t.test(`${c.factorType}: enroll, activate, challenge, throttle, expiry`, async (t) => {
    const emu = await withEmulator(t)
    const userId = await newUser(emu, `${c.factorType}@example.com`)
    const F = `/api/v1/users/${userId}/factors`
    const enrolled = await emuFetch(emu, 'POST', F, { factorType: c.factorType, provider: 'OKTA', profile: c.profile })
    t.equal(enrolled.body.status, 'PENDING_ACTIVATION')
    const factorId = enrolled.body.id as string
    const first = emu.lastMessage({ factorId })!
    t.match(first, { channel: c.factorType, to: c.to, userId, factorId, code: /^\d{6}$/, sentAt: new Date(emu.clock.now()).toISOString() }, 'enrollment sends a code')

    const tooSoon = await emuFetch(emu, 'POST', `${F}/${factorId}/resend`, { factorType: c.factorType, provider: 'OKTA', profile: c.profile })
    t.equal(tooSoon.status, 429)
    t.equal(tooSoon.body.errorCode, c.tooSoon)
    t.equal(tooSoon.body.errorSummary, c.summary)
    t.equal(tooSoon.headers.get('x-rate-limit-remaining'), '0')
    t.equal(tooSoon.headers.get('x-rate-limit-reset'), String(Math.ceil((emu.clock.now() + c.wait) / 1000)), 'X-Rate-Limit-Reset says when the next code may go')
    emu.clock.advance(c.wait)
    // The body names another phone or address: the code still goes to the factor's own (README, Decisions).
    const elsewhere = c.factorType === 'email' ? { email: 'other@example.com' } : { phoneNumber: '+1-555-999-0000' }
    const resent = await emuFetch(emu, 'POST', `${F}/${factorId}/resend`, { factorType: c.factorType, provider: 'OKTA', profile: elsewhere })
    t.equal(resent.status, 200, `resend after ${c.wait / 1000} s`)
    const second = emu.lastMessage({ factorId })!
    t.not(second.id, first.id)
    t.equal(second.to, c.to, 'to the factor\'s own phone or address, not the one in the body')
    if (first.code !== second.code) {
      t.equal((await emuFetch(emu, 'POST', `${F}/${factorId}/lifecycle/activate`, { passCode: first.code })).body.errorCode, 'E0000068', 'a resend replaces the earlier code')
    }
    const numeric = await emuFetch(emu, 'POST', `${F}/${factorId}/lifecycle/activate`, { passCode: Number(second.code) })
    t.same([numeric.status, numeric.body.errorCauses[0].errorSummary], [400, 'passCode: Does not match required type string'], 'a number is a type error, as on verify')
    t.equal((await emuFetch(emu, 'POST', `${F}/${factorId}/lifecycle/activate`, {})).body.errorCauses[0].errorSummary, 'passCode: The field cannot be left blank')
    t.equal((await emuFetch(emu, 'POST', `${F}/${factorId}/lifecycle/activate`, { passCode: second.code })).body.status, 'ACTIVE')

    // Right after activation (no clock move): the enrollment code does not hold back the first challenge.
    const challenge = await emuFetch(emu, 'POST', `${F}/${factorId}/verify`, '', { 'content-type': 'application/json' })
    t.equal(challenge.status, 200, 'empty body with a JSON content type = no passCode; no throttle after activation')
    t.equal(challenge.body.factorResult, 'CHALLENGE')
    const again = await emuFetch(emu, 'POST', `${F}/${factorId}/verify`)
    t.equal(again.status, 429, 'a second challenge too soon')
    t.equal(again.body.errorCode, c.tooSoon)
    const code = emu.lastMessage({ factorId })!.code
    t.same((await emuFetch(emu, 'POST', `${F}/${factorId}/verify`, { passCode: code })).body, { factorResult: 'SUCCESS' })
    t.equal((await emuFetch(emu, 'POST', `${F}/${factorId}/verify`, { passCode: code })).body.errorCode, 'E0000082', 'a code works once')

    // Expiry: default 300 s; tokenLifetimeSeconds shortens it.
    emu.clock.advance(c.wait)
    await emuFetch(emu, 'POST', `${F}/${factorId}/verify`)
    emu.clock.advance(300_000)
    t.equal((await emuFetch(emu, 'POST', `${F}/${factorId}/verify`, { passCode: emu.lastMessage({ factorId })!.code })).body.errorCode, 'E0000068', 'expired after 300 s')
    await emuFetch(emu, 'POST', `${F}/${factorId}/verify?tokenLifetimeSeconds=60`)
    emu.clock.advance(59_999)
    const short = emu.lastMessage({ factorId })!.code
    t.equal((await emuFetch(emu, 'POST', `${F}/${factorId}/verify`, { passCode: short })).status, 200, 'valid until tokenLifetimeSeconds')
    emu.clock.advance(c.wait)
    await emuFetch(emu, 'POST', `${F}/${factorId}/verify?tokenLifetimeSeconds=60`)
    emu.clock.advance(60_000)
    t.equal((await emuFetch(emu, 'POST', `${F}/${factorId}/verify`, { passCode: emu.lastMessage({ factorId })!.code })).body.errorCode, 'E0000068', 'then refused')
  })
}

await t.test('sms, call, email: a code lives up to tokenLifetimeSeconds=86400 (no longer), and wrong codes count toward the lockout', async (t) => {
  for (const c of CHANNELS) {
    const emu = await withEmulator(t, { lockoutThreshold: 2 })
    const userId = await newUser(emu, `${c.factorType}@example.com`)
    const F = `/api/v1/users/${userId}/factors`
    const factorId = (await emuFetch(emu, 'POST', F, { factorType: c.factorType, provider: 'OKTA', profile: c.profile })).body.id as string
    t.equal((await emuFetch(emu, 'POST', `${F}/${factorId}/lifecycle/activate`, { passCode: emu.lastMessage({ factorId })!.code })).body.status, 'ACTIVE')
    const V = `${F}/${factorId}/verify`
    t.equal((await emuFetch(emu, 'POST', `${V}?tokenLifetimeSeconds=86401`)).status, 400, `${c.factorType}: over a day is refused (Okta's maximum is 86400)`)
    t.equal((await emuFetch(emu, 'POST', `${V}?tokenLifetimeSeconds=86400`)).body.factorResult, 'CHALLENGE', `${c.factorType}: a day is taken`)
    emu.clock.advance(86_399_999)
    t.same((await emuFetch(emu, 'POST', V, { passCode: emu.lastMessage({ factorId })!.code })).body, { factorResult: 'SUCCESS' }, `${c.factorType}: the code holds for the whole day`)

    // The README: the lockoutThreshold-th consecutive failure of any factor locks the user.
    emu.clock.advance(c.wait)
    t.equal((await emuFetch(emu, 'POST', V)).body.factorResult, 'CHALLENGE')
    const code = emu.lastMessage({ factorId })!.code
    const wrong = code === '000000' ? '111111' : '000000'
    for (let i = 0; i < 2; i++) t.equal((await emuFetch(emu, 'POST', V, { passCode: wrong })).body.errorCode, 'E0000068', `${c.factorType}: wrong code ${i + 1}`)
    t.equal((await emuFetch(emu, 'POST', V, { passCode: code })).body.errorCode, 'E0000069', `${c.factorType}: locked, the right code too`)
    t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${userId}`)).body.status, 'LOCKED_OUT')
  }
})

await t.test('past the activation limit, resend is refused too (429 E0000047)', async (t) => {
  const emu = await withEmulator(t)
  const userId = await newUser(emu, 'limit@example.com')
  const F = `/api/v1/users/${userId}/factors`
  const sms = await emuFetch(emu, 'POST', F, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550000009' } })
  const code = emu.lastMessage({ factorId: sms.body.id })!.code
  const wrong = code === '000000' ? '111111' : '000000'
  const firstFailure = emu.clock.now()
  for (let i = 0; i < 5; i++) t.equal((await emuFetch(emu, 'POST', `${F}/${sms.body.id}/lifecycle/activate`, { passCode: wrong })).body.errorCode, 'E0000068')
  t.equal((await emuFetch(emu, 'POST', `${F}/${sms.body.id}/lifecycle/activate`, { passCode: wrong })).status, 429, 'the sixth try')
  t.not((await emuFetch(emu, 'GET', `/api/v1/users/${userId}`)).body.status, 'LOCKED_OUT', 'wrong activation codes count towards the activation limit, never towards the lockout')
  emu.clock.advance(30_000) // past the sms resend throttle: only the activation limit stands in the way
  const resend = await emuFetch(emu, 'POST', `${F}/${sms.body.id}/resend`, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550000009' } })
  t.same([resend.status, resend.body.errorCode], [429, 'E0000047'], 'no resend past the activation limit')
  t.equal(resend.headers.get('x-rate-limit-reset'), String(Math.ceil((firstFailure + 5 * 60_000) / 1000)), 'until the oldest failure is 5 minutes old')
  t.equal(emu.messages({ factorId: sms.body.id }).length, 1, 'nothing sent')
  emu.clock.set(firstFailure + 5 * 60_000)
  t.equal((await emuFetch(emu, 'POST', `${F}/${sms.body.id}/resend`, {})).status, 200, 'then resend works again')
})

await t.test('unenroll: not for a deactivated user; push takes the Okta Verify TOTP with it', async (t) => {
  const emu = await withEmulator(t)
  const userId = await newUser(emu, 'unenroll@example.com')
  const F = `/api/v1/users/${userId}/factors`
  const enroll = async (body: object): Promise<string> => (await emuFetch(emu, 'POST', F, body)).body.id
  await enroll({ factorType: 'token:software:totp', provider: 'OKTA' })
  const google = await enroll({ factorType: 'token:software:totp', provider: 'GOOGLE' })
  const question = await enroll({ factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })
  const push = await enroll({ factorType: 'push', provider: 'OKTA' })
  t.equal((await emuFetch(emu, 'DELETE', `${F}/${push}`)).status, 204)
  const left = (await emuFetch(emu, 'GET', F)).body.map((f: { id: string }) => f.id)
  t.same(left, [google, question], 'the OKTA TOTP went with push (Okta: unenrolling push unenrolls the other Okta Verify factors)')
  await emuFetch(emu, 'POST', `/api/v1/users/${userId}/lifecycle/deactivate`)
  const refused = await emuFetch(emu, 'DELETE', `${F}/${google}`)
  t.same([refused.status, refused.body.errorCode], [403, 'E0000038'], 'no unenrolling for a DEPROVISIONED user, as no enrolling')
  t.equal((await emuFetch(emu, 'GET', F)).body.length, 2, 'nothing was removed')
})

await t.test("an email factor goes to the user's primary or secondary address only (Okta's schema), of at most 100 characters", async (t) => {
  const emu = await withEmulator(t)
  const userId = (await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'mail@example.com', email: 'mail@example.com', secondEmail: 'Other.Mail@example.org' } })).body.id as string
  const F = `/api/v1/users/${userId}/factors`
  const enroll = async (email?: string): Promise<{ status: number, body: any }> =>
    await emuFetch(emu, 'POST', F, { factorType: 'email', provider: 'OKTA', ...(email === undefined ? {} : { profile: { email } }) })
  for (const stranger of ['stranger@example.org', `${'a'.repeat(90)}@example.org`]) {
    const r = await enroll(stranger)
    t.same([r.status, r.body.errorCode], [400, 'E0000001'], stranger.slice(0, 20))
    if (stranger.length <= 100) t.same([r.body.errorSummary, r.body.errorCauses], ['Api validation failed: Only verified primary or secondary email can be enrolled.', []], "Okta's documented answer")
    t.notMatch(JSON.stringify(r.body), stranger, 'the address is not echoed')
  }
  t.equal((await enroll(`${'a'.repeat(90)}@example.com`)).body.errorCauses[0].errorSummary, 'email: Does not match required pattern', 'over 100 characters')
  const second = await enroll('other.mail@EXAMPLE.org')
  t.same([second.status, second.body.profile.email], [200, 'other.mail@EXAMPLE.org'], 'the secondary address, in any case')
  await emuFetch(emu, 'DELETE', `${F}/${second.body.id as string}`)
  const primary = await enroll()
  t.same([primary.status, primary.body.profile.email], [200, 'mail@example.com'], 'without one: the primary address')
})

await t.test('enroll options: activate=true, updatePhone, one factor per type', async (t) => {
  const emu = await withEmulator(t)
  const userId = await newUser(emu, 'opts@example.com')
  const F = `/api/v1/users/${userId}/factors`
  const active = await emuFetch(emu, 'POST', `${F}?activate=true`, { factorType: 'email', provider: 'OKTA', profile: { email: 'opts@example.com' } })
  t.equal(active.body.status, 'ACTIVE', 'activate=true skips activation')
  t.same(emu.messages({ userId }), [], 'and sends nothing')
  const sms = await emuFetch(emu, 'POST', F, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550000001' } })
  const dup = await emuFetch(emu, 'POST', F, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550000002' } })
  t.equal(dup.body.errorCode, 'E0000001')
  t.same(dup.body.errorCauses, [{ errorSummary: 'There is an existing verified phone number.' }], 'a pending text message: another number without updatePhone')
  const updated = await emuFetch(emu, 'POST', `${F}?updatePhone=true`, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550000002' } })
  t.equal(updated.body.id, sms.body.id, 'updatePhone keeps the factor')
  t.equal(updated.body.profile.phoneNumber, '+15550000002')
  t.equal(emu.lastMessage({ factorId: sms.body.id })!.to, '+15550000002')
  t.equal((await emuFetch(emu, 'GET', F)).body.length, 2)
  // One code per phone number every 30 s: the same number again is a resend by another route, refused as one.
  const again = await emuFetch(emu, 'POST', `${F}?updatePhone=true`, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550000002' } })
  t.same([again.status, again.body.errorCode], [429, 'E0000109'], 'the same number within 30 s: 429 E0000109')
  // The wait is the phone's: however the number is written, and for a number this factor had before.
  for (const phoneNumber of ['+1 555-000-0002', '+1.555.000.0002', '+1 (555) 000-0002', '+15550000001']) {
    const other = await emuFetch(emu, 'POST', `${F}?updatePhone=true`, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber } })
    t.same([other.status, other.body.errorCode], [429, 'E0000109'], `${phoneNumber} within 30 s: 429 E0000109`)
  }
  t.equal(emu.messages({ factorId: sms.body.id }).length, 2, 'and nothing sent')
  emu.clock.advance(30_000)
  const later = await emuFetch(emu, 'POST', `${F}?updatePhone=true`, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550000002' } })
  t.same([later.status, emu.messages({ factorId: sms.body.id }).length], [200, 3], 'past the wait: a new code')
  // Past the factor's activation limit no code goes out again for it, updatePhone included (to a new number too).
  for (let i = 0; i < 5; i++) await emuFetch(emu, 'POST', `${F}/${sms.body.id}/lifecycle/activate`, { passCode: '000000' })
  emu.clock.advance(30_000)
  const limited = await emuFetch(emu, 'POST', `${F}?updatePhone=true`, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550000009' } })
  t.same([limited.status, limited.body.errorCode], [429, 'E0000047'], 'after 5 wrong activations: 429 E0000047')
  t.same([emu.messages({ factorId: sms.body.id }).length, (await emuFetch(emu, 'GET', `${F}/${sms.body.id}`)).body.profile.phoneNumber], [3, '+15550000002'], 'nothing sent, the number kept')
  const totp = await emuFetch(emu, 'POST', `${F}/${active.body.id}/resend`, {})
  t.equal(totp.status, 400, 'resend of an ACTIVE factor')

  // updatePhone with activate=true: active at once, and the code sent to the old number is void.
  const call = await emuFetch(emu, 'POST', F, { factorType: 'call', provider: 'OKTA', profile: { phoneNumber: '+15550000003' } })
  const oldCode = emu.lastMessage({ factorId: call.body.id })!.code
  const moved = await emuFetch(emu, 'POST', `${F}?updatePhone=true&activate=true`, { factorType: 'call', provider: 'OKTA', profile: { phoneNumber: '+15550000004' } })
  t.same([moved.body.id, moved.body.status, emu.messages({ factorId: call.body.id }).length], [call.body.id, 'ACTIVE', 1], 'the same factor, ACTIVE, nothing sent to the new number')
  const stale = await emuFetch(emu, 'POST', `${F}/${call.body.id}/verify`, { passCode: oldCode })
  t.same([stale.status, stale.body.errorCode], [403, 'E0000068'], 'the enrollment code sent to the old number does not verify')
  const first = await emuFetch(emu, 'POST', `${F}/${call.body.id}/verify`)
  t.same([first.status, first.body.factorResult, emu.lastMessage({ factorId: call.body.id })!.to], [200, 'CHALLENGE', '+15550000004'], 'the first challenge goes at once, to the new number')
  const blank = await emuFetch(emu, 'POST', `${F}/${call.body.id}/verify`, { passCode: '' })
  t.same([blank.status, blank.body.errorCode, blank.body.errorCauses], [400, 'E0000001', [{ errorSummary: 'passCode: The field cannot be left blank' }]], 'a blank passCode is refused')
  t.equal(emu.messages({ factorId: call.body.id }).length, 2, 'and sends no new code')
  const none = await emuFetch(emu, 'POST', `${F}/${active.body.id}/verify`, { passCode: null })
  t.same([none.status, none.body.factorResult], [200, 'CHALLENGE'], 'a null passCode is none: a challenge (email)')
})

await t.test('updatePhone is ignored when the number belongs to an ACTIVE factor', async (t) => {
  const emu = await withEmulator(t)
  const userId = await newUser(emu, 'phones@example.com')
  const F = `/api/v1/users/${userId}/factors`
  for (const factorType of ['sms', 'call'] as const) {
    const active = await emuFetch(emu, 'POST', `${F}?activate=true`, { factorType, provider: 'OKTA', profile: { phoneNumber: '+15551110000' } })
    t.equal(active.body.status, 'ACTIVE')
    const sent = emu.messages({ factorId: active.body.id }).length
    const plain = await emuFetch(emu, 'POST', F, { factorType, provider: 'OKTA', profile: { phoneNumber: '+15552220000' } })
    const update = await emuFetch(emu, 'POST', `${F}?updatePhone=true`, { factorType, provider: 'OKTA', profile: { phoneNumber: '+15552220000' } })
    t.equal(update.status, 400, `${factorType}: answered as a second enrollment without updatePhone`)
    t.same([update.body.errorCode, update.body.errorSummary, update.body.errorCauses], [plain.body.errorCode, plain.body.errorSummary, plain.body.errorCauses])
    // Okta's factors reference, "Existing Phone": a text message to another number names the phone; a voice call
    // to another number gets the generic cause there.
    t.same(update.body.errorCauses, [{ errorSummary: factorType === 'sms' ? 'There is an existing verified phone number.' : 'A factor of this type is already set up.' }])
    const same = await emuFetch(emu, 'POST', F, { factorType, provider: 'OKTA', profile: { phoneNumber: '+1 555-111-0000' } })
    t.same([same.status, same.body.errorCauses], [400, [{ errorSummary: 'A factor of this type is already set up.' }]], `${factorType}: the same number is a second enrollment`)
    const after = (await emuFetch(emu, 'GET', `${F}/${active.body.id}`)).body
    t.same([after.status, after.profile.phoneNumber], ['ACTIVE', '+15551110000'], `${factorType}: the ACTIVE factor keeps its number and status`)
    t.equal(emu.messages({ factorId: active.body.id }).length, sent, `${factorType}: no code sent`)
  }
  // A PENDING_ACTIVATION factor still takes the new number (and a new code).
  const other = await newUser(emu, 'pending-phone@example.com')
  const G = `/api/v1/users/${other}/factors`
  const pending = await emuFetch(emu, 'POST', G, { factorType: 'call', provider: 'OKTA', profile: { phoneNumber: '+15553330000' } })
  emu.clock.advance(30_000)
  const moved = await emuFetch(emu, 'POST', `${G}?updatePhone=true`, { factorType: 'call', provider: 'OKTA', profile: { phoneNumber: '+15554440000' } })
  t.same([moved.status, moved.body.id, moved.body.status, moved.body.profile.phoneNumber], [200, pending.body.id, 'PENDING_ACTIVATION', '+15554440000'])
  t.equal(emu.lastMessage({ factorId: pending.body.id })!.to, '+15554440000')
})

await t.test('an unenrolled ACTIVE phone factor leaves its number as a recovery phone, which an enrollment without one takes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'emu-phone-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const dataFile = join(dir, 'state.json')
  const emu = await withEmulator(t, { dataFile })
  const userId = await newUser(emu, 'recovery@example.com')
  const F = `/api/v1/users/${userId}/factors`
  const bare = async (e: TestEmulator, factorType: 'sms' | 'call'): Promise<[number, string | undefined, string | undefined]> => {
    const r = await emuFetch(e, 'POST', F, { factorType, provider: 'OKTA' })
    return [r.status, r.body.profile?.phoneNumber ?? r.body.errorCauses?.[0]?.errorSummary, r.body.status]
  }
  t.same(await bare(emu, 'sms'), [400, 'phoneNumber: Invalid Phone Number.', undefined], 'no number and none kept: 400')

  // A pending factor's number was never verified: nothing is kept.
  const pending = await emuFetch(emu, 'POST', F, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550009999' } })
  t.equal((await emuFetch(emu, 'DELETE', `${F}/${pending.body.id as string}`)).status, 204)
  t.same((await bare(emu, 'sms'))[0], 400, 'a pending factor leaves no recovery phone')

  const sms = await emuFetch(emu, 'POST', F, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15551230000' } })
  emu.clock.advance(30_000)
  const act = await emuFetch(emu, 'POST', `${F}/${sms.body.id as string}/lifecycle/activate`, { passCode: emu.lastMessage({ factorId: sms.body.id })!.code })
  t.equal(act.body.status, 'ACTIVE')
  t.equal((await emuFetch(emu, 'DELETE', `${F}/${sms.body.id as string}`)).status, 204)
  t.same((await bare(emu, 'call'))[0], 400, 'a text-message phone is not a voice-call one')
  await emu.close()

  // The kept number outlives a restart, and an enrollment without a number takes it: pending, with a code sent there.
  const again = await withEmulator(t, { dataFile })
  const re = await emuFetch(again, 'POST', F, { factorType: 'sms', provider: 'OKTA' })
  t.same([re.status, re.body.profile?.phoneNumber, re.body.status], [200, '+15551230000', 'PENDING_ACTIVATION'], 'Okta\'s "enroll with the existing phone number"')
  t.not(re.body.id, sms.body.id, 'a new factor')
  t.equal(again.lastMessage({ factorId: re.body.id })!.to, '+15551230000', 'the code goes to the kept number')
  await emuFetch(again, 'DELETE', `${F}/${re.body.id as string}`)
  t.same((await bare(again, 'sms')).slice(0, 2), [200, '+15551230000'], 'deleting the pending one keeps the number it took')
  const current = (await emuFetch(again, 'GET', F)).body.find((f: { factorType: string }) => f.factorType === 'sms')
  await emuFetch(again, 'POST', `${F}/${current.id as string}/lifecycle/activate`, { passCode: again.lastMessage({ factorId: current.id })!.code })

  // removeRecoveryEnrollment=true removes the number with the factor.
  t.equal((await emuFetch(again, 'DELETE', `${F}/${current.id as string}?removeRecoveryEnrollment=true`)).status, 204)
  t.same((await bare(again, 'sms'))[0], 400, 'removeRecoveryEnrollment=true: nothing kept')

  // A call factor keeps its own; a number given wins over the kept one.
  const call = await emuFetch(again, 'POST', `${F}?activate=true`, { factorType: 'call', provider: 'OKTA', profile: { phoneNumber: '+15557770000' } })
  await emuFetch(again, 'DELETE', `${F}/${call.body.id as string}?removeRecoveryEnrollment=false`)
  const given = await emuFetch(again, 'POST', F, { factorType: 'call', provider: 'OKTA', profile: { phoneNumber: '+15558880000' } })
  t.same([given.status, given.body.profile?.phoneNumber], [200, '+15558880000'], 'a number given is used')
  await emuFetch(again, 'DELETE', `${F}/${given.body.id as string}`)
  t.same((await bare(again, 'call')).slice(0, 2), [200, '+15557770000'], 'the kept call number is still there')
  t.same((await bare(again, 'sms'))[0], 400, 'and gives no text-message phone')
})

await t.test('GET /__emulator/messages, and messages() and lastMessage()', async (t) => {
  const emu = await withEmulator(t)
  const a = await newUser(emu, 'a@example.com')
  const b = await newUser(emu, 'b@example.com')
  await emuFetch(emu, 'POST', `/api/v1/users/${a}/factors`, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+15550000001' } })
  await emuFetch(emu, 'POST', `/api/v1/users/${b}/factors`, { factorType: 'email', provider: 'OKTA', profile: { email: 'b@example.com' } })
  const all = await emuFetch(emu, 'GET', '/__emulator/messages')
  t.equal(all.status, 200)
  t.same(all.body, emu.messages())
  t.equal(all.body.length, 2)
  t.same((await emuFetch(emu, 'GET', `/__emulator/messages?userId=${b}`)).body.map((m: { channel: string }) => m.channel), ['email'])
  t.same((await emuFetch(emu, 'GET', '/__emulator/messages?channel=sms')).body.map((m: { userId: string }) => m.userId), [a])
  t.equal((await emuFetch(emu, 'GET', '/__emulator/messages?channel=fax')).status, 400)
  // The README's row as written: an empty value filters nothing.
  t.same((await emuFetch(emu, 'GET', '/__emulator/messages?userId=&factorId=&channel=')).body, all.body, 'empty filters: the whole outbox')
  t.same((await emuFetch(emu, 'GET', `/__emulator/messages?userId=${a}&channel=`)).body.map((m: { channel: string }) => m.channel), ['sms'], 'one filter given, one empty')
  t.same(emu.messages({ channel: 'sms' }).map((m) => m.userId), [a])
  t.equal(emu.lastMessage({ userId: b })?.channel, 'email')
  const bad: Array<[unknown, RegExp]> = [
    [null, /^messages: "filter" must be an object \{ userId\?, factorId\?, channel\? \} or absent, got null$/],
    ['sms', /got string$/],
    [[], /got an array$/],
    [{ userID: a }, /^messages: "filter" has no field "userID"/],
    [{ userId: 5 }, /^messages: "filter\.userId" must be a string$/],
    [{ channel: 'fax' }, /^messages: "filter\.channel" must be sms, call or email$/],
  ]
  for (const [filter, message] of bad) t.throws(() => emu.messages(filter as object), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION', message }, JSON.stringify(filter))
  t.throws(() => emu.lastMessage(null as unknown as object), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION', message: /^lastMessage: "filter"/ })
  t.equal((await emuFetch(emu, 'DELETE', '/__emulator/messages')).status, 204)
  t.same(emu.messages(), [])
})

await t.test('push: 201 WAITING, poll, approve / reject / timeout', async (t) => {
  const emu = await withEmulator(t)
  const userId = await newUser(emu, 'push@example.com')
  const F = `/api/v1/users/${userId}/factors`
  const push = await emuFetch(emu, 'POST', F, { factorType: 'push', provider: 'OKTA' })
  t.equal(push.body.status, 'PENDING_ACTIVATION')
  const qr = await fetch(push.body._embedded.activation._links.qrcode.href)
  t.equal(qr.headers.get('content-type'), 'image/png')
  const poll = push.body._links.poll.href as string
  t.equal((await emuFetch(emu, 'POST', new URL(poll).pathname)).body._embedded.activation.factorResult, 'WAITING')
  t.equal((await emuFetch(emu, 'POST', `/__emulator/factors/${push.body.id}/activate`)).status, 200, 'the "phone" scans the QR code')
  t.equal((await emuFetch(emu, 'POST', new URL(poll).pathname)).body.status, 'ACTIVE')
  t.equal((await fetch(push.body._embedded.activation._links.qrcode.href)).status, 404, 'the QR code is gone once active')

  const V = `${F}/${push.body.id}/verify`
  const waiting = await emuFetch(emu, 'POST', V)
  t.equal(waiting.status, 201)
  t.equal(waiting.body.factorResult, 'WAITING')
  const tx = new URL(waiting.body._links.poll.href).pathname
  const txId = tx.split('/').pop()!
  t.equal((await emuFetch(emu, 'GET', tx)).body.factorResult, 'WAITING')
  t.same((await emuFetch(emu, 'POST', `/__emulator/push/${txId}/approve`)).body, { factorResult: 'SUCCESS' })
  t.same((await emuFetch(emu, 'GET', tx)).body, { factorResult: 'SUCCESS' })
  t.equal((await emuFetch(emu, 'POST', `/__emulator/push/${txId}/reject`)).status, 400, 'a settled transaction stays settled')

  t.notOk('_embedded' in waiting.body, 'a plain push has no challenge')

  // A number matching challenge: the two-digit answer in the 201 and the poll; the "phone" still approves it.
  const nmc = await emuFetch(emu, 'POST', V, { useNumberMatchingChallenge: true })
  t.equal(nmc.status, 201)
  const answer = nmc.body._embedded.challenge.correctAnswer
  t.ok(Number.isInteger(answer) && answer >= 10 && answer <= 99, `correctAnswer ${answer as number}`)
  const nmcTx = new URL(nmc.body._links.poll.href).pathname
  t.same((await emuFetch(emu, 'GET', nmcTx)).body._embedded, { challenge: { correctAnswer: answer } })
  emu.approvePush(nmcTx.split('/').pop()!)
  t.same((await emuFetch(emu, 'GET', nmcTx)).body, { factorResult: 'SUCCESS' })
  t.equal((await emuFetch(emu, 'POST', V, { useNumberMatchingChallenge: 'yes' })).status, 400)

  const rejected = new URL((await emuFetch(emu, 'POST', V)).body._links.poll.href).pathname
  await emuFetch(emu, 'POST', `/__emulator/push/${rejected.split('/').pop()}/reject`)
  t.equal((await emuFetch(emu, 'GET', rejected)).body.factorResult, 'REJECTED')

  const slow = new URL((await emuFetch(emu, 'POST', V)).body._links.poll.href).pathname
  emu.clock.advance(5 * 60_000)
  t.equal((await emuFetch(emu, 'GET', slow)).body.factorResult, 'TIMEOUT', 'five minutes without an answer')
  const late = new URL((await emuFetch(emu, 'POST', V)).body._links.cancel.href).pathname
  emu.clock.advance(5 * 60_000)
  t.equal((await emuFetch(emu, 'DELETE', late)).status, 204, 'cancelled once timed out, never polled')
  t.equal((await emuFetch(emu, 'GET', late)).body.factorResult, 'TIMEOUT', 'still TIMEOUT, as a poll before the cancel said')

  const cancelled = new URL((await emuFetch(emu, 'POST', V)).body._links.cancel.href).pathname
  t.equal((await emuFetch(emu, 'DELETE', cancelled)).status, 204)
  t.equal((await emuFetch(emu, 'GET', cancelled)).body.factorResult, 'REJECTED')
  // Each of those was followed by a later push: an answered transaction still polls as answered, a slow one TIMEOUT.
  t.same((await emuFetch(emu, 'GET', tx)).body, { factorResult: 'SUCCESS' }, 'approved, then another push started: still SUCCESS')
  t.equal((await emuFetch(emu, 'GET', rejected)).body.factorResult, 'REJECTED')
  t.equal((await emuFetch(emu, 'GET', slow)).body.factorResult, 'TIMEOUT')
  t.equal((await emuFetch(emu, 'POST', `/__emulator/push/${txId}/approve`)).status, 400, 'and stays settled')
  t.equal((await emuFetch(emu, 'GET', `${F}/${push.body.id}/transactions/v2mst.nope`)).status, 404)
  t.equal((await emuFetch(emu, 'POST', '/__emulator/push/v2mst.nope/approve')).status, 404)
})

await t.test('a seeded pending push waits to be scanned for 10 minutes from the start, as an enrolled one does', async (t) => {
  const userId = '00useededpush0000001'
  const emu = await withEmulator(t, { seed: [{ id: userId, login: 'seeded-push@example.com', factors: [{ factorType: 'push', status: 'PENDING_ACTIVATION' }] }] })
  const F = `/api/v1/users/${userId}/factors`
  const [factor] = (await emuFetch(emu, 'GET', F)).body as Array<{ id: string, status: string, _embedded: { activation: { factorResult: string, expiresAt: string, _links: { qrcode: { href: string } } } } }>
  t.equal(factor!.status, 'PENDING_ACTIVATION')
  t.equal(factor!._embedded.activation.factorResult, 'WAITING', 'not born expired')
  t.equal(factor!._embedded.activation.expiresAt, new Date(Math.floor(emu.clock.now() / 1000) * 1000 + 10 * 60_000).toISOString())
  t.equal((await fetch(factor!._embedded.activation._links.qrcode.href)).headers.get('content-type'), 'image/png', 'its QR code is served')
  emu.clock.advance(10 * 60_000)
  t.equal((await emuFetch(emu, 'GET', `${F}/${factor!.id}`)).body._embedded.activation.factorResult, 'TIMEOUT', 'then it expires')
  emu.clock.advance(-1)
  emu.activatePush(factor!.id)
  t.equal((await emuFetch(emu, 'GET', `${F}/${factor!.id}`)).body.status, 'ACTIVE', 'activatePush completes it within the 10 minutes')
})

await t.test('a push approved after the user is locked out, suspended or deactivated never polls SUCCESS', async (t) => {
  const emu = await withEmulator(t, { lockoutThreshold: 5 })
  const CASES = [
    { how: 'lockout', errorCode: 'E0000069', errorSummary: 'User Locked', undo: 'unlock' },
    { how: 'suspend', errorCode: 'E0000038', undo: 'unsuspend' },
    { how: 'deactivate', errorCode: 'E0000038', undo: 'activate?sendEmail=false' },
  ] as const
  for (const c of CASES) {
    const created = await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: `${c.how}@example.com`, email: `${c.how}@example.com` }, credentials: { password: { value: 'Sup3r-Secret1' } } })
    t.equal(created.body.status, 'ACTIVE')
    const userId = created.body.id as string
    const F = `/api/v1/users/${userId}/factors`
    const question = (await emuFetch(emu, 'POST', F, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })).body.id as string
    const push = (await emuFetch(emu, 'POST', F, { factorType: 'push', provider: 'OKTA' })).body.id as string
    emu.activatePush(push)
    const started = await emuFetch(emu, 'POST', `${F}/${push}/verify`)
    t.equal(started.status, 201, `${c.how}: the push waits`)
    const poll = new URL(started.body._links.poll.href as string).pathname
    const txId = poll.split('/').pop()!
    if (c.how === 'lockout') for (let i = 0; i < 5; i++) await emuFetch(emu, 'POST', `${F}/${question}/verify`, { answer: 'wrong' })
    else t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/lifecycle/${c.how}`)).status, 200, c.how)
    const verify = await emuFetch(emu, 'POST', `${F}/${question}/verify`, { answer: 'mayonnaise' })
    const refused = [403, c.errorCode]
    t.same([verify.status, verify.body.errorCode], refused, `${c.how}: a new verify is refused`)
    const waiting = await emuFetch(emu, 'GET', poll)
    t.same([waiting.status, waiting.body.errorCode], refused, `${c.how}: the poll is answered as the verify is`)
    if (c.how === 'lockout') t.equal(waiting.body.errorSummary, 'User Locked')
    if (c.how === 'suspend') emu.approvePush(txId)
    else t.same((await emuFetch(emu, 'POST', `/__emulator/push/${txId}/approve`)).body, { factorResult: 'REJECTED' }, `${c.how}: the approval counts for nothing`)
    const approved = await emuFetch(emu, 'GET', poll)
    t.same([approved.status, approved.body.errorCode], refused, `${c.how}: approved, the poll is still refused`)
    t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${userId}`)).body.lastLogin, null, `${c.how}: the approval is no login`)
    // Once the user may verify again, the old transaction is REJECTED, never SUCCESS.
    t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/lifecycle/${c.undo}`)).status, 200, c.undo)
    const after = await emuFetch(emu, 'GET', poll)
    t.same([after.status, after.body.factorResult], [200, 'REJECTED'], `${c.how}, then ${c.undo}: REJECTED`)
  }
})

await t.test('an approved push ends the run of failures; a deactivated user cannot activate, resend or change an answer; a call extension Okta can dial', async (t) => {
  const emu = await withEmulator(t, { lockoutThreshold: 5 })
  const userId = await newUser(emu, 'pushrun@example.com')
  const F = `/api/v1/users/${userId}/factors`
  const question = (await emuFetch(emu, 'POST', F, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })).body.id as string
  const push = (await emuFetch(emu, 'POST', F, { factorType: 'push', provider: 'OKTA' })).body.id as string
  emu.activatePush(push)
  const wrong = async (): Promise<number> => (await emuFetch(emu, 'POST', `${F}/${question}/verify`, { answer: 'not it' })).status
  const before = (await emuFetch(emu, 'GET', `/api/v1/users/${userId}`)).body.status as string
  for (let i = 0; i < 4; i++) t.equal(await wrong(), 403)
  const tx = new URL((await emuFetch(emu, 'POST', `${F}/${push}/verify`)).body._links.poll.href).pathname
  emu.approvePush(tx.split('/').pop()!)
  t.equal(await wrong(), 403)
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${userId}`)).body.status, before, '4 wrong, an approved push, 1 wrong: not 5 in a row, not locked')
  t.ok((await emuFetch(emu, 'GET', `/api/v1/users/${userId}`)).body.lastLogin !== null, 'the approval is a login')

  const ext = async (phoneExtension: unknown): Promise<{ status: number, body: any }> =>
    await emuFetch(emu, 'POST', F, { factorType: 'call', provider: 'OKTA', profile: { phoneNumber: '+1-555-415-1339', phoneExtension } })
  for (const bad of ['abc', '1'.repeat(16), '12 34', '']) {
    const r = await ext(bad)
    t.same([r.status, r.body.errorCode, r.body.errorSummary], [400, 'E0000121', 'Invalid phone extension. Please enter a valid phone extension.'], `extension ${JSON.stringify(bad)}`)
  }
  t.equal((await ext('1'.repeat(15))).status, 200, 'fifteen digits')

  const sms = (await emuFetch(emu, 'POST', F, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+1-555-415-1340' } })).body.id as string
  const totp = (await emuFetch(emu, 'POST', F, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body.id as string
  emu.clock.advance(60_000)
  await emuFetch(emu, 'POST', `/api/v1/users/${userId}/lifecycle/deactivate`)
  const sent = emu.messages().length
  const activate = await emuFetch(emu, 'POST', `${F}/${totp}/lifecycle/activate`, { passCode: emu.totpCode(totp) })
  t.same([activate.status, activate.body.errorCode], [403, 'E0000038'], 'no activating for a DEPROVISIONED user')
  const resend = await emuFetch(emu, 'POST', `${F}/${sms}/resend`, {})
  t.same([resend.status, resend.body.errorCode], [403, 'E0000038'], 'no resending for a DEPROVISIONED user')
  t.equal(emu.messages().length, sent, 'no code went out')
  t.equal((await emuFetch(emu, 'GET', `${F}/${totp}`)).body.status, 'PENDING_ACTIVATION')
  const put = await emuFetch(emu, 'PUT', `${F}/${question}`, { profile: { question: 'first_award', answer: 'Spelling Bee Trophy' } })
  t.same([put.status, put.body.errorCode], [403, 'E0000038'], 'no new security answer for a DEPROVISIONED user')
  t.equal((await emuFetch(emu, 'GET', `${F}/${question}`)).body.profile.question, 'disliked_food', 'the question is as it was')

  // The first code of a factor is a verification: a user who may not verify now cannot activate with one either
  // (found by sequences: enroll sms, suspend, activate with the texted code, which made the factor ACTIVE).
  const held = (await emuFetch(emu, 'POST', '/api/v1/users', { profile: { login: 'held@example.com', email: 'held@example.com' }, credentials: { password: { value: 'Held-pass-1234' } } })).body.id as string
  const H = `/api/v1/users/${held}/factors`
  const heldSms = (await emuFetch(emu, 'POST', H, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+1-555-415-1341' } })).body.id as string
  const heldTotp = (await emuFetch(emu, 'POST', H, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body.id as string
  const heldQuestion = (await emuFetch(emu, 'POST', H, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })).body.id as string
  const texted = emu.lastMessage({ factorId: heldSms })!.code
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${held}/lifecycle/suspend`)).status, 200)
  for (const [id, passCode] of [[heldSms, texted], [heldTotp, emu.totpCode(heldTotp)]] as const) {
    const refused = await emuFetch(emu, 'POST', `${H}/${id}/lifecycle/activate`, { passCode })
    t.same([refused.status, refused.body.errorCode], [403, 'E0000038'], 'no activating for a SUSPENDED user')
  }
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${held}/lifecycle/unsuspend`)).status, 200)
  for (let i = 0; i < 5; i++) await emuFetch(emu, 'POST', `${H}/${heldQuestion}/verify`, { answer: 'not it' })
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${held}`)).body.status, 'LOCKED_OUT')
  const locked = await emuFetch(emu, 'POST', `${H}/${heldSms}/lifecycle/activate`, { passCode: texted })
  t.same([locked.status, locked.body.errorCode], [403, 'E0000069'], 'nor for a LOCKED_OUT one')
  t.same([(await emuFetch(emu, 'GET', `${H}/${heldSms}`)).body.status, (await emuFetch(emu, 'GET', `${H}/${heldTotp}`)).body.status], ['PENDING_ACTIVATION', 'PENDING_ACTIVATION'], 'both still pending')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${held}/lifecycle/unlock`)).status, 200)
  const unlocked = await emuFetch(emu, 'POST', `${H}/${heldSms}/lifecycle/activate`, { passCode: texted })
  t.same([unlocked.status, unlocked.body.status], [200, 'ACTIVE'], 'once unlocked, the same code activates')

  // The phone's side of a push enrollment is refused as the activate link is: enroll push, deactivate, activatePush.
  const other = await newUser(emu, 'pushgone@example.com')
  const pending = (await emuFetch(emu, 'POST', `/api/v1/users/${other}/factors`, { factorType: 'push', provider: 'OKTA' })).body.id as string
  await emuFetch(emu, 'POST', `/api/v1/users/${other}/lifecycle/deactivate`)
  const scanned = await emuFetch(emu, 'POST', `/__emulator/factors/${pending}/activate`)
  t.same([scanned.status, scanned.body.errorCode], [403, 'E0000038'], 'no push enrollment completes for a DEPROVISIONED user')
  let thrown: unknown
  try { emu.activatePush(pending) } catch (err) { thrown = err }
  t.match(thrown, { status: 403, errorCode: 'E0000038' }, 'activatePush throws it too')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${other}/factors/${pending}`)).body.status, 'PENDING_ACTIVATION')
})

await t.test('a push enrollment expires everywhere at once, and its activate link starts a new one', async (t) => {
  const emu = await withEmulator(t)
  const userId = await newUser(emu, 'pushexpiry@example.com')
  const F = `/api/v1/users/${userId}/factors`
  const push = await emuFetch(emu, 'POST', F, { factorType: 'push', provider: 'OKTA' })
  const id = push.body.id as string
  const oldQr = push.body._embedded.activation._links.qrcode.href as string
  t.equal(push.body._embedded.activation.expiresAt, new Date(emu.clock.now() + 10 * 60_000).toISOString())
  emu.clock.advance(10 * 60_000)

  const got = await emuFetch(emu, 'GET', `${F}/${id}`)
  t.equal(got.body._embedded.activation.factorResult, 'TIMEOUT', 'GET says TIMEOUT once past expiresAt')
  t.same(Object.keys(got.body._links).sort(), ['activate', 'poll', 'self', 'user'], 'with the activate link that restarts it')
  t.notOk('_links' in got.body._embedded.activation, 'and no QR code or send link any more')
  const listed = (await emuFetch(emu, 'GET', F)).body.find((f: { id: string }) => f.id === id)
  t.equal(listed._embedded.activation.factorResult, 'TIMEOUT', 'the list too')
  t.equal((await emuFetch(emu, 'POST', `${F}/${id}/lifecycle/activate/poll`)).body._embedded.activation.factorResult, 'TIMEOUT', 'the poll too')
  t.equal((await fetch(oldQr)).status, 404, 'the QR code is gone')
  const late = await emuFetch(emu, 'POST', `/__emulator/factors/${id}/activate`)
  t.same([late.status, late.body.errorCode], [400, 'E0000001'], 'the "phone" cannot complete an expired activation')
  t.equal((await emuFetch(emu, 'GET', `${F}/${id}`)).body.status, 'PENDING_ACTIVATION')

  const restarted = await emuFetch(emu, 'POST', new URL(got.body._links.activate.href).pathname)
  t.equal(restarted.status, 200)
  t.equal(restarted.body.status, 'PENDING_ACTIVATION')
  t.equal(restarted.body._embedded.activation.factorResult, 'WAITING', 'a new activation')
  t.equal(restarted.body._embedded.activation.expiresAt, new Date(emu.clock.now() + 10 * 60_000).toISOString(), 'with a new expiresAt')
  const newQr = restarted.body._embedded.activation._links.qrcode.href as string
  t.not(newQr, oldQr, 'and a new QR code')
  t.equal((await fetch(newQr)).status, 200)
  t.equal((await emuFetch(emu, 'POST', `/__emulator/factors/${id}/activate`)).status, 200, 'which the "phone" can scan')
  t.equal((await emuFetch(emu, 'GET', `${F}/${id}`)).body.status, 'ACTIVE')
  const again = await emuFetch(emu, 'POST', `${F}/${id}/lifecycle/activate`)
  t.same([again.status, again.body.errorCode], [400, 'E0000001'], 'an active push has nothing to restart')
})

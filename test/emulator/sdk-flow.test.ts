// Guards that Okta's official Node SDK (@okta/okta-sdk-nodejs 7) cannot tell the emulator from
// Okta: the seed's whole MFA flow, pagination through the SDK's collection iterator, and the
// SDK's own 429 retry driven by X-Rate-Limit-Reset and Date.
import t from 'tap'
import okta from '@okta/okta-sdk-nodejs'
import jsQRModule from 'jsqr'
import { PNG } from 'pngjs'
import { totp } from '../helpers/totp.js'
import { withEmulator } from '../helpers/emulator.js'
import { sdkError } from '../helpers/sdk.js'

// jsqr is CommonJS whose module.exports is the function (its typings only declare `default`).
const jsQR = jsQRModule as unknown as typeof jsQRModule.default


async function collect<T> (c: { each: (fn: (x: T) => void) => Promise<unknown> } | AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of c as AsyncIterable<T>) out.push(x)
  return out
}

await t.test('the seed flow through the official SDK', async (t) => {
  const emu = await withEmulator(t)
  // A trailing slash in orgUrl makes the SDK send //api/v1/...: the emulator must tolerate it.
  const client = new okta.Client({ orgUrl: `${emu.url}/`, token: emu.token })

  const user = await client.userApi.createUser({
    body: { profile: { login: 'dade.murphy@example.com', email: 'dade.murphy@example.com', firstName: 'Dade', lastName: 'Murphy' } },
    activate: false,
  })
  t.equal(user.status, 'STAGED', 'activate=false without credentials gives STAGED')
  t.match(user.id, /^00u[A-Za-z0-9]{17}$/)
  const byLogin = await client.userApi.getUser({ userId: 'dade.murphy@example.com' })
  t.equal(byLogin.id, user.id, 'a login works where an id is expected')
  const userId = user.id!

  const enrolled = await client.userFactorApi.enrollFactor({ userId, body: { factorType: 'token:software:totp', provider: 'GOOGLE' } })
  t.equal(enrolled.status, 'PENDING_ACTIVATION')
  const factorId = enrolled.id!
  const activation = (enrolled as unknown as { _embedded: { activation: { sharedSecret: string, keyLength: number, _links: { qrcode: { href: string } } } } })._embedded.activation
  t.equal(activation.keyLength, 6)

  // The QR code, fetched and decoded like an authenticator app would.
  const png = await fetch(activation._links.qrcode.href)
  t.equal(png.status, 200)
  t.equal(png.headers.get('content-type'), 'image/png')
  const image = PNG.sync.read(Buffer.from(await png.arrayBuffer()))
  const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height)
  t.ok(decoded, 'the PNG holds a QR code')
  const uri = new URL(decoded!.data)
  t.equal(uri.protocol, 'otpauth:')
  t.equal(uri.host, 'totp')
  t.equal(decodeURIComponent(uri.pathname), '/Okta Emulator:dade.murphy@example.com')
  t.equal(uri.searchParams.get('issuer'), 'Okta Emulator')
  const secret = uri.searchParams.get('secret')!
  t.equal(secret, activation.sharedSecret, 'the QR secret is the one in the enroll response')

  const activated = await client.userFactorApi.activateFactor({ userId, factorId, body: { passCode: totp(secret, emu.clock.now()) } })
  t.equal((activated as { status?: string }).status, 'ACTIVE')

  emu.clock.advance(30_000)
  const code = totp(secret, emu.clock.now())
  const ok = await client.userFactorApi.verifyFactor({ userId, factorId, body: { passCode: code } })
  t.equal(ok.factorResult, 'SUCCESS')

  const wrong = await sdkError(client.userFactorApi.verifyFactor({ userId, factorId, body: { passCode: code === '000000' ? '111111' : '000000' } }))
  t.equal(wrong.status, 403)
  t.equal(wrong.errorCode, 'E0000068')

  const replay = await sdkError(client.userFactorApi.verifyFactor({ userId, factorId, body: { passCode: code } }))
  t.equal(replay.status, 403)
  t.equal(replay.errorCode, 'E0000082', 'a code accepted once is refused')

  // sms: enrollment sends a code to the outbox; a verify without passCode sends another (CHALLENGE).
  const sms = await client.userFactorApi.enrollFactor({ userId, body: { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+1-555-415-1337' } } })
  t.equal(sms.status, 'PENDING_ACTIVATION')
  const enrollCode = emu.lastMessage({ factorId: sms.id! })
  t.equal(enrollCode?.to, '+1-555-415-1337')
  await client.userFactorApi.activateFactor({ userId, factorId: sms.id!, body: { passCode: enrollCode!.code } })
  emu.clock.advance(30_000)
  const challenge = await client.userFactorApi.verifyFactor({ userId, factorId: sms.id! })
  t.equal(challenge.factorResult, 'CHALLENGE')
  t.equal(emu.messages({ factorId: sms.id! }).length, 2)
  const smsOk = await client.userFactorApi.verifyFactor({ userId, factorId: sms.id!, body: { passCode: emu.lastMessage({ factorId: sms.id! })!.code } })
  t.equal(smsOk.factorResult, 'SUCCESS')

  // Security question.
  const questions = await collect<{ question?: string }>(await client.userFactorApi.listSupportedSecurityQuestions({ userId }))
  t.ok(questions.some((q) => q.question === 'disliked_food'))
  const question = await client.userFactorApi.enrollFactor({ userId, body: { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } } })
  t.equal(question.status, 'ACTIVE')
  const answered = await client.userFactorApi.verifyFactor({ userId, factorId: question.id!, body: { answer: 'mayonnaise' } })
  t.equal(answered.factorResult, 'SUCCESS')

  const catalog = await collect<{ factorType?: string, provider?: string }>(await client.userFactorApi.listSupportedFactors({ userId }))
  t.ok(catalog.some((c) => c.factorType === 'token:software:totp' && c.provider === 'GOOGLE'))
  t.same((await collect<{ factorType?: string }>(await client.userFactorApi.listFactors({ userId }))).map((f) => f.factorType),
    ['token:software:totp', 'sms', 'question'])

  await client.userFactorApi.unenrollFactor({ userId, factorId: question.id! })
  t.same((await collect<{ id?: string }>(await client.userFactorApi.listFactors({ userId }))).map((f) => f.id), [factorId, sms.id])
  const gone = await sdkError(client.userFactorApi.getFactor({ userId, factorId: question.id! }))
  t.equal(gone.status, 404)

  await client.userApi.resetFactors({ userId })
  t.same(await collect(await client.userFactorApi.listFactors({ userId })), [], 'reset_factors removes every factor')

  await client.userApi.deactivateUser({ userId })
  await client.userApi.deleteUser({ userId })
  t.equal((await sdkError(client.userApi.getUser({ userId }))).status, 404)
})

await t.test('pagination through the SDK collection iterator', async (t) => {
  const emu = await withEmulator(t)
  const client = new okta.Client({ orgUrl: emu.url, token: emu.token })
  const logins: string[] = []
  for (let i = 0; i < 7; i++) {
    const login = `page${i}@example.com`
    logins.push(login)
    await client.userApi.createUser({ body: { profile: { login, email: login } } })
  }
  const pages: string[] = []
  client.requestExecutor.on('request', (req: { url: string }) => { pages.push(req.url) })
  const seen = await collect<{ profile?: { login?: string } }>(await client.userApi.listUsers({ limit: 3 }))
  t.same(seen.map((u) => u.profile?.login), logins, 'every user, in order, once')
  t.ok(pages.filter((u) => u.includes('/api/v1/users')).length >= 3, 'the SDK followed Link rel="next" across 3 pages')
  // A search sorted by a long property: the cursors stay short enough for the SDK's Link parser (2,000 characters).
  for (const [i, login] of logins.slice(0, 3).entries()) {
    const user = await client.userApi.getUser({ userId: login })
    await client.userApi.updateUser({ userId: user.id!, user: { profile: { ...user.profile, postalAddress: `${'漢'.repeat(4000)}${2 - i}` } } })
  }
  const sorted = await collect<{ profile?: { login?: string } }>(await client.userApi.listUsers({ search: 'profile.postalAddress sw "漢"', sortBy: 'profile.postalAddress', limit: 1 }))
  t.same(sorted.map((u) => u.profile?.login), logins.slice(0, 3).reverse(), 'sorted by a 4,001-character value, page by page')
})

await t.test("the SDK's 429 retry succeeds once the window resets", async (t) => {
  const emu = await withEmulator(t, { rateLimits: { windowMs: 1000, limits: { users: 1 } } })
  const client = new okta.Client({ orgUrl: emu.url, token: emu.token })
  const backoffs: number[] = []
  // The SDK waits Reset - Date + 1 s of real time; the test clock moves past the window meanwhile.
  client.requestExecutor.on('backoff', (_req: unknown, _res: unknown, _id: unknown, delayMs: number) => {
    backoffs.push(delayMs)
    emu.clock.advance(1000)
  })
  // POSTs: the SDK caches GETs, so two GETs would not both reach the emulator.
  await client.userApi.createUser({ body: { profile: { login: 'rl1@example.com', email: 'rl1@example.com' } } })
  const second = await client.userApi.createUser({ body: { profile: { login: 'rl2@example.com', email: 'rl2@example.com' } } })
  t.equal(second.profile?.login, 'rl2@example.com', 'the retried request succeeded')
  t.equal(backoffs.length, 1, 'exactly one 429 and one retry')
  t.equal(backoffs[0], 2000, 'delay = X-Rate-Limit-Reset - Date + 1 s: the headers agree')
})

await t.test("the SDK's user lifecycle calls: update, replace, suspend, unsuspend, reactivate, me", async (t) => {
  const emu = await withEmulator(t)
  const client = new okta.Client({ orgUrl: emu.url, token: emu.token })
  const status = async (id: string): Promise<string> => (await (await fetch(`${emu.url}/api/v1/users/${id}`, { headers: emu.authHeader })).json() as { status: string }).status

  const ann = await client.userApi.createUser({
    body: { profile: { login: 'ann@example.com', email: 'ann@example.com', firstName: 'Ann', lastName: 'Lee', mobilePhone: '+1-555-0100' }, credentials: { password: { value: 'Sup3r-Secret1' } } },
  })
  t.equal(ann.status, 'ACTIVE')
  const userId = ann.id!

  const updated = await client.userApi.updateUser({ userId, user: { profile: { firstName: 'Annie', mobilePhone: null } as never } })
  t.equal(updated.profile?.firstName, 'Annie', 'partial update changes what is sent')
  t.equal(updated.profile?.lastName, 'Lee', '…and keeps what is not')
  t.equal(updated.profile?.mobilePhone, null, 'a property sent as null is removed')

  const replaced = await client.userApi.replaceUser({ userId, user: { profile: { login: 'ann@example.com', email: 'ann.lee@example.com', firstName: 'Ann' } as never } })
  t.equal(replaced.profile?.email, 'ann.lee@example.com')
  t.equal(replaced.profile?.lastName, null, 'replace removes the properties not sent')

  await client.userApi.suspendUser({ userId })
  t.equal(await status(userId), 'SUSPENDED')
  const again = await sdkError(client.userApi.suspendUser({ userId }))
  t.same([again.status, again.errorCode], [400, 'E0000001'], 'only an ACTIVE user can be suspended')
  await client.userApi.unsuspendUser({ userId })
  t.equal(await status(userId), 'ACTIVE')
  t.same([(await sdkError(client.userApi.unsuspendUser({ userId }))).errorCode], ['E0000001'], 'only a SUSPENDED user can be unsuspended')

  const bob = await client.userApi.createUser({ body: { profile: { login: 'bob@example.com', email: 'bob@example.com' } } })
  t.equal(bob.status, 'PROVISIONED')
  const token = await client.userApi.reactivateUser({ userId: bob.id!, sendEmail: false })
  t.match(token.activationUrl, new RegExp(`^${emu.url}/tokens/\\w{20}/verify$`))
  t.match(token.activationToken, /^\w{20}$/)
  const active = await sdkError(client.userApi.reactivateUser({ userId, sendEmail: false }))
  t.same([active.status, active.errorCode], [403, 'E0000016'], 'an ACTIVE user cannot be reactivated')

  const me = await client.userApi.getUser({ userId: 'me' })
  t.equal(me.status, 'ACTIVE', 'me: the admin user that owns the API token')
  t.equal(me.profile?.login, 'okta-emulator-admin@example.com')
  t.equal((await client.userApi.getUser({ userId: me.id! })).profile?.login, me.profile?.login, 'the token owner is an ordinary user')
  t.equal((await client.userApi.getUser({ userId: 'bob' })).id, bob.id, 'a login shortname works where an id is expected')
})

// Guards what the strategy reads and from whom, on both stacks: the passcode from the body only
// (missing 400, malformed 400, query string ignored), the factor (another user's factorId refused,
// no active factor = ENROLLMENT_REQUIRED) and the Okta user mapping (provision creates a user without credentials).
import t from 'tap'
import { request } from 'undici'
import { emuFetch, withEmulator } from '../helpers/emulator.js'
import { totp } from '../helpers/totp.js'
import { FACTORS, STACKS, USERS, passwordLogin, seedUsers } from '../helpers/strategy-stacks.js'

const [ada, , cyd, dee] = USERS as [typeof USERS[0], typeof USERS[1], typeof USERS[2], typeof USERS[3]]

for (const start of STACKS) {
  await t.test(`${start.name}: strategy input`, async (t) => {
    const emu = await withEmulator(t, { seed: seedUsers() })
    const okta = { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now }
    const stack = await start(t, { strategy: okta })
    const code = (): string => totp(FACTORS.ada.secret, emu.clock.now())
    const jar = stack.jar()
    await passwordLogin(jar, ada)

    await t.test('a missing passcode fails 400 PASSCODE_MISSING', async (t) => {
      const forms: Array<Record<string, string>> = [{}, { passCode: '' }, { passCode: '   ' }, { other: '123456' }]
      for (const form of forms) {
        const res = await jar.fetch('/api/mfa', { form })
        t.equal(res.status, 400, JSON.stringify(form))
        t.equal(res.json().code, 'PASSCODE_MISSING')
      }
    })

    await t.test('a malformed passcode fails 400 PASSCODE_MALFORMED without asking Okta', async (t) => {
      const bodies = ['passCode=12345', 'passCode=1234567', 'passCode=12a456', 'passCode=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96', 'passCode=123456&passCode=123456']
      for (const body of bodies) {
        const res = await jar.fetch('/api/mfa', { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
        t.equal(res.status, 400, body)
        t.equal(res.json().code, 'PASSCODE_MALFORMED', body)
      }
      const json = await jar.fetch('/api/mfa', { json: { passCode: 123456 } })
      t.equal(json.status, 400, 'a JSON number is not a passcode string')
      t.equal(json.json().code, 'PASSCODE_MALFORMED')
    })

    await t.test('a passcode in the query string is ignored', async (t) => {
      const res = await jar.fetch(`/api/mfa?passCode=${code()}`, { form: {} })
      t.equal(res.status, 400)
      t.equal(res.json().code, 'PASSCODE_MISSING')
      t.equal((await jar.fetch('/api/data')).status, 401, 'no MFA from the query string')
    })

    await t.test("another user's factorId is refused with FACTOR_NOT_FOUND", async (t) => {
      const res = await jar.fetch('/api/mfa', { form: { passCode: totp(FACTORS.bob.secret, emu.clock.now()), factorId: FACTORS.bob.id } })
      t.equal(res.status, 404)
      t.equal(res.json().code, 'FACTOR_NOT_FOUND')
      const unknown = await jar.fetch('/api/mfa', { form: { passCode: code(), factorId: 'ost0000000000000none' } })
      t.equal(unknown.json().code, 'FACTOR_NOT_FOUND')
      t.equal((await jar.fetch('/api/data')).status, 401)
    })

    await t.test("the user's own factor that takes no code is BAD_USER_INPUT saying so, not FACTOR_NOT_FOUND", async (t) => {
      const adaId = (await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent(ada.email)}`)).body.id as string
      const push = (await emuFetch(emu, 'POST', `/api/v1/users/${adaId}/factors`, { factorType: 'push', provider: 'OKTA' })).body.id as string
      emu.activatePush(push)
      const question = (await emuFetch(emu, 'POST', `/api/v1/users/${adaId}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'mayonnaise' } })).body.id as string
      t.teardown(async () => { for (const id of [push, question]) await emuFetch(emu, 'DELETE', `/api/v1/users/${adaId}/factors/${id}`) })
      // A new sign-in: the other session's factor list, cached seconds ago, predates these factors.
      const fresh = stack.jar()
      await passwordLogin(fresh, ada)
      for (const [id, message] of [[push, 'This authenticator cannot be verified here.'], [question, 'This authenticator takes the answer to its question.']] as const) {
        const res = await fresh.fetch('/api/mfa', { form: { passCode: code(), factorId: id } })
        t.equal(res.status, 400, `${id.slice(0, 3)}: ${res.text}`)
        t.same([res.json().code, res.json().message], ['BAD_USER_INPUT', message])
      }
      t.equal((await fresh.fetch('/api/data')).status, 401)
    })

    await t.test("a second ACTIVE TOTP (Okta Verify's beside Google's): a code without factorId is 400 BAD_USER_INPUT naming it, no attempt used; named, it passes", async (t) => {
      const adaId = (await emuFetch(emu, 'GET', `/api/v1/users/${encodeURIComponent(ada.email)}`)).body.id as string
      const okta = (await emuFetch(emu, 'POST', `/api/v1/users/${adaId}/factors`, { factorType: 'token:software:totp', provider: 'OKTA' })).body.id as string
      t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${adaId}/factors/${okta}/lifecycle/activate`, { passCode: emu.totpCode(okta) })).status, 200)
      t.teardown(async () => { await emuFetch(emu, 'DELETE', `/api/v1/users/${adaId}/factors/${okta}`) })
      emu.clock.advance(30_000)
      const fresh = stack.jar()
      await passwordLogin(fresh, ada)
      for (let i = 0; i < 6; i++) {
        const res = await fresh.fetch('/api/mfa', { form: { passCode: emu.totpCode(okta) } })
        t.equal(res.status, 400, `try ${i + 1}: ${res.text}`)
        t.same([res.json().code, res.json().message], ['BAD_USER_INPUT', 'You have more than one authenticator app: choose the one this code is from.'])
      }
      const named = await fresh.fetch('/api/mfa', { form: { passCode: emu.totpCode(okta), factorId: okta } })
      t.equal(named.status, 200, 'six refusals and no LOCKED_OUT: none was counted; the named factor passes')
      t.equal(named.json().mfa.factorId, okta)
    })

    await t.test('the own factorId and a code typed with a space are accepted', async (t) => {
      const c = code()
      const res = await jar.fetch('/api/mfa', { json: { passCode: `${c.slice(0, 3)} ${c.slice(3)}`, factorId: FACTORS.ada.id } })
      t.equal(res.status, 200)
      t.equal(res.json().mfa.factorId, FACTORS.ada.id)
    })

    await t.test('a user without an active TOTP factor gets ENROLLMENT_REQUIRED', async (t) => {
      const other = stack.jar()
      await passwordLogin(other, cyd)
      const res = await other.fetch('/api/mfa', { form: { passCode: '123456' } })
      t.equal(res.status, 403)
      t.equal(res.json().code, 'ENROLLMENT_REQUIRED')
    })

    await t.test('without provision, an app user unknown to Okta fails 403 OKTA_USER_NOT_FOUND (a code the app can route)', async (t) => {
      const other = stack.jar()
      await passwordLogin(other, dee)
      const res = await other.fetch('/api/mfa', { form: { passCode: '123456' } })
      t.equal(res.status, 403)
      t.equal(res.json().code, 'OKTA_USER_NOT_FOUND')
      t.equal(stack.errors.length, 0, 'not an error: no 500, no stack trace')
    })

    await t.test('provision: true creates the Okta user without credentials, then asks for enrollment', async (t) => {
      const provisioning = await start(t, { strategy: { ...okta, provision: true } })
      const other = provisioning.jar()
      await passwordLogin(other, dee)
      const res = await other.fetch('/api/mfa', { form: { passCode: '123456' } })
      t.equal(res.status, 403)
      t.equal(res.json().code, 'ENROLLMENT_REQUIRED')
      const got = await request(`${emu.url}/api/v1/users/${encodeURIComponent(dee.email)}`, { headers: emu.authHeader })
      t.equal(got.statusCode, 200)
      const user = await got.body.json() as { status: string, profile: { login: string, email: string }, credentials?: { password?: unknown } }
      t.equal(user.profile.login, dee.email)
      t.equal(user.profile.email, dee.email)
      t.equal(user.status, 'STAGED', 'created with activate=false')
      t.notOk(user.credentials?.password, 'no password')
      const again = await other.fetch('/api/mfa', { form: { passCode: '123456' } })
      t.equal(again.json().code, 'ENROLLMENT_REQUIRED', 'the second attempt finds the user it created')
      t.same(provisioning.errors, [])
    })

    await t.test('provision: true with a login or email Okta refuses to create: an error for the app, not OKTA_USER_NOT_FOUND', async (t) => {
      const refs = [{ login: 'not-an-email' }, { login: 'carol@example.com', profile: { email: 'not-an-email' } }]
      for (const ref of refs) {
        const misconfigured = await start(t, { strategy: { ...okta, provision: true, resolveOktaUser: () => ref } })
        const other = misconfigured.jar()
        await passwordLogin(other, dee)
        const res = await other.fetch('/api/mfa', { form: { passCode: '123456' } })
        t.not(res.json().code, 'OKTA_USER_NOT_FOUND', JSON.stringify(ref))
        t.match(misconfigured.errors, [{ name: 'ProvisionRefusedError', code: 'OKTA_MFA_PROVISION_REFUSED', cause: { code: 'OKTA_VALIDATION', status: 400 } }], 'reaches the error handler, with Okta\'s answer as the cause')
      }
      const got = await request(`${emu.url}/api/v1/users/${encodeURIComponent('carol@example.com')}`, { headers: emu.authHeader })
      t.equal(got.statusCode, 404, 'and no user was made')
      await got.body.dump()
    })
  })
}

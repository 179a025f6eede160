// Guards updateUser (Okta's partial update, POST /api/v1/users/{id}) against the real emulator: a rename moves the
// login and keeps the user's id and factors, a login another user has is Okta's 400 E0000001 as a ValidationError,
// and an id or a body that cannot be right is a TypeError before anything is sent (a `..` id would otherwise be
// POST /api/v1/users, a createUser).
import t from 'tap'
import { createOktaClient, ValidationError } from '@okta-mfa/client'
import type { OktaClient } from '@okta-mfa/client'
import { userWithTotp, withEmulator } from '../helpers/emulator.js'
import type { TestEmulator } from '../helpers/emulator.js'

async function setup (t: Parameters<typeof withEmulator>[0]): Promise<{ emu: TestEmulator, client: OktaClient }> {
  const emu = await withEmulator(t)
  const client = createOktaClient({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, userAgent: 'update-user-tests' })
  t.teardown(() => client.close())
  return { emu, client }
}

void t.test('a rename moves the login to the same user, its factor with it; the rest of the profile stays', async (t) => {
  const { emu, client } = await setup(t)
  const { userId, factorId } = await userWithTotp(emu, 'ada@example.com')
  const renamed = await client.updateUser(userId, { profile: { login: 'ada.lovelace@example.com', email: 'ada.lovelace@example.com' } })
  t.equal(renamed.id, userId, 'the same user')
  t.match(renamed.profile, { login: 'ada.lovelace@example.com', email: 'ada.lovelace@example.com', firstName: 'Test', lastName: 'User' }, 'merged')
  t.type(renamed.oktaRequestId, 'string', 'the request id of the answer')
  t.equal((await client.getUser('ada.lovelace@example.com')).id, userId, 'the new login finds the user')
  await t.rejects(client.getUser('ada@example.com'), { code: 'OKTA_NOT_FOUND', errorCode: 'E0000007' }, 'the old login names no one')
  t.same((await client.listFactors(userId)).map((f) => [f.id, f.status]), [[factorId, 'ACTIVE']], 'the factor is still the user\'s')

  const removed = await client.updateUser(userId, { profile: { firstName: 'Ada', lastName: null } })
  // Okta renders a base property that is not set as null.
  t.same([removed.profile.login, removed.profile.firstName, removed.profile.lastName], ['ada.lovelace@example.com', 'Ada', null], 'null removes a property')
})

void t.test('a login another user has is the documented 400 E0000001, and nothing changes', async (t) => {
  const { client } = await setup(t)
  const ada = await client.createUser({ profile: { login: 'ada@example.com', email: 'ada@example.com' } }, { activate: false })
  await client.createUser({ profile: { login: 'grace@example.com', email: 'grace@example.com' } }, { activate: false })
  const err = await client.updateUser(ada.id, { profile: { login: 'Grace@example.com', email: 'grace@example.com' } }).catch((e: unknown) => e)
  t.type(err, ValidationError)
  t.match(err, {
    code: 'OKTA_VALIDATION',
    status: 400,
    errorCode: 'E0000001',
    errorCauses: [{ errorSummary: 'login: An object with this field already exists in the current organization' }],
  })
  t.equal((await client.getUser(ada.id)).profile.login, 'ada@example.com', 'the user keeps its login')
  await t.rejects(client.updateUser('00unobody0000000000', { profile: { firstName: 'X' } }), { code: 'OKTA_NOT_FOUND', status: 404, errorCode: 'E0000007' })
  await client.deactivateUser(ada.id)
  await t.rejects(client.updateUser(ada.id, { profile: { firstName: 'X' } }), { code: 'OKTA_API_ERROR', status: 403, errorCode: 'E0000038' }, 'a deactivated user')
})

void t.test('a bad id or body is a TypeError naming it, before any request', async (t) => {
  const { client } = await setup(t)
  const profile = { login: 'made@example.com', email: 'made@example.com' }
  // Resolved as a dot-segment, POST /api/v1/users/.. would be POST /api/v1/users: a new user.
  await t.rejects(client.updateUser('..', { profile }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: '"userId" must not be "." or ".."' })
  await t.rejects(client.updateUser('.', { profile }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"userId"/ })
  await t.rejects(client.updateUser('', { profile }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: '"userId" must be a non-empty string' })
  await t.rejects(client.updateUser(42 as never, { profile }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"userId"/ })
  await t.rejects(client.getUser('made@example.com'), { code: 'OKTA_NOT_FOUND' }, 'no user was made')
  await t.rejects(client.updateUser('00u1', {} as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: '"body.profile" must be an object' })
  await t.rejects(client.updateUser('00u1', null as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /updateUser body must be an object/ })
  await t.rejects(client.updateUser('00u1', { profile, credentials: { password: { value: 'x' } } } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /^"credentials" is not a key of the updateUser body/ })
  await t.rejects(client.updateUser('00u1', { profile: { login: '' } }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: '"profile.login" must be a non-empty string' })
  await t.rejects(client.updateUser('00u1', { profile: { email: null as never } }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: '"profile.email" must be a non-empty string' })
  await t.rejects(client.updateUser('00u1', { profile }, { timeout: 1 } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /^"timeout" is not a key of / })
})

// Guards the rename recipe of "When your app renames or deletes an account" at the gateway's front door (the standalone
// server, login mapping, OKTA_PROVISION on, the emulator as Okta): once the app renames the Okta user with
// updateUser as it changes the email, the person signed in under the new email is on their own Okta user, so
// enrollFactor with the password alone is refused (a code of the existing factor is needed) and that factor still
// completes MFA; no new Okta user is provisioned.
import t from 'tap'
import { createOktaClient } from '@okta-mfa/client'
import { userWithTotp, withEmulator } from '../helpers/emulator.js'
import { codeOf, gql, OPS, startGatewayApp } from '../helpers/gateway-app.js'

void t.test('renamed with updateUser, the new login meets the existing factor: no enrollment without its code', async (t) => {
  const emu = await withEmulator(t)
  const { userId, factorId } = await userWithTotp(emu, 'ada@example.com')
  const gw = await startGatewayApp(t, emu, { env: { OKTA_PROVISION: 'true' } })
  const client = createOktaClient({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true })
  t.teardown(() => client.close())

  // The app's "change my email": the Okta user is renamed in the same step.
  const okta = await client.getUser('ada@example.com')
  await client.updateUser(okta.id, { profile: { login: 'ada.lovelace@example.com', email: 'ada.lovelace@example.com' } })

  const jar = await gw.signedIn('ada.lovelace@example.com') // the password step, under the new email
  const factors = await gql(jar, OPS.factors)
  t.same(factors.body.data.factors.map((f: { id: string, status: string }) => [f.id, f.status]), [[factorId, 'ACTIVE']], 'the existing factor')
  const enroll = await gql(jar, OPS.enroll, { input: { factorType: 'SMS', phoneNumber: '+15555550123' } })
  t.equal(codeOf(enroll), 'MFA_REQUIRED', 'the password alone cannot add a factor')
  const verified = await gql(jar, OPS.verify, { factorId, passCode: emu.totpCode(factorId) })
  t.match(verified.body.data?.verifyFactor, { result: 'SUCCESS', mfa: { completed: true, factorId } }, 'the existing factor completes MFA')

  const users: string[] = []
  for await (const u of client.listUsers()) users.push(`${u.profile.login}${u.id === userId ? '' : ' (new)'}`)
  t.same(users, ['ada.lovelace@example.com'], 'no Okta user was provisioned')
})

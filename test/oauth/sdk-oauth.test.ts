// The official @okta/okta-sdk-nodejs in `authorizationMode: 'PrivateKey'` against the emulator,
// which it cannot tell from Okta: the seed flow (create a user without credentials, enroll Google
// Authenticator, activate, verify, replay refused) over Bearer tokens and over DPoP.
//
// The SDK (7.3.0, DPoP since 7.2.2) detects DPoP itself: its first token request gets Okta's
// 400 use_dpop_nonce, it retries with the DPoP-Nonce and then signs a proof (with its own key,
// htu, ath) on every call. Nothing here patches or configures it for the emulator; the org URL is
// plain http on loopback, which the SDK accepts as it is.
import t, { type Test } from 'tap'
import okta from '@okta/okta-sdk-nodejs'
import type { TestEmulator } from '../helpers/emulator.js'
import { ALL_SCOPES, app, appKey, oauthEmulator } from './keys.js'
import { sdkError } from '../helpers/sdk.js'

const KEY = appKey('sdk-key')


function sdkClient (emu: TestEmulator, clientId: string): okta.Client {
  // No trailing slash: the SDK would put `//api` into its DPoP htu, which Okta refuses (as the emulator does).
  return new okta.Client({
    orgUrl: emu.url,
    authorizationMode: 'PrivateKey',
    clientId,
    scopes: ALL_SCOPES,
    privateKey: JSON.stringify(KEY.privateJwk),
    keyId: KEY.kid,
  })
}

interface OAuthInternals { isDPoP: boolean }

async function seedFlow (t: Test, emu: TestEmulator, client: okta.Client, login: string): Promise<void> {
  const user = await client.userApi.createUser({ body: { profile: { login, email: login, firstName: 'Eugene', lastName: 'Belford' } }, activate: false })
  t.equal(user.status, 'STAGED', 'created without credentials')
  const userId = user.id!
  const enrolled = await client.userFactorApi.enrollFactor({ userId, body: { factorType: 'token:software:totp', provider: 'GOOGLE' } })
  t.equal(enrolled.status, 'PENDING_ACTIVATION')
  const factorId = enrolled.id!
  const now = Date.now()
  const activated = await client.userFactorApi.activateFactor({ userId, factorId, body: { passCode: emu.totpCode(factorId, now) } })
  t.equal((activated as { status?: string }).status, 'ACTIVE')
  const code = emu.totpCode(factorId, now + 30_000)
  const ok = await client.userFactorApi.verifyFactor({ userId, factorId, body: { passCode: code } })
  t.equal(ok.factorResult, 'SUCCESS')
  const replay = await sdkError(client.userFactorApi.verifyFactor({ userId, factorId, body: { passCode: code } }))
  t.equal(replay.status, 403)
  t.equal(replay.errorCode, 'E0000082', 'a code accepted once is refused')
  t.equal((await client.userApi.getUser({ userId: login })).id, userId)
}

await t.test('PrivateKey without DPoP: the seed flow on Bearer tokens', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-sdk-bearer', KEY, ALL_SCOPES, false)])
  const client = sdkClient(emu, '0oa-sdk-bearer')
  await seedFlow(t, emu, client, 'eugene.belford@example.com')
  t.equal(emu.oauth.tokenRequests(), 1, 'the SDK caches its token')
  emu.oauth.revokeTokens()
  t.equal((await client.userApi.getUser({ userId: 'eugene.belford@example.com' })).profile?.login, 'eugene.belford@example.com',
    'a revoked token: the SDK refreshes on the 401 and retries')
  t.equal(emu.oauth.tokenRequests(), 2)
})

await t.test('PrivateKey with DPoP: the seed flow with a proof on every call', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-sdk-dpop', KEY)])
  const client = sdkClient(emu, '0oa-sdk-dpop')
  const authorizations: string[] = []
  client.requestExecutor.on('request', (req: { url: string, headers?: Record<string, string> }) => {
    if (req.url.includes('/api/v1/')) authorizations.push(`${req.headers?.['Authorization']?.split(' ')[0]} ${req.headers?.['DPoP'] === undefined ? 'no-proof' : 'proof'}`)
  })
  await seedFlow(t, emu, client, 'razor.blade@example.com')
  t.equal((client as unknown as { oauth: OAuthInternals }).oauth.isDPoP, true, 'the SDK switched to DPoP on the nonce answer')
  t.same([...new Set(authorizations)], ['DPoP proof'], 'every API call: Authorization: DPoP and a proof')
  t.equal(emu.oauth.tokenRequests(), 2, 'the nonce round trip and one token for the whole flow')

  // The same app refuses a client that sends no proof: the SDK's DPoP is what made the flow pass.
  const res = await fetch(`${emu.url}/oauth2/v1/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&scope=okta.users.read' })
  t.equal(res.status, 401)
})

// Our client over OAuth 2.0 against the emulator: the seed flow with DPoP (nonces required on the
// token endpoint and the API) and with plain Bearer tokens, one token request however many calls
// wait, and each documented failure: a wrong key, a missing scope (at the token endpoint and on
// the API), a stale nonce, an expired or revoked token. Okta's replies come from the emulator; the
// branches it cannot produce on demand (a fresh token refused again, a nonce demanded forever) use MockAgent.
import t, { type Test } from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { getEventListeners } from 'node:events'
import { createServer, type ServerResponse } from 'node:http'
import { inspect } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { MockAgent } from 'undici'
import { createOktaClient, totpActivation, type OktaClient, type OktaClientOptions, type OktaOAuthOptions } from '@okta-mfa/client'
import { withEmulator, type TestEmulator } from '../helpers/emulator.js'
import { listenLoopback } from '../helpers/http.js'
import { ALL_SCOPES, app, appKey, oauthEmulator, rejection, type AppKey } from './keys.js'

const KEY = appKey('key-1')
const OTHER = appKey('key-2')
const EC = appKey('key-ec', 'ec')

function client (t: Test, emu: TestEmulator, auth: OktaOAuthOptions, extra: Partial<OktaClientOptions> = {}): OktaClient {
  const c = createOktaClient({ orgUrl: emu.url, allowInsecureHttp: true, auth, ...extra })
  t.teardown(() => c.close())
  return c
}

/** Create a user without credentials, enroll Google TOTP, activate, verify, replay refused. */
async function seedFlow (t: Test, emu: TestEmulator, c: OktaClient, login: string): Promise<void> {
  const user = await c.createUser({ profile: { login, email: login, firstName: 'Kate', lastName: 'Libby' } }, { activate: false })
  t.equal(user.status, 'STAGED')
  t.equal((await c.getUser(login)).id, user.id, 'a login percent-encoded in the path (htu decoded) works')
  t.equal((await c.updateUser(user.id, { profile: { firstName: 'Acid' } })).profile.firstName, 'Acid', 'updateUser with the default scopes')
  const factor = await c.enrollFactor(user.id, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  t.equal(factor.status, 'PENDING_ACTIVATION')
  t.ok(totpActivation(factor)?.sharedSecret)
  const now = Date.now()
  const active = await c.activateFactor(user.id, factor.id, { passCode: emu.totpCode(factor.id, now) })
  t.equal(active.status, 'ACTIVE')
  // The next step's code: accepted (window of one step), then refused as a replay.
  const code = emu.totpCode(factor.id, now + 30_000)
  t.equal((await c.verifyFactor(user.id, factor.id, { passCode: code })).factorResult, 'SUCCESS')
  t.equal((await rejection(c.verifyFactor(user.id, factor.id, { passCode: code }))).code, 'OKTA_PASSCODE_REPLAYED')
}

void t.test('a Bearer app works however far a test moves the emulator\'s clock (the README\'s 2030 clock, then past the token\'s hour)', async (t) => {
  const emu = await withEmulator(t, { serviceApps: [app('0oa-clock', KEY, ALL_SCOPES, false)] })
  const c = client(t, emu, { clientId: '0oa-clock', privateKey: KEY.pem, scopes: ALL_SCOPES })
  const user = await c.createUser({ profile: { login: 'clock@example.com', email: 'clock@example.com' } }, { activate: false })
  t.equal(user.status, 'STAGED', 'the first token is issued with the emulator in 2030')
  emu.clock.advance(2 * 3600_000)
  t.equal((await c.getUser(user.id)).id, user.id, 'two hours on (the token expired in emulator time): a new token, the call served')
  emu.clock.advance(-5 * 3600_000)
  emu.oauth.expireTokens('0oa-clock')
  t.equal((await c.getUser(user.id)).id, user.id, 'three hours before the start: served again')
  t.equal(emu.oauth.tokenRequests(), 3, 'three token requests, each answered with a token')
})

void t.test('the seed flow with DPoP (nonces on the token endpoint and the API)', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-dpop', KEY)], { dpopApiNonce: true })
  const c = client(t, emu, { clientId: '0oa-dpop', privateKey: KEY.pem, keyId: KEY.kid, scopes: ALL_SCOPES, dpop: true })
  await seedFlow(t, emu, c, 'kate.libby@example.com')
  t.equal(emu.oauth.tokenRequests(), 2, 'one nonce request, then one token for the whole flow')
  // A plain Bearer use of the DPoP-bound token is refused by the emulator (the binding is real).
  const res = await fetch(`${emu.url}/api/v1/users`, { headers: { authorization: 'Bearer nothing-valid' } })
  t.equal(res.status, 401)
  t.match(res.headers.get('www-authenticate'), /^Bearer .*error="invalid_token"/)
})

void t.test('the seed flow with Bearer tokens, the private key as a JWK', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-bearer', KEY, ALL_SCOPES, false)])
  const c = client(t, emu, { clientId: '0oa-bearer', privateKey: KEY.privateJwk as Record<string, unknown>, scopes: ALL_SCOPES.join(' ') })
  await seedFlow(t, emu, c, 'dade.murphy@example.com')
  t.equal(emu.oauth.tokenRequests(), 1)
  // `dpop: true` against an app that does not require DPoP follows the Bearer token_type Okta answers.
  const d = client(t, emu, { clientId: '0oa-bearer', privateKey: KEY.pem, scopes: ALL_SCOPES, dpop: true })
  t.equal((await d.listFactors((await d.getUser('dade.murphy@example.com')).id)).length, 1)
})

void t.test('an app with two keys: keyId, or the JWK\'s own kid, names the key in the assertion header', async (t) => {
  const emu = await oauthEmulator(t, [{ clientId: '0oa-2k', jwks: { keys: [KEY.publicJwk, OTHER.publicJwk] }, scopes: ALL_SCOPES, dpop: false }])
  const byKeyId = client(t, emu, { clientId: '0oa-2k', privateKey: OTHER.pem, keyId: OTHER.kid, scopes: ALL_SCOPES })
  t.equal((await byKeyId.listFactors('00u-none').catch((e: { code: string }) => e.code)), 'OKTA_NOT_FOUND', 'keyId: a token, then the API')
  const byJwk = client(t, emu, { clientId: '0oa-2k', privateKey: OTHER.privateJwk, scopes: ALL_SCOPES })
  t.equal((await byJwk.listFactors('00u-none').catch((e: { code: string }) => e.code)), 'OKTA_NOT_FOUND', 'the JWK\'s kid')
  const none = client(t, emu, { clientId: '0oa-2k', privateKey: OTHER.pem, scopes: ALL_SCOPES })
  t.match(await rejection(none.listFactors('00u-none')), { code: 'OKTA_INVALID_CLIENT', errorDescription: 'The client_assertion JWT kid is invalid.' }, 'no kid: Okta cannot tell the key')
})

void t.test('one token request however many calls wait for it', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-many', KEY), app('0oa-many-bearer', KEY, ALL_SCOPES, false)])
  const d = client(t, emu, { clientId: '0oa-many', privateKey: KEY.pem, scopes: ALL_SCOPES, dpop: true })
  const users = await Promise.all(Array.from({ length: 40 }, (_, i) => d.createUser({ profile: { login: `p${i}@example.com`, email: `p${i}@example.com` } })))
  t.equal(new Set(users.map((u) => u.id)).size, 40)
  t.equal(emu.oauth.tokenRequests(), 2, 'DPoP: the nonce round trip and one token, for 40 parallel calls')
  await Promise.all(users.map((u) => d.getUser(u.id)))
  t.equal(emu.oauth.tokenRequests(), 2, 'the cached token serves the next 40')

  const b = client(t, emu, { clientId: '0oa-many-bearer', privateKey: KEY.pem, scopes: ALL_SCOPES })
  await Promise.all(users.map((u) => b.getUser(u.id)))
  t.equal(emu.oauth.tokenRequests(), 3, 'Bearer: one token request for 40 parallel calls')

  // An expired token, seen by 40 calls at once, is refreshed once.
  t.equal(emu.oauth.expireTokens('0oa-many-bearer'), 1)
  await Promise.all(users.map((u) => b.getUser(u.id)))
  t.equal(emu.oauth.tokenRequests(), 4, 'one transparent refresh for 40 calls that met the expired token')

  // The same, when the refresh fails (the app's key was replaced): the 401s that come in after the failure share it too.
  emu.oauth.registerServiceApp(app('0oa-many-bearer', OTHER, ALL_SCOPES, false))
  emu.oauth.revokeTokens('0oa-many-bearer')
  const codes = await Promise.all(users.map(async (u) => await rejection(b.getUser(u.id)).then((err) => err.code)))
  t.same(new Set(codes), new Set(['OKTA_INVALID_CLIENT']), 'every call that met the revoked token gets the refresh\'s error')
  t.equal(emu.oauth.tokenRequests(), 5, 'one token request for 40 calls, however late their 401 came')
  t.equal((await rejection(b.getUser(users[0]!.id))).code, 'OKTA_INVALID_CLIENT')
  t.equal(emu.oauth.tokenRequests(), 6, 'the next call tries again')
})

void t.test('expired, revoked, stale nonce: one transparent retry each', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-x', KEY)], { dpopApiNonce: true })
  const c = client(t, emu, { clientId: '0oa-x', privateKey: KEY.pem, keyId: KEY.kid, scopes: ALL_SCOPES, dpop: true })
  const user = await c.createUser({ profile: { login: 'joey@example.com', email: 'joey@example.com' } })
  t.equal(emu.oauth.tokenRequests(), 2)

  emu.oauth.expireTokens()
  t.equal((await c.getUser(user.id)).id, user.id, 'an expired token: refreshed once, the call succeeds')
  t.equal(emu.oauth.tokenRequests(), 3, 'the token endpoint nonce was still fresh: one request')

  emu.oauth.revokeTokens()
  emu.oauth.rotateDpopNonces()
  t.equal((await c.getUser(user.id)).id, user.id, 'a revoked token and stale nonces everywhere: still one call')
  t.equal(emu.oauth.tokenRequests(), 5, 'the stale token-endpoint nonce cost one use_dpop_nonce round trip')

  emu.oauth.rotateDpopNonces()
  t.equal((await c.listFactors(user.id)).length, 0, 'a stale API nonce: retried once with the new one')
  t.equal(emu.oauth.tokenRequests(), 5, 'an API nonce needs no new token')
})

void t.test('the documented errors: wrong key, unknown client, missing scope', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-e', KEY, ['okta.users.read']), app('0oa-e-bearer', KEY, ['okta.users.read'], false)])
  const wrongKey = client(t, emu, { clientId: '0oa-e', privateKey: OTHER.pem, keyId: KEY.kid, scopes: ['okta.users.read'], dpop: true })
  const e1 = await rejection(wrongKey.getUser('nobody@example.com'))
  t.equal(e1.code, 'OKTA_INVALID_CLIENT')
  t.equal(e1.error, 'invalid_client')
  t.equal(e1.status, 401)
  t.match(e1.errorDescription, /signature is invalid/)

  const unknown = client(t, emu, { clientId: '0oa-nobody', privateKey: KEY.pem, scopes: ['okta.users.read'] })
  t.match(await rejection(unknown.getUser('x')), { code: 'OKTA_INVALID_CLIENT', errorDescription: /client_id/ })

  const tooMuch = client(t, emu, { clientId: '0oa-e', privateKey: KEY.pem, scopes: ALL_SCOPES, dpop: true })
  const e2 = await rejection(tooMuch.getUser('x'))
  t.equal(e2.code, 'OKTA_INVALID_SCOPE', 'a scope the app was not granted: invalid_scope at the token endpoint')
  t.match(e2.errorDescription, /okta\.users\.manage/)

  for (const [clientId, dpop] of [['0oa-e', true], ['0oa-e-bearer', false]] as const) {
    const readOnly = client(t, emu, { clientId, privateKey: KEY.pem, scopes: ['okta.users.read'], dpop })
    const e3 = await rejection(readOnly.createUser({ profile: { login: 'zero@example.com', email: 'zero@example.com' } }))
    t.equal(e3.code, 'OKTA_INSUFFICIENT_SCOPE', `${clientId}: the API's 403 with insufficient_scope`)
    t.equal(e3.status, 403)
    t.equal(e3.errorCode, 'E0000006')
    t.same(e3.requiredScopes, ['okta.users.manage'])
    t.match(await rejection(readOnly.updateUser('00u0000000000000000a', { profile: { firstName: 'X' } })),
      { code: 'OKTA_INSUFFICIENT_SCOPE', requiredScopes: ['okta.users.manage'] }, `${clientId}: updateUser needs okta.users.manage`)
    t.same([...(await readOnlyList(readOnly))], [], 'the read scope still reads')
  }
})

async function readOnlyList (c: OktaClient): Promise<unknown[]> {
  const out: unknown[] = []
  for await (const u of c.listUsers()) out.push(u)
  return out
}

// Branches a real server does not produce on demand.
const ORG = 'https://dev-oauth.okta.com'
const TOKEN_SECRET = 'eyJraWQiOiJ-ACCESS-TOKEN-SECRET-7781'

function mocked (t: Test, dpop: boolean, key: AppKey = KEY, timeoutMs = 5000): { agent: MockAgent, client: OktaClient, assertions: string[] } {
  const agent = new MockAgent()
  agent.disableNetConnect()
  const c = createOktaClient({ orgUrl: ORG, dispatcher: agent, timeoutMs, auth: { clientId: '0oa-m', privateKey: key.pem, scopes: ['okta.users.read'], dpop } })
  t.teardown(async () => { await c.close(); await agent.close() })
  return { agent, client: c, assertions: [] }
}

const json = { 'content-type': 'application/json', 'x-okta-request-id': 'r1' }
const invalidTokenBody = { errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorLink: 'E0000011', errorId: 'oae1', errorCauses: [] }

void t.test('a fresh token refused again, a nonce asked for again: coded errors, no loop, no secret shown', async (t) => {
  const m = mocked(t, false)
  const pool = m.agent.get(ORG)
  const tokenBody = { token_type: 'Bearer', expires_in: 3600, access_token: TOKEN_SECRET, scope: 'okta.users.read' }
  pool.intercept({ path: '/oauth2/v1/token', method: 'POST' }).reply(200, (opts) => {
    m.assertions.push(new URLSearchParams(String(opts.body)).get('client_assertion') ?? '')
    return tokenBody
  }, { headers: json }).times(2)
  pool.intercept({ path: '/api/v1/users/00u1', method: 'GET' })
    .reply(401, invalidTokenBody, { headers: { ...json, 'www-authenticate': 'Bearer realm="x", error="invalid_token", error_description="The token has expired."' } }).times(2)
  const err = await rejection(m.client.getUser('00u1'))
  t.equal(err.code, 'OKTA_INVALID_TOKEN', 'after one transparent refresh, the error')
  t.equal(err.status, 401)
  t.equal(m.assertions.length, 2, 'exactly one refresh')
  t.not(m.assertions[0], m.assertions[1], 'each token request signs a new assertion')
  // The assertion as RFC 7523 and Okta want it: iss = sub = the client id, aud = the token URL, 5 minutes of life, a jti.
  const claims = m.assertions.map((a) => JSON.parse(Buffer.from(a.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>)
  t.match(claims[0], { iss: '0oa-m', sub: '0oa-m', aud: `${ORG}/oauth2/v1/token`, jti: /^[0-9a-f-]{36}$/ })
  t.equal(Number(claims[0]!['exp']) - Number(claims[0]!['iat']), 300, 'exp 5 minutes after iat')
  t.not(claims[0]!['jti'], claims[1]!['jti'], 'a fresh jti each time')
  m.agent.assertNoPendingInterceptors()

  // A nonce asked of a Bearer call (no proof to put it in): a 401 like any other, one refresh, then OKTA_INVALID_TOKEN.
  const b = mocked(t, false)
  const bpool = b.agent.get(ORG)
  let bTokens = 0
  bpool.intercept({ path: '/oauth2/v1/token', method: 'POST' }).reply(200, () => { bTokens++; return tokenBody }, { headers: json }).times(2)
  bpool.intercept({ path: '/api/v1/users/00u1', method: 'GET' })
    .reply(401, invalidTokenBody, { headers: { ...json, 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'n-api' } }).times(2)
  t.match(await rejection(b.client.getUser('00u1')), { code: 'OKTA_INVALID_TOKEN', status: 401 }, 'use_dpop_nonce without DPoP: not a DPoP refusal')
  t.equal(bTokens, 2, 'the token was refreshed once')
  b.agent.assertNoPendingInterceptors()

  const d = mocked(t, true)
  const dpool = d.agent.get(ORG)
  dpool.intercept({ path: '/oauth2/v1/token', method: 'POST' })
    .reply(400, { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' }, { headers: { ...json, 'dpop-nonce': 'n1' } }).times(2)
  const e2 = await rejection(d.client.getUser('00u1'))
  t.equal(e2.code, 'OKTA_DPOP_REJECTED', 'a nonce asked for twice: one retry, then the error')
  t.equal(e2.error, 'use_dpop_nonce')
  d.agent.assertNoPendingInterceptors()

  // The API asking for a new nonce at every call (each time another): one retry with the nonce, then the coded error,
  // not a loop of retries that each meet the same demand.
  const n = mocked(t, true)
  const npool = n.agent.get(ORG)
  let nTokens = 0
  npool.intercept({ path: '/oauth2/v1/token', method: 'POST' }).reply(200, () => { nTokens++; return { ...tokenBody, token_type: 'DPoP' } }, { headers: json })
  const apiProofs: string[] = []
  npool.intercept({ path: '/api/v1/users/00u1', method: 'GET' }).reply((opts) => {
    apiProofs.push(String((opts.headers as Record<string, string>)['dpop']))
    return {
      statusCode: 401,
      data: invalidTokenBody,
      responseOptions: { headers: { ...json, 'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof."', 'dpop-nonce': `n-api-${apiProofs.length}` } },
    }
  }).times(2)
  const e3 = await rejection(n.client.getUser('00u1'))
  t.match(e3, { code: 'OKTA_DPOP_REJECTED', error: 'use_dpop_nonce', status: 401 }, 'the API asks for a nonce twice: one retry, then the error')
  t.equal(apiProofs.length, 2, 'the call and its one retry')
  t.match(JSON.parse(Buffer.from(apiProofs[1]!.split('.')[1]!, 'base64url').toString()), { nonce: 'n-api-1' }, 'the retry carried the nonce asked for')
  t.equal(nTokens, 1, 'a nonce demand is no reason for a new token')
  n.agent.assertNoPendingInterceptors()

  const views = [err, e2].flatMap((e) => [inspect(e, { depth: 10, showHidden: true }), JSON.stringify(e), e.stack ?? '', e.message])
    .concat(inspect(m.client, { depth: 10, showHidden: true }), JSON.stringify(m.client), inspect(d.client), JSON.stringify(d.client)).join('\n')
  t.notMatch(views, TOKEN_SECRET, 'no access token')
  for (const a of m.assertions) t.notMatch(views, a.split('.')[2]!, 'no assertion')
  t.notMatch(views, KEY.pem.split('\n')[2]!, 'no key')
  t.notMatch(views, String(KEY.privateJwk.d), 'no JWK private member')
})

void t.test('the token cache: a token is kept until 60 s before it expires, or half its lifetime when that is shorter', async (t) => {
  // The clock moves by hand (tokens are cached against Date.now): no wait of an hour.
  const realNow = Date.now
  let ahead = 0
  const base = realNow.call(Date) // frozen: only `ahead` moves the clock, so every margin below is exact
  Date.now = () => base + ahead
  t.teardown(() => { Date.now = realNow })
  const m = mocked(t, false)
  const pool = m.agent.get(ORG)
  let tokens = 0
  const tokenFor = (expiresIn: number): void => {
    pool.intercept({ path: '/oauth2/v1/token', method: 'POST' })
      .reply(200, () => { tokens++; return { token_type: 'Bearer', expires_in: expiresIn, access_token: TOKEN_SECRET } }, { headers: json })
  }
  pool.intercept({ path: '/api/v1/users/00u1', method: 'GET' }).reply(200, { id: '00u1', status: 'ACTIVE', profile: {} }, { headers: json }).persist()

  tokenFor(3600)
  await m.client.getUser('00u1')
  ahead = 3539_500
  await m.client.getUser('00u1')
  t.equal(tokens, 1, 'an hour token still serves 60.5 s before it expires')
  tokenFor(60)
  ahead = 3540_500
  await m.client.getUser('00u1')
  t.equal(tokens, 2, '59.5 s before it expires, a new one is fetched: the margin is 60 s, not 59')
  ahead += 29_000
  await m.client.getUser('00u1')
  t.equal(tokens, 2, 'a 60 s token serves for half its lifetime')
  tokenFor(3600)
  ahead += 2_000
  await m.client.getUser('00u1')
  t.equal(tokens, 3, 'and is replaced past it')
  m.agent.assertNoPendingInterceptors()
})

void t.test('a 401 answered after the refresh keeps the new token: one refresh for every call that met the old one', async (t) => {
  // A real server: a call sent with the first token is held until another call has met the 401 and the new token.
  let tokens = 0
  let arrived: (res: ServerResponse) => void = () => {}
  const slowArrived = new Promise<ServerResponse>((resolve) => { arrived = resolve })
  const orgUrl = await listenLoopback(t, createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (req.url === '/oauth2/v1/token') {
        tokens++
        res.writeHead(200, json).end(JSON.stringify({ token_type: 'Bearer', expires_in: 3600, access_token: `token-${tokens}` }))
      } else if (req.headers.authorization === 'Bearer token-1' && req.url === '/api/v1/users/00uslow') {
        arrived(res)
      } else if (req.headers.authorization === 'Bearer token-1') {
        res.writeHead(401, { ...json, 'www-authenticate': 'Bearer error="invalid_token"' }).end(JSON.stringify(invalidTokenBody))
      } else {
        res.writeHead(200, json).end(JSON.stringify({ id: req.url!.split('/').pop(), status: 'ACTIVE', profile: {} }))
      }
    })
  }))
  const c = createOktaClient({
    orgUrl, allowInsecureHttp: true,
    auth: { clientId: '0oa-r', privateKey: KEY.pem, scopes: ALL_SCOPES, dpop: false },
  })
  t.teardown(() => c.close())
  const slow = c.getUser('00uslow')
  t.equal((await c.getUser('00ufast')).id, '00ufast', 'the first 401: refreshed, retried')
  t.equal(tokens, 2)
  const held = await slowArrived
  held.writeHead(401, { ...json, 'www-authenticate': 'Bearer error="invalid_token"' }).end(JSON.stringify(invalidTokenBody))
  t.equal((await slow).id, '00uslow', 'the late 401 retried with the token already fetched')
  t.equal(tokens, 2, 'no second refresh: the late 401 was of the old token')
})

void t.test('options are checked at construction and a bad key is never quoted', async (t) => {
  const base = { orgUrl: ORG }
  const cases: Array<[Partial<OktaOAuthOptions>, RegExp]> = [
    [{ clientId: '', privateKey: KEY.pem, scopes: ['a'] }, /"auth\.clientId"/],
    [{ clientId: 'c', privateKey: 'not a key SECRETPART', scopes: ['a'] }, /"auth\.privateKey"/],
    [{ clientId: 'c', privateKey: KEY.publicJwk as Record<string, unknown>, scopes: ['a'] }, /"auth\.privateKey"/],
    [{ clientId: 'c', privateKey: KEY.pem.replace(/A/g, 'B'), scopes: ['a'] }, /"auth\.privateKey"/],
    [{ clientId: 'c', privateKey: KEY.pem, scopes: [] }, /"auth\.scopes"/],
    [{ clientId: 'c', privateKey: KEY.pem, scopes: ['bad"scope'] }, /"auth\.scopes"/],
    [{ clientId: 'c', privateKey: KEY.pem, scopes: ['a'], keyId: 'has space' }, /"auth\.keyId"/],
    [{ clientId: 'c', privateKey: KEY.pem, scopes: ['a'], dpop: 'yes' as unknown as boolean }, /"auth\.dpop"/],
    // RSA below 2048 bits is refused (RS256 with a short key); the 2048-bit KEY is taken.
    [{ clientId: 'c', privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, scopes: ['a'] }, /"auth\.privateKey" option: an RSA key must have at least 2048 bits/],
    // A JWK that says it is not for signing this way (RFC 7517 use, key_ops, alg): Okta would refuse every assertion.
    [{ clientId: 'c', privateKey: { ...KEY.privateJwk, use: 'enc' }, scopes: ['a'] }, /"auth\.privateKey" option: the JWK's "use" must be "sig"/],
    [{ clientId: 'c', privateKey: { ...KEY.privateJwk, key_ops: ['decrypt'] }, scopes: ['a'] }, /"auth\.privateKey" option: the JWK's "key_ops" must include "sign"/],
    [{ clientId: 'c', privateKey: JSON.stringify({ ...KEY.privateJwk, alg: 'PS256' }), scopes: ['a'] }, /"auth\.privateKey" option: the JWK's "alg" must be RS256, RS384 or RS512 for an RSA key/],
    [{ clientId: 'c', privateKey: { ...EC.privateJwk, alg: 'ES384' }, scopes: ['a'] }, /"auth\.privateKey" option: the JWK's "alg" must be ES256 for a key on its curve/],
    // A JWK put together from two keys: Node reads it, but what it signs would never verify at Okta.
    [{ clientId: 'c', privateKey: { ...EC.privateJwk, d: appKey('ec-other', 'ec').privateJwk.d }, scopes: ['a'] }, /"auth\.privateKey" option: the key's private and public parts do not match/],
    [{ clientId: 'c', privateKey: { ...KEY.privateJwk, n: OTHER.privateJwk.n }, scopes: ['a'] }, /"auth\.privateKey" option: the key's private and public parts do not match/],
  ]
  for (const [auth, re] of cases) {
    const err = await rejection((async () => createOktaClient({ ...base, auth: auth as OktaOAuthOptions }))())
    t.type(err, TypeError)
    t.match(err.message, re)
    t.notMatch(err.message, /SECRETPART|BEGIN/, 'the key is never quoted')
  }
  t.throws(() => createOktaClient({ ...base, token: 't', auth: { clientId: 'c', privateKey: KEY.pem, scopes: ['a'] } }), /exclusive/)
  const ec = createOktaClient({ ...base, auth: { clientId: 'c', privateKey: appKey('e', 'ec').pem, scopes: ['okta.users.read'], dpop: true } })
  await ec.close()
  // A PEM indented in a template literal or a config value: read as OKTA_PRIVATE_KEY reads it (trimmed).
  for (const pad of ['  ', '\t', '\n  ', ' \r\n']) {
    const indented = createOktaClient({ ...base, auth: { clientId: 'c', privateKey: `${pad}${KEY.pem}${pad}`, scopes: ['okta.users.read'] } })
    await indented.close()
  }
  const everyLine = KEY.pem.split('\n').map((line) => `      ${line}`).join('\n')
  const templated = createOktaClient({ ...base, auth: { clientId: 'c', privateKey: everyLine, scopes: ['okta.users.read'] } })
  await templated.close()
  const ssws = createOktaClient({ ...base, auth: 'an-ssws-token', dispatcher: new MockAgent() })
  t.notMatch(inspect(ssws) + JSON.stringify(ssws), /an-ssws-token/)
  await ssws.close()
})

void t.test("a JWK's own alg signs the assertion, and an app key stating its alg verifies only that one", async (t) => {
  const rs384 = appKey('key-rs384')
  const pub = { ...rs384.publicJwk, alg: 'RS384', use: 'sig' }
  const es = appKey('key-es', 'ec')
  const emu = await oauthEmulator(t, [
    { clientId: '0oa-rs384', jwks: { keys: [pub] }, scopes: ALL_SCOPES },
    { clientId: '0oa-es256', jwks: { keys: [{ ...es.publicJwk, alg: 'ES256' }] }, scopes: ALL_SCOPES },
  ])
  const signed = client(t, emu, { clientId: '0oa-rs384', privateKey: { ...rs384.privateJwk, alg: 'RS384', use: 'sig', key_ops: ['sign'] }, scopes: ALL_SCOPES, dpop: true })
  await seedFlow(t, emu, signed, 'joey.pardella@example.com')
  // The same key as JSON: its alg is read there too.
  const json = client(t, emu, { clientId: '0oa-rs384', privateKey: JSON.stringify({ ...rs384.privateJwk, alg: 'RS384' }), scopes: ALL_SCOPES, dpop: true })
  t.equal((await json.getUser('joey.pardella@example.com')).profile.login, 'joey.pardella@example.com')
  // The same key without an alg signs RS256, which an app key for RS384 does not verify: Okta's invalid_client.
  for (const privateKey of [rs384.pem, rs384.privateJwk as Record<string, unknown>]) {
    const plain = client(t, emu, { clientId: '0oa-rs384', privateKey, scopes: ALL_SCOPES, dpop: true })
    const err = await rejection(plain.getUser('joey.pardella@example.com'))
    t.equal(err.code, 'OKTA_INVALID_CLIENT')
    t.match(err.message, /client_assertion signature is invalid/)
  }
  // An EC key signs its curve's algorithm, with or without the alg stated.
  for (const privateKey of [es.pem, { ...es.privateJwk, alg: 'ES256' }]) {
    const ec = client(t, emu, { clientId: '0oa-es256', privateKey, scopes: ALL_SCOPES, dpop: true })
    t.equal((await ec.getUser('joey.pardella@example.com')).profile.login, 'joey.pardella@example.com')
  }
})

void t.test('an unrelated log line never carries a secret: nothing is written at all', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-log', KEY)], { dpopApiNonce: true })
  const written: string[] = []
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => { written.push(String(chunk)); return (out as any)(chunk, ...rest) }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => { written.push(String(chunk)); return (err as any)(chunk, ...rest) }) as typeof process.stderr.write
  try {
    const c = client(t, emu, { clientId: '0oa-log', privateKey: KEY.pem, scopes: ALL_SCOPES, dpop: true })
    await c.createUser({ profile: { login: 'log@example.com', email: 'log@example.com' } })
    const wrong = client(t, emu, { clientId: '0oa-log', privateKey: OTHER.pem, scopes: ALL_SCOPES, dpop: true })
    await rejection(wrong.getUser('log@example.com'))
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
  t.notMatch(written.join(''), /BEGIN|eyJ|DPoP /, 'neither client nor emulator printed a key, an assertion or a token')
})

void t.test('the token endpoint failing: coded errors, and a caller may leave a slow refresh', async (t) => {
  const m = mocked(t, false)
  const pool = m.agent.get(ORG)
  pool.intercept({ path: '/oauth2/v1/token', method: 'POST' }).replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_CONNECTION', causeCode: 'ECONNRESET' })
  pool.intercept({ path: '/oauth2/v1/token', method: 'POST' }).reply(502, '<html>bad gateway</html>', { headers: { 'content-type': 'text/html' } })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_RESPONSE', status: 502 })
  pool.intercept({ path: '/oauth2/v1/token', method: 'POST' }).reply(200, { token_type: 'Bearer', access_token: TOKEN_SECRET }, { headers: json })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_RESPONSE' }, 'no expires_in')
  pool.intercept({ path: '/oauth2/v1/token', method: 'POST' }).reply(200, { token_type: 'Bearer', expires_in: 0, access_token: TOKEN_SECRET }, { headers: json })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_RESPONSE' }, 'expires_in 0: a token expired on arrival is not used')
  pool.intercept({ path: '/oauth2/v1/token', method: 'POST' }).reply(400, { error: 'unsupported_grant_type', error_description: 'nope' }, { headers: json })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_OAUTH_ERROR', error: 'unsupported_grant_type' })

  // A token response slower than the timeout: a caller that aborts leaves at once (OKTA_ABORTED),
  // not when the refresh it was waiting on times out (OKTA_TIMEOUT).
  const slow = mocked(t, false, KEY, 500)
  slow.agent.get(ORG).intercept({ path: '/oauth2/v1/token', method: 'POST' })
    .reply(200, { token_type: 'Bearer', expires_in: 3600, access_token: TOKEN_SECRET }, { headers: json }).delay(2000)
  const controller = new AbortController()
  const leaving = rejection(slow.client.getUser('00u1', { signal: controller.signal }))
  const waiting = rejection(slow.client.getUser('00u1'))
  // A deadline ends the wait as a signal does: the call's deadline passes before the token timeout.
  const late = rejection(slow.client.getUser('00u1', { deadline: performance.now() + 50 }))
  controller.abort(new Error('the browser went away'))
  t.equal((await leaving).code, 'OKTA_ABORTED')
  t.equal((await late).code, 'OKTA_ABORTED', 'a caller whose deadline passed leaves the token wait at its deadline')
  t.equal((await waiting).code, 'OKTA_TIMEOUT', 'the one who stayed meets the token timeout')

  // invalid_dpop_proof on the API: no retry, a coded error.
  const d = mocked(t, true)
  const dpool = d.agent.get(ORG)
  dpool.intercept({ path: '/oauth2/v1/token', method: 'POST' }).reply(200, { token_type: 'DPoP', expires_in: 3600, access_token: TOKEN_SECRET }, { headers: json })
  dpool.intercept({ path: '/api/v1/users/00u1', method: 'GET' }).reply(400, invalidTokenBody, {
    headers: { ...json, 'www-authenticate': 'DPoP algs="ES256", error="invalid_dpop_proof", error_description="\'htu\' claim in the DPoP proof JWT is invalid."' },
  })
  t.match(await rejection(d.client.getUser('00u1')), { code: 'OKTA_DPOP_REJECTED', error: 'invalid_dpop_proof', errorDescription: /'htu'/ })
  d.agent.assertNoPendingInterceptors()
})

void t.test('challenges as servers write them, scopes as people write them, and a close during the token fetch', async (t) => {
  const tokenReply = { token_type: 'DPoP', expires_in: 3600, access_token: TOKEN_SECRET, scope: 'okta.users.read' }
  // invalid_dpop_proof on a 401 (RFC 9449's form; Okta answers 400): still the proof's fault, no new token.
  const a = mocked(t, true)
  const apool = a.agent.get(ORG)
  let tokens = 0
  apool.intercept({ path: '/oauth2/v1/token', method: 'POST' }).reply(200, () => { tokens++; return tokenReply }, { headers: json }).persist()
  apool.intercept({ path: '/api/v1/users/00u1', method: 'GET' }).reply(401, invalidTokenBody, {
    headers: { ...json, 'www-authenticate': 'DPoP algs="ES256", error="invalid_dpop_proof", error_description="bad proof"' },
  })
  t.match(await rejection(a.client.getUser('00u1')), { code: 'OKTA_DPOP_REJECTED', error: 'invalid_dpop_proof' })
  t.equal(tokens, 1, 'no second token for a refused proof')

  // The nonce demand in a second WWW-Authenticate line: the retry with the nonce, not a token refresh.
  let proofs: string[] = []
  apool.intercept({ path: '/api/v1/users/00u2', method: 'GET' }).reply(401, invalidTokenBody, {
    headers: { ...json, 'dpop-nonce': 'n-api', 'www-authenticate': ['Bearer realm="okta"', 'DPoP error="use_dpop_nonce", error_description="nonce required"'] },
  })
  apool.intercept({ path: '/api/v1/users/00u2', method: 'GET' }).reply((opts) => {
    proofs = [String((opts.headers as Record<string, string>)['dpop'])]
    return { statusCode: 200, data: { id: '00u2', status: 'ACTIVE', profile: { login: 'b@example.com' } }, responseOptions: { headers: json } }
  })
  t.equal((await a.client.getUser('00u2')).id, '00u2')
  t.equal(tokens, 1, 'the nonce retry used the same token')
  t.match(JSON.parse(Buffer.from(proofs[0]!.split('.')[1]!, 'base64url').toString()), { nonce: 'n-api' })
  // An empty DPoP-Nonce header is no nonce: the next proof still carries the latest one.
  apool.intercept({ path: '/api/v1/users/00u4', method: 'GET' }).reply(200, { id: '00u4', status: 'ACTIVE', profile: {} }, { headers: { ...json, 'dpop-nonce': '' } })
  apool.intercept({ path: '/api/v1/users/00u5', method: 'GET' }).reply((opts) => {
    proofs = [String((opts.headers as Record<string, string>)['dpop'])]
    return { statusCode: 200, data: { id: '00u5', status: 'ACTIVE', profile: {} }, responseOptions: { headers: json } }
  })
  await a.client.getUser('00u4')
  await a.client.getUser('00u5')
  t.match(JSON.parse(Buffer.from(proofs[0]!.split('.')[1]!, 'base64url').toString()), { nonce: 'n-api' }, 'an empty DPoP-Nonce kept nothing')

  // An unquoted error value (an auth-param token) is read as a quoted one.
  apool.intercept({ path: '/api/v1/users', method: 'POST' }).reply(403, { ...invalidTokenBody, errorCode: 'E0000006', errorSummary: 'You do not have permission' }, {
    headers: { ...json, 'www-authenticate': 'DPoP error=insufficient_scope, scope=okta.users.manage' },
  })
  const scoped = await rejection(a.client.createUser({ profile: { login: 'c@example.com', email: 'c@example.com' } }))
  t.match(scoped, { code: 'OKTA_INSUFFICIENT_SCOPE', requiredScopes: ['okta.users.manage'] })
  t.match(JSON.parse(JSON.stringify(scoped)), { code: 'OKTA_INSUFFICIENT_SCOPE', status: 403, requiredScopes: ['okta.users.manage'] }, 'toJSON keeps the scopes to add')
  a.agent.assertNoPendingInterceptors()

  // A string of scopes separated by commas is two scopes; a comma inside one array entry is refused at construction.
  const s = new MockAgent()
  s.disableNetConnect()
  let scope = ''
  s.get(ORG).intercept({ path: '/oauth2/v1/token', method: 'POST' }).reply(200, (opts) => {
    scope = new URLSearchParams(String(opts.body)).get('scope') ?? ''
    return { ...tokenReply, token_type: 'Bearer' }
  }, { headers: json })
  s.get(ORG).intercept({ path: '/api/v1/users/00u3', method: 'GET' }).reply(200, { id: '00u3', status: 'ACTIVE', profile: {} }, { headers: json })
  const commas = createOktaClient({ orgUrl: ORG, dispatcher: s, auth: { clientId: '0oa-m', privateKey: KEY.pem, scopes: 'okta.users.read, okta.users.manage', dpop: false } })
  t.teardown(async () => { await commas.close(); await s.close() })
  await commas.getUser('00u3')
  t.equal(scope, 'okta.users.read okta.users.manage')
  t.throws(() => createOktaClient({ orgUrl: ORG, auth: { clientId: 'c', privateKey: KEY.pem, scopes: ['okta.users.read,okta.users.manage'] } }), /"auth\.scopes"/)

  // close() while a call waits for its token: the client's own coded error, not the closed dispatcher's.
  const c = mocked(t, false)
  c.agent.get(ORG).intercept({ path: '/oauth2/v1/token', method: 'POST' }).reply(200, { ...tokenReply, token_type: 'Bearer' }, { headers: json }).delay(300)
  const waiting = rejection(c.client.getUser('00u1'))
  await new Promise((resolve) => setTimeout(resolve, 50))
  await c.client.close()
  t.equal((await waiting).code, 'OKTA_CLIENT_CLOSED')
})

void t.test('close() ends every wait at once: a token fetch that never answers, a 429 wait; far deadlines need no timer', async (t) => {
  // A token endpoint that never answers: with a 60 s timeout, only close() can end the call (else the test times out).
  const { createServer } = await import('node:http')
  const held: Array<import('node:http').ServerResponse> = []
  const silent = createServer((_req, res) => { held.push(res) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const r of held) r.destroy(); silent.closeAllConnections(); silent.close() })
  const orgUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`
  const waiting = createOktaClient({ orgUrl, allowInsecureHttp: true, timeoutMs: 60_000, auth: { clientId: '0oa-w', privateKey: KEY.pem, scopes: ALL_SCOPES, dpop: false } })
  const call = rejection(waiting.getUser('00u1'))
  while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
  await waiting.close() // the client's own Agent: close() itself must not wait for the token fetch either
  t.equal((await call).code, 'OKTA_CLIENT_CLOSED', 'the call waiting for its token')

  // A GET waiting out a 429 (reset 50 s ahead, allowed by rateLimitMaxWaitMs): close() ends the wait.
  let hits = 0
  const limited = createServer((_req, res) => {
    hits++
    res.writeHead(429, { 'content-type': 'application/json', 'x-rate-limit-limit': '1', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + 50) })
    res.end(JSON.stringify({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.', errorLink: 'E0000047', errorId: 'oae1', errorCauses: [] }))
  })
  await new Promise<void>((resolve) => limited.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { limited.closeAllConnections(); limited.close() })
  const patient = createOktaClient({ orgUrl: `http://127.0.0.1:${(limited.address() as { port: number }).port}`, allowInsecureHttp: true, token: 'x'.repeat(40), rateLimitMaxWaitMs: 60_000 })
  const sleeping = rejection(patient.getUser('00u1'))
  while (hits === 0) await new Promise((resolve) => setTimeout(resolve, 10))
  await new Promise((resolve) => setTimeout(resolve, 50))
  await patient.close()
  t.equal((await sleeping).code, 'OKTA_CLIENT_CLOSED', 'the call waiting out a 429')
  t.equal(hits, 1, 'and it did not try again')

  // A deadline far away (or none at all, Infinity) is no bound: the token is fetched, no timer out of range.
  const emu = await oauthEmulator(t, [app('0oa-far', KEY, ALL_SCOPES, false)])
  for (const deadline of [Infinity, performance.now() + 60 * 24 * 3600_000, performance.now() + 30 * 24 * 3600_000]) {
    const c = client(t, emu, { clientId: '0oa-far', privateKey: KEY.pem, scopes: ALL_SCOPES, dpop: false })
    const listed = await c.listUsers({ limit: 1 }, { deadline }).next()
    t.ok(listed.done === true || typeof listed.value === 'object', `deadline ${String(deadline)}: answered`)
  }
})

void t.test('OAuth settings: a field that is not one is a TypeError naming it', async (t) => {
  for (const field of ['DPoP', 'keyID', 'kid', 'clientSecret']) {
    t.throws(() => createOktaClient({ orgUrl: ORG, auth: { clientId: 'c', privateKey: KEY.pem, scopes: ALL_SCOPES, [field]: true } as never }),
      { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: new RegExp(`^"auth\\.${field}" is not an option`) }, field)
  }
})

void t.test('a token answer that trickles in is cut at timeoutMs, and a caller at its deadline, with the garbage collector running', async (t) => {
  // Node 20 holds an AbortSignal.timeout() inside AbortSignal.any() weakly: collected, it never fires, and a body
  // sent a byte at a time (undici's body timeout is per byte) held the token fetch, and every call waiting on it.
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const collecting = setInterval(gc, 20)
  t.teardown(() => { clearInterval(collecting) })
  let tokenRequests = 0
  const trickles: Array<ReturnType<typeof setInterval>> = []
  const server = createServer((_req, res) => {
    tokenRequests++
    res.writeHead(200, { 'content-type': 'application/json' })
    res.flushHeaders()
    const trickle = setInterval(() => res.write(' '), 100)
    trickles.push(trickle)
    res.on('close', () => { clearInterval(trickle) })
  })
  const orgUrl = await listenLoopback(t, server)
  t.teardown(() => { for (const i of trickles) clearInterval(i) })
  const make = (): OktaClient => {
    const c = createOktaClient({ orgUrl, allowInsecureHttp: true, timeoutMs: 600, auth: { clientId: '0oa-t', privateKey: KEY.pem, scopes: ALL_SCOPES, dpop: false } })
    t.teardown(() => c.close())
    return c
  }
  // Each outcome raced against a guard: without the fix the call never settles.
  const settled = async (p: Promise<unknown>): Promise<unknown> => await Promise.race([rejection(p).then((e) => e.code),
    new Promise((resolve) => { setTimeout(resolve, 5000, 'still pending after 5 s') })])
  const c = make()
  t.equal(await settled(c.getUser('00u1')), 'OKTA_TIMEOUT', 'the token fetch ends at timeoutMs')
  t.equal(await settled(c.getUser('00u1')), 'OKTA_TIMEOUT', 'the next call tries again, and ends too')
  t.equal(tokenRequests, 2, 'one token request per call')

  // A caller with a deadline shorter than the timeout leaves the wait at its deadline.
  const d = make()
  t.equal(await settled(d.getUser('00u1', { deadline: performance.now() + 300 })), 'OKTA_ABORTED', 'a deadline ends the wait')
})

void t.test('calls while no token can be had leave nothing on a long-lived signal (one AbortSignal.any per call stayed among its dependants)', async (t) => {
  let tokenRequests = 0
  const server = createServer((_req, res) => {
    tokenRequests++
    res.writeHead(503, { 'content-type': 'text/html' }).end('<html>down</html>')
  })
  const orgUrl = await listenLoopback(t, server)
  const c = createOktaClient({ orgUrl, allowInsecureHttp: true, auth: { clientId: '0oa-d', privateKey: KEY.pem, scopes: ALL_SCOPES, dpop: false } })
  t.teardown(() => c.close())
  // A request-scoped signal an app shares between calls (the README allows it); the client's close signal is another.
  const shared = new AbortController().signal
  const dependants = (s: AbortSignal): number => {
    const key = Object.getOwnPropertySymbols(s).find((k) => k.description === 'kDependantSignals')
    return key === undefined ? 0 : ((s as unknown as Record<symbol, Set<unknown> | undefined>)[key]?.size ?? 0)
  }
  for (let i = 0; i < 50; i++) {
    const codes = await Promise.all([0, 1, 2, 3].map(async () => (await rejection(c.getUser('00u1', { signal: shared }))).code))
    if (i === 0) t.same([...new Set(codes)], ['OKTA_INVALID_RESPONSE'], 'each call fails on the token endpoint\'s page')
  }
  t.ok(tokenRequests >= 50, 'each round asked for a token (four calls at once share one request)')
  t.equal(dependants(shared), 0, 'no combined signal is left depending on the shared signal')
  t.equal(getEventListeners(shared, 'abort').length, 0, 'and no listener')
})

// The emulator's authorization server, driven by hand-built assertions and proofs (jose), so each
// check Okta makes is seen to refuse what it must: the signature, aud, iss/sub, an exp more than an
// hour ahead, a jti (optional, never reused), DPoP proofs (htm, htu, iat, jti, ath, key binding, nonces). Then the
// API: the scope Okta's OpenAPI spec lists for each route (checked against the vendored spec),
// Okta's 403/401 with WWW-Authenticate, SSWS beside OAuth, and apps registered by seed file and CLI.
import t from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SignJWT, decodeJwt, generateKeyPair, exportJWK, importPKCS8, type JWK, type JWTPayload, type CryptoKey } from 'jose'
import { InvalidOptionError, buildEmulator, startEmulator } from '@okta-mfa/emulator'
import { SPEC_SCOPES, scopeFor } from '../../packages/okta-emulator/dist/oauth/scopes.js'
import { ALL_SCOPES, app, appKey, oauthEmulator } from './keys.js'
import { testClock, withEmulator } from '../helpers/emulator.js'

const KEY = appKey('k1')
const OTHER = appKey('k2')
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

interface Dpop { key: CryptoKey, jwk: JWK }
async function dpopKey (): Promise<Dpop> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  return { key: privateKey, jwk: await exportJWK(publicKey) }
}

async function proof (d: Dpop, htm: string, htu: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const iat = typeof claims['iat'] === 'number' ? claims['iat'] : Math.floor(Date.now() / 1000)
  return await new SignJWT({ htm, htu, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: d.jwk, ...header }).setIssuedAt(iat).sign(d.key)
}

/** A client assertion; `kid: null` leaves the header without one, `jti: null` the payload without one. */
async function assertion (clientId: string, aud: string, opts: { key?: string, exp?: number, jti?: unknown, kid?: string | null } = {}): Promise<string> {
  const key = await importPKCS8(opts.key ?? KEY.pem, 'RS256')
  const now = Math.floor(Date.now() / 1000)
  const kid = opts.kid === undefined ? KEY.kid : opts.kid
  return await new SignJWT((opts.jti === null ? {} : { jti: opts.jti ?? randomUUID() }) as JWTPayload).setProtectedHeader(kid === null ? { alg: 'RS256' } : { alg: 'RS256', kid })
    .setIssuer(clientId).setSubject(clientId).setAudience(aud).setIssuedAt(now)
    .setExpirationTime(opts.exp ?? now + 300).sign(key)
}

async function postToken (url: string, form: Record<string, string>, dpop?: string, contentType = 'application/x-www-form-urlencoded', extra: Record<string, string> = {}): Promise<{ status: number, headers: Headers, body: any }> {
  const res = await fetch(`${url}/oauth2/v1/token`, {
    method: 'POST',
    headers: { 'content-type': contentType, accept: 'application/json', ...(dpop === undefined ? {} : { dpop }), ...extra },
    body: contentType.includes('json') ? JSON.stringify(form) : new URLSearchParams(form).toString(),
  })
  return { status: res.status, headers: res.headers, body: await res.json() }
}

function grant (a: string, scope = ALL_SCOPES.join(' ')): Record<string, string> {
  return { grant_type: 'client_credentials', scope, client_assertion_type: ASSERTION_TYPE, client_assertion: a }
}

await t.test('the scope table is the vendored OpenAPI spec', async (t) => {
  const fromSpec: Record<string, string | null> = {}
  for (const file of ['users-subset.yaml', 'factors-subset.yaml']) {
    const text = await readFile(new URL(`../fixtures/okta/${file}`, import.meta.url), 'utf8')
    const paths = text.slice(text.indexOf('\npaths:'), text.indexOf('\ncomponents:'))
    let path = ''
    let op = ''
    const lines = paths.split('\n')
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!
      const p = /^ {2}(\/\S+):$/.exec(line)
      if (p) { path = p[1]!.replace(/\{[^}]+\}/g, '{}'); continue }
      const m = /^ {4}(get|post|put|delete):$/.exec(line)
      if (m) { op = `${m[1]!.toUpperCase()} ${path}`; fromSpec[op] = null; continue }
      if (/^ {6}- oauth2:$/.test(line)) fromSpec[op] = /^ {8}- (okta\.\S+)$/.exec(lines[i + 1]!)![1]!
    }
  }
  t.ok(Object.keys(fromSpec).length >= 20, 'operations read from the spec')
  t.same(SPEC_SCOPES, fromSpec, 'every operation with the scope the spec lists (null: x-okta-no-scope-required)')
  t.equal(scopeFor('GET', '/api/v1/users/:id'), 'okta.users.read')
  t.equal(scopeFor('POST', '/api/v1/users/:userId/factors/:factorId/verify'), 'okta.users.manage')
  t.equal(scopeFor('POST', '/api/v1/users/:userId/factors/:factorId/lifecycle/activate/poll'), 'okta.users.manage', 'not in the subset: manage for writes')
  t.equal(scopeFor('GET', '/__emulator/messages'), null)
})

await t.test('the authorization server metadata (RFC 8414): public, and its token endpoint is the one that issues', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-meta-client', KEY, ALL_SCOPES, false)])
  const res = await fetch(`${emu.url}/.well-known/oauth-authorization-server`) // no credentials
  t.equal(res.status, 200, 'served without a token')
  t.match(res.headers.get('content-type'), /^application\/json/)
  const meta = await res.json() as Record<string, unknown>
  t.same(meta, {
    issuer: emu.url,
    token_endpoint: `${emu.url}/oauth2/v1/token`,
    response_types_supported: [],
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
    dpop_signing_alg_values_supported: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
  })
  const token = await fetch(meta.token_endpoint as string, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(grant(await assertion('0oa-meta-client', meta.token_endpoint as string))).toString(),
  })
  t.equal(token.status, 200, 'a client that discovered the token endpoint gets a token there')
})

await t.test('an app with two keys: the kid picks the key, and an assertion without one is refused', async (t) => {
  const emu = await oauthEmulator(t, [{ clientId: '0oa-two', jwks: { keys: [KEY.publicJwk, OTHER.publicJwk] }, scopes: ALL_SCOPES, dpop: false }])
  const aud = `${emu.url}/oauth2/v1/token`
  t.equal((await postToken(emu.url, grant(await assertion('0oa-two', aud)))).status, 200, 'the first key, by its kid')
  t.equal((await postToken(emu.url, grant(await assertion('0oa-two', aud, { kid: OTHER.kid, key: OTHER.pem })))).status, 200, 'the second key, by its kid')
  const wrong = await postToken(emu.url, grant(await assertion('0oa-two', aud, { kid: OTHER.kid })))
  t.same([wrong.status, wrong.body.error_description], [401, 'The client_assertion signature is invalid.'], 'signed by the other key than its kid names')
  const none = await postToken(emu.url, grant(await assertion('0oa-two', aud, { kid: null })))
  t.same([none.status, none.body.error, none.body.error_description], [401, 'invalid_client', 'The client_assertion JWT kid is invalid.'], 'no kid: Okta cannot tell which key')
})

await t.test('client assertions are checked as Okta does', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-b', KEY, ALL_SCOPES, false)])
  const aud = `${emu.url}/oauth2/v1/token`
  const ok = await postToken(emu.url, grant(await assertion('0oa-b', aud)))
  t.equal(ok.status, 200)
  t.same(Object.keys(ok.body).sort(), ['access_token', 'expires_in', 'scope', 'token_type'])
  t.equal(ok.body.token_type, 'Bearer')
  t.equal(ok.body.expires_in, 3600)
  t.equal(ok.body.scope, 'okta.users.read okta.users.manage')
  t.equal(ok.headers.get('cache-control'), 'no-store')

  const refused = async (form: Record<string, string>, status: number, error: string, description: RegExp, name: string): Promise<void> => {
    const r = await postToken(emu.url, form)
    t.equal(r.status, status, name)
    t.same(Object.keys(r.body).sort(), ['error', 'error_description'], `${name}: Okta's OAuth error body`)
    t.equal(r.body.error, error, name)
    t.match(r.body.error_description, description, name)
  }
  await refused(grant(await assertion('0oa-b', 'https://elsewhere.okta.com/oauth2/v1/token')), 401, 'invalid_client', /audience claim for client_assertion must be the endpoint/, 'wrong audience')
  await refused(grant(await assertion('0oa-b', aud, { key: OTHER.pem })), 401, 'invalid_client', /signature is invalid/, 'wrong key')
  await refused(grant(await assertion('0oa-b', aud, { kid: 'unknown-kid' })), 401, 'invalid_client', /^The client_assertion JWT kid is invalid\.$/, 'unknown kid')
  await refused(grant(await assertion('0oa-b', aud, { kid: OTHER.kid, key: OTHER.pem })), 401, 'invalid_client', /^The client_assertion JWT kid is invalid\.$/, 'the kid of a key the app does not have')
  t.equal((await postToken(emu.url, grant(await assertion('0oa-b', aud, { kid: null })))).status, 200, 'no kid: the app\'s only key')
  await refused(grant(await assertion('0oa-b', aud, { kid: null, key: OTHER.pem })), 401, 'invalid_client', /signature is invalid/, 'no kid, signed by another key')
  await refused(grant(await assertion('0oa-b', aud, { exp: Math.floor(Date.now() / 1000) + 3700 })), 401, 'invalid_client', /expiration too far into the future/, 'exp more than an hour ahead')
  await refused(grant(await assertion('0oa-b', aud, { exp: Math.floor(Date.now() / 1000) - 10 })), 401, 'invalid_client', /expired/, 'expired assertion')
  await refused(grant(await assertion('0oa-nobody', aud)), 401, 'invalid_client', /client_id/, 'unknown client')
  const once = await assertion('0oa-b', aud, { jti: 'jti-once' })
  t.equal((await postToken(emu.url, grant(once))).status, 200)
  await refused(grant(once), 401, 'invalid_client', /already been used/, 'reused assertion')
  await refused(grant(await assertion('0oa-b', aud, { jti: 'jti-once' })), 401, 'invalid_client', /already been used/, 'a new assertion with a used jti')
  // jti is optional for Okta ("Build a JWT for client authentication"); a jti that is sent must be a usable id.
  const noJti = await assertion('0oa-b', aud, { jti: null })
  t.notOk('jti' in decodeJwt(noJti), 'the assertion carries no jti')
  t.equal((await postToken(emu.url, grant(noJti))).status, 200, 'an assertion without a jti')
  for (const jti of ['', 42, ['a']]) {
    await refused(grant(await assertion('0oa-b', aud, { jti })), 401, 'invalid_client', /^The client_assertion token is missing a valid 'jti' claim\.$/, `jti ${JSON.stringify(jti)}`)
  }
  t.equal((await postToken(emu.url, grant(await assertion('0oa-b', aud, { jti: 'j'.repeat(256) })))).status, 200, 'a jti of 256 characters')
  await refused(grant(await assertion('0oa-b', aud, { jti: 'j'.repeat(257) })), 401, 'invalid_client', /^The client_assertion token is missing a valid 'jti' claim\.$/, 'a jti of 257 characters')
  // The audience is this endpoint alone, iss and sub are both the client, and a client_id sent with it names the same app.
  const signed = async (claims: JWTPayload): Promise<string> => await new SignJWT({ jti: randomUUID(), ...claims }).setProtectedHeader({ alg: 'RS256', kid: KEY.kid })
    .setIssuedAt().setExpirationTime('5m').sign(await importPKCS8(KEY.pem, 'RS256'))
  await refused(grant(await signed({ iss: '0oa-b', sub: '0oa-b', aud: [aud, 'https://elsewhere.okta.com/oauth2/v1/token'] })), 401, 'invalid_client',
    /audience claim for client_assertion must be the endpoint/, 'an audience that lists another server too')
  await refused(grant(await signed({ iss: '0oa-someone-else', sub: '0oa-b', aud })), 401, 'invalid_client', /'iss' and 'sub' claims/, 'iss is not the client')
  const noExp = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'RS256', kid: KEY.kid })
    .setIssuer('0oa-b').setSubject('0oa-b').setAudience(aud).setIssuedAt().sign(await importPKCS8(KEY.pem, 'RS256'))
  await refused(grant(noExp), 401, 'invalid_client', /^The client_assertion token is missing a valid 'exp' claim\.$/, 'an assertion without exp (Okta requires one)')
  await refused(grant(await signed({ iss: '0oa-b', sub: 42 as unknown as string, aud })), 401, 'invalid_client', /'iss' and 'sub' claims/, 'sub is not the client (not even a string)')
  await refused({ ...grant(await assertion('0oa-b', aud)), client_id: '0oa-other' }, 401, 'invalid_client', /client_id/, 'a client_id naming another app')
  t.equal((await postToken(emu.url, { ...grant(await assertion('0oa-b', aud)), client_id: '0oa-b' })).status, 200, 'a client_id naming the same app')
  const repeated = await fetch(`${emu.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: `${new URLSearchParams(grant(await assertion('0oa-b', aud))).toString()}&scope=okta.users.read`,
  })
  t.equal(repeated.status, 400, 'a repeated parameter')
  t.same(await repeated.json(), { error: 'invalid_request', error_description: "The 'scope' parameter must not be repeated." }, 'invalid_request naming it')
  await refused(grant(await assertion('0oa-b', aud), 'okta.users.read okta.groups.manage'), 400, 'invalid_scope', /okta\.groups\.manage/, 'a scope not granted')
  await refused({ ...grant(await assertion('0oa-b', aud)), grant_type: 'password' }, 400, 'unsupported_grant_type', /client_credentials/, 'another grant')
  await refused({ grant_type: 'client_credentials', scope: 'okta.users.read', client_secret: 'x' }, 401, 'invalid_client', /private_key_jwt/, 'no assertion')
  // One way of authenticating per request (RFC 6749 2.3): an assertion with a Basic header or a client_secret, or
  // both of those, is Okta's 400 invalid_request, however valid the assertion.
  const basic = { authorization: `Basic ${Buffer.from('0oa-b:secret').toString('base64')}` }
  const multiple = /^Cannot supply multiple client credentials\. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body\.$/
  for (const [name, form, headers] of [
    ['an assertion and a Basic header', grant(await assertion('0oa-b', aud)), basic],
    ['an assertion and a client_secret', { ...grant(await assertion('0oa-b', aud)), client_id: '0oa-b', client_secret: 'secret' }, {}],
    ['a Basic header and a client_secret', { grant_type: 'client_credentials', scope: 'okta.users.read', client_secret: 'secret' }, basic],
  ] as const) {
    const r = await postToken(emu.url, form, undefined, undefined, headers)
    t.equal(r.status, 400, name)
    t.same(Object.keys(r.body).sort(), ['error', 'error_description'], `${name}: Okta's OAuth error body`)
    t.equal(r.body.error, 'invalid_request', name)
    t.match(r.body.error_description, multiple, name)
  }
  t.equal((await postToken(emu.url, { grant_type: 'client_credentials', scope: 'okta.users.read' }, undefined, undefined, basic)).status, 401, 'a Basic header alone: invalid_client (no client secrets here)')
  const json = await postToken(emu.url, grant(await assertion('0oa-b', aud)), undefined, 'application/json')
  t.equal(json.status, 400)
  t.equal(json.body.error, 'invalid_request', 'a JSON body is not a form')
})

await t.test("an assertion signed at real time is judged at real time, however far a test moves the emulator's clock", async (t) => {
  const emu = await withEmulator(t, { serviceApps: [app('0oa-moved', KEY, ALL_SCOPES, false)] }) // its clock: 2030
  const aud = `${emu.url}/oauth2/v1/token`
  const real = await assertion('0oa-moved', aud, { jti: 'jti-real' })
  t.equal((await postToken(emu.url, grant(real))).status, 200, 'signed with the wall clock, against an emulator in 2030')
  emu.clock.advance(-3 * 3600_000)
  t.equal((await postToken(emu.url, grant(real))).body.error_description, 'The client_assertion token has already been used.', 'its jti is remembered: a replay after the clock moves back is refused')
  emu.clock.advance(6 * 3600_000)
  t.equal((await postToken(emu.url, grant(real))).body.error_description, 'The client_assertion token has already been used.', 'and after it moves forward past the assertion\'s exp in emulator time')
  emu.clock.advance(-3 * 3600_000)
  const atEmulatorTime = await assertion('0oa-moved', aud, { exp: Math.floor(emu.clock.now() / 1000) + 300 })
  t.equal((await postToken(emu.url, grant(atEmulatorTime))).status, 200, 'signed at the emulator\'s time: accepted too')
  t.equal((await postToken(emu.url, grant(atEmulatorTime))).body.error_description, 'The client_assertion token has already been used.', 'once')
  emu.clock.advance(-600_000)
  t.equal((await postToken(emu.url, grant(atEmulatorTime))).body.error_description, 'The client_assertion token has already been used.', 'also after the emulator clock moves back')
  emu.clock.advance(600_000)
  emu.clock.advance(299_000)
  t.equal((await postToken(emu.url, grant(atEmulatorTime))).body.error_description, 'The client_assertion token has already been used.', 'and for as long as it is current: a second before its exp')
  emu.clock.advance(-299_000)
  // The emulator's clock is on a whole second: an exp exactly an hour ahead is "at most an hour" (Okta's limit).
  t.equal(emu.clock.now() % 1000, 0)
  t.equal((await postToken(emu.url, grant(await assertion('0oa-moved', aud, { exp: emu.clock.now() / 1000 + 3600 })))).status, 200, 'exp exactly an hour ahead: accepted')
  const hourAndSecond = await postToken(emu.url, grant(await assertion('0oa-moved', aud, { exp: emu.clock.now() / 1000 + 3601 })))
  t.equal(hourAndSecond.body.error_description, 'The client_assertion token has an expiration too far into the future.', 'a second more: refused')
  const stale = await postToken(emu.url, grant(await assertion('0oa-moved', aud, { exp: Math.floor(Date.now() / 1000) - 10 })))
  t.same([stale.status, stale.body.error_description], [401, 'The client_assertion token is expired.'], 'expired at both times: refused, named by the wall clock')
  const far = await postToken(emu.url, grant(await assertion('0oa-moved', aud, { exp: Math.floor(Date.now() / 1000) + 3700 })))
  t.same([far.status, far.body.error_description], [401, 'The client_assertion token has an expiration too far into the future.'], 'more than an hour ahead of both')
  t.equal((await postToken(emu.url, grant(await assertion('0oa-moved', aud, { key: OTHER.pem })))).body.error_description, 'The client_assertion signature is invalid.', 'a bad signature is still one')
})

await t.test('DPoP at the token endpoint: proofs, nonces, binding', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-d', KEY)])
  const aud = `${emu.url}/oauth2/v1/token`
  const d = await dpopKey()
  const missing = await postToken(emu.url, grant(await assertion('0oa-d', aud)))
  t.equal(missing.status, 400)
  t.same(missing.body, { error: 'invalid_dpop_proof', error_description: 'The DPoP proof JWT header is missing.' })

  const first = await postToken(emu.url, grant(await assertion('0oa-d', aud)), await proof(d, 'POST', aud))
  t.equal(first.status, 400)
  t.same(first.body, { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' })
  const nonce = first.headers.get('dpop-nonce')!
  t.ok(nonce, 'the nonce comes in DPoP-Nonce')

  const bad = async (p: string, claim: RegExp, name: string): Promise<void> => {
    const r = await postToken(emu.url, grant(await assertion('0oa-d', aud)), p)
    t.equal(r.status, 400, name)
    t.equal(r.body.error, 'invalid_dpop_proof', name)
    t.match(r.body.error_description, claim, name)
  }
  await bad(await proof(d, 'GET', aud, { nonce }), /'htm'/, 'wrong htm')
  await bad(await proof(d, 'POST', `${aud}?x=1`, { nonce }), /'htu'/, 'htu with a query')
  await bad(await proof(d, 'POST', 'https://other.example.com/oauth2/v1/token', { nonce }), /'htu'/, 'htu of another server')
  await bad(await proof(d, 'POST', aud.replace(/:(\d+)\//, ':80/'), { nonce }), /'htu'/, 'htu of another port')
  await bad(await proof(d, 'POST', aud, { nonce, iat: Math.floor(Date.now() / 1000) - 600 }), /'iat'/, 'an old proof')
  await bad(await proof(d, 'POST', aud, { nonce, iat: Math.floor(Date.now() / 1000) + 600 }), /'iat'/, 'a proof from the future')
  await bad(await proof(d, 'POST', aud, { nonce }, { typ: 'JWT' }), /'typ'/, 'typ not dpop+jwt')
  const priv = await generateKeyPair('ES256', { extractable: true })
  await bad(await new SignJWT({ htm: 'POST', htu: aud, jti: randomUUID(), nonce }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(priv.privateKey) }).setIssuedAt().sign(priv.privateKey),
    /cannot be parsed/, 'a private key in the jwk header')

  const [h, , sig] = (await proof(d, 'POST', aud, { nonce })).split('.')
  const forged = Buffer.from(JSON.stringify({ htm: 'POST', htu: aud, jti: randomUUID(), iat: Math.floor(Date.now() / 1000), nonce })).toString('base64url')
  await bad(`${h}.${forged}.${sig}`, /signature is invalid/, 'a payload the key did not sign')
  await bad(await proof(d, 'POST', aud, { nonce }, { jwk: KEY.publicJwk }), /cannot be parsed/, 'an RSA jwk for an ES256 proof')
  await bad('not.a.proof', /cannot be parsed/, 'garbage')
  // An alg named like Object's members, with a jwk that has no kty to compare: refused as any unknown alg.
  for (const alg of ['__proto__', 'constructor', 'toString']) {
    const header = Buffer.from(JSON.stringify({ alg, typ: 'dpop+jwt', jwk: { crv: 'P-256', x: 'AA', y: 'AA' } })).toString('base64url')
    await bad(`${header}.${forged}.${sig}`, /cannot be parsed/, `alg ${alg}`)
  }
  // RFC 9449: every proof has a jti; one without (or with one that is not a string) is refused as such, not as a replay.
  const NO_JTI = /^'jti' claim in the DPoP proof JWT is missing or invalid: it must be a non-empty string/
  await bad(await proof(d, 'POST', aud, { nonce, jti: undefined }), NO_JTI, 'a proof without a jti')
  await bad(await proof(d, 'POST', aud, { nonce, jti: 42 }), NO_JTI, 'a proof with a numeric jti')
  await bad(await proof(d, 'POST', aud, { nonce, jti: '' }), NO_JTI, 'a proof with an empty jti')
  await bad(await proof(d, 'POST', aud, { nonce, jti: 'j'.repeat(257) }), NO_JTI, 'a proof with a jti of 257 characters')
  const good = await proof(d, 'POST', aud, { nonce })
  const ok = await postToken(emu.url, grant(await assertion('0oa-d', aud)), good)
  t.equal(ok.status, 200)
  t.equal(ok.body.token_type, 'DPoP')
  t.equal(ok.body.expires_in, 3600)
  t.ok(ok.headers.get('dpop-nonce'), 'a nonce for the next request')
  await bad(good, /^'jti' claim in the DPoP proof JWT is invalid: the proof was already used\.$/, 'a proof used twice')

  emu.oauth.rotateDpopNonces()
  const stale = await postToken(emu.url, grant(await assertion('0oa-d', aud)), await proof(d, 'POST', aud, { nonce }))
  t.equal(stale.status, 400)
  t.equal(stale.body.error, 'use_dpop_nonce', 'a stale nonce: asked again, with a new one')
  t.not(stale.headers.get('dpop-nonce'), nonce)

  // The token on the API: proof with ath, same key; anything else refused with Okta's challenge.
  const token = ok.body.access_token as string
  const users = `${emu.url}/api/v1/users`
  const ath = createHash('sha256').update(token).digest('base64url')
  const call = async (headers: Record<string, string>, method = 'GET', url = users): Promise<Response> => await fetch(url, { method, headers: { accept: 'application/json', 'content-type': 'application/json', ...headers }, body: method === 'POST' ? JSON.stringify({ profile: { login: 'acid@example.com', email: 'acid@example.com' } }) : undefined })
  t.equal((await call({ authorization: `DPoP ${token}`, dpop: await proof(d, 'GET', users, { ath }) })).status, 200)
  t.equal((await call({ authorization: `DPoP ${token}`, dpop: await proof(d, 'POST', users, { ath }) }, 'POST')).status, 200)
  const noProof = await call({ authorization: `DPoP ${token}` })
  t.equal(noProof.status, 400)
  t.match(noProof.headers.get('www-authenticate'), /^DPoP algs="[^"]+", authorization_uri="[^"]+\/oauth2\/v1\/authorize", realm="[^"]+", scope="okta\.users\.read", error="invalid_dpop_proof"/)
  const wrongAth = await call({ authorization: `DPoP ${token}`, dpop: await proof(d, 'GET', users, { ath: 'x' }) })
  t.match(wrongAth.headers.get('www-authenticate'), /'ath'/)
  const noAth = await call({ authorization: `DPoP ${token}`, dpop: await proof(d, 'GET', users) })
  t.equal(noAth.status, 400, 'a proof without ath on the API (RFC 9449 4.3: required with an access token)')
  t.match(noAth.headers.get('www-authenticate'), /error="invalid_dpop_proof", error_description="'ath' claim/)
  // A path with an encoded `?`: the htu is that path, never one with a literal `?` (a query), though both decode alike.
  const encodedQ = `${users}/a%3Fb`
  t.equal((await call({ authorization: `DPoP ${token}`, dpop: await proof(d, 'GET', encodedQ, { ath }) }, 'GET', encodedQ)).status, 404, 'htu with the %3F as sent: past the proof, no such user')
  const literalQ = await call({ authorization: `DPoP ${token}`, dpop: await proof(d, 'GET', `${users}/a?b`, { ath }) }, 'GET', encodedQ)
  t.equal(literalQ.status, 400, 'htu with a literal ? for a path with %3F: a query in htu, refused')
  t.match(literalQ.headers.get('www-authenticate'), /'htu' claim/)
  for (const jti of [undefined, 7]) {
    const noJti = await call({ authorization: `DPoP ${token}`, dpop: await proof(d, 'GET', users, { ath, jti }) })
    t.equal(noJti.status, 400, `a proof with jti ${String(jti)} on the API`)
    t.match(noJti.headers.get('www-authenticate'), /error="invalid_dpop_proof", error_description="'jti' claim in the DPoP proof JWT is missing or invalid: /)
  }
  const once = await proof(d, 'GET', users, { ath })
  t.equal((await call({ authorization: `DPoP ${token}`, dpop: once })).status, 200)
  const replayed = await call({ authorization: `DPoP ${token}`, dpop: once })
  t.equal(replayed.status, 400, 'a proof used twice on the API')
  t.match(replayed.headers.get('www-authenticate'), /error_description="'jti' claim in the DPoP proof JWT is invalid: the proof was already used\."/)
  const otherKey = await call({ authorization: `DPoP ${token}`, dpop: await proof(await dpopKey(), 'GET', users, { ath }) })
  t.equal(otherKey.status, 400, 'a proof from another key: the token is bound')
  const asBearer = await call({ authorization: `Bearer ${token}` })
  t.equal(asBearer.status, 401)
  t.match(await asBearer.json(), { errorCode: 'E0000011', errorSummary: 'Invalid token provided' })
  t.equal((await call({ authorization: `SSWS ${emu.token}` })).status, 200, 'SSWS works beside OAuth')

  emu.oauth.expireTokens()
  const expired = await call({ authorization: `DPoP ${token}`, dpop: await proof(d, 'GET', users, { ath }) })
  t.equal(expired.status, 401)
  t.match(expired.headers.get('www-authenticate'), /error="invalid_token", error_description="The token has expired\."/)
})

await t.test('DPoP on the API: a doubled slash (orgUrl ending in /) as Okta answers it, and a 429 that leaves the proof unused', async (t) => {
  // A movable clock that starts now: proofs and assertions are signed at the real time, the rate-limit window moves on demand.
  const clock = testClock(Date.now())
  const emu = await withEmulator(t, { clock, serviceApps: [app('0oa-api', KEY)], rateLimits: { windowMs: 10_000, limits: { users: 1 } } })
  const aud = `${emu.url}/oauth2/v1/token`
  const d = await dpopKey()
  const nonce = (await postToken(emu.url, grant(await assertion('0oa-api', aud)), await proof(d, 'POST', aud))).headers.get('dpop-nonce')!
  const issued = await postToken(emu.url, grant(await assertion('0oa-api', aud)), await proof(d, 'POST', aud, { nonce }))
  t.equal(issued.status, 200, 'a DPoP token')
  // A nonce is good for five minutes: past them (no other nonce handed out meanwhile), use_dpop_nonce again.
  clock.advance(5 * 60_000 + 1)
  const expiredNonce = await postToken(emu.url, grant(await assertion('0oa-api', aud)), await proof(d, 'POST', aud, { nonce, iat: Math.floor(clock.now() / 1000) }))
  t.same([expiredNonce.status, expiredNonce.body.error], [400, 'use_dpop_nonce'], 'an expired nonce is asked for again')
  clock.advance(-(5 * 60_000 + 1))
  const token = issued.body.access_token as string
  const ath = createHash('sha256').update(token).digest('base64url')
  const call = async (path: string, dpop: string): Promise<Response> =>
    await fetch(`${emu.url}${path}`, { headers: { accept: 'application/json', authorization: `DPoP ${token}`, dpop } })
  const me = '/api/v1/users/me'

  // What Okta's SDK does with `orgUrl: 'http://host/'`: the request path and the signed htu both start with `//`.
  // Okta collapses the request's `//` but not the proof's, and refuses it (okta-sdk-nodejs#453, from a real org).
  const doubled = await call(`/${me}`, await proof(d, 'GET', `${emu.url}/${me}`, { ath }))
  t.equal(doubled.status, 400, 'a // request with a // htu: refused, as Okta does')
  t.match(doubled.headers.get('www-authenticate'), /error="invalid_dpop_proof", error_description="'htu' claim in the DPoP proof JWT is invalid\.", resource="\/api\/v1\/users\/me"/)
  t.equal((await call(`/${me}`, await proof(d, 'GET', `${emu.url}${me}`, { ath }))).status, 200, 'a // request with a single-slash htu')
  // RFC 9449 §4.3: scheme and host compare without case, and a default port is no port (the path keeps its case).
  const shouted = emu.url.replace(/^http:\/\/127\.0\.0\.1/, 'HTTP://127.0.0.1')
  t.equal((await call(me, await proof(d, 'GET', `${shouted}${me}`, { ath }))).status, 200, 'a htu with an upper-case scheme')
  t.equal((await call(me, await proof(d, 'GET', `${emu.url}${me.toUpperCase()}`, { ath }))).status, 400, 'a path in another case is another path')
  const elsewhere = await call(`/${me}`, await proof(d, 'GET', `${emu.url}/api/v1/users`, { ath }))
  t.equal(elsewhere.status, 400, 'a htu for another path')
  t.match(elsewhere.headers.get('www-authenticate'), /error="invalid_dpop_proof", error_description="'htu' claim/)

  // The `users` bucket allows one request per window: the second is 429, and its proof stays unused.
  const list = '/api/v1/users'
  t.equal((await call(list, await proof(d, 'GET', `${emu.url}${list}`, { ath }))).status, 200, 'the one request of the window')
  const retried = await proof(d, 'GET', `${emu.url}${list}`, { ath })
  const limited = await call(list, retried)
  t.equal(limited.status, 429, 'over the limit')
  t.match(await limited.json(), { errorCode: 'E0000047' })
  t.equal((await call(list, retried)).status, 429, 'the same proof again within the window: 429 again, not a replay')
  clock.advance(10_000)
  const served = await call(list, retried)
  t.equal(served.status, 200, 'the same proof after the window (what the SDK\'s retry sends): served')
  clock.advance(10_000)
  const replayed = await call(list, retried)
  t.equal(replayed.status, 400, 'once served, the proof is spent')
  t.match(replayed.headers.get('www-authenticate'), /error_description="'jti' claim in the DPoP proof JWT is invalid: the proof was already used\."/)
  // A proof already spent is refused as a replay even when the request would also be over the limit.
  clock.advance(10_000)
  const spent = await proof(d, 'GET', `${emu.url}${list}`, { ath })
  t.equal((await call(list, spent)).status, 200, 'the one request of a new window')
  const both = await call(list, spent)
  t.equal(both.status, 400, 'a replay over the limit: still the replay')
  t.match(both.headers.get('www-authenticate'), /the proof was already used/)
})

await t.test('DPoP on the API: a proof is remembered as long as its iat is accepted, to the millisecond', async (t) => {
  // A whole second (iat is in seconds), so the last moment a proof from 60 s ahead is accepted is exactly 120 s later.
  const clock = testClock(Math.floor(Date.now() / 1000) * 1000)
  const emu = await withEmulator(t, { clock, serviceApps: [app('0oa-iat', KEY)] })
  const aud = `${emu.url}/oauth2/v1/token`
  const d = await dpopKey()
  const nonce = (await postToken(emu.url, grant(await assertion('0oa-iat', aud)), await proof(d, 'POST', aud))).headers.get('dpop-nonce')!
  const token = (await postToken(emu.url, grant(await assertion('0oa-iat', aud)), await proof(d, 'POST', aud, { nonce }))).body.access_token as string
  const ath = createHash('sha256').update(token).digest('base64url')
  const users = `${emu.url}/api/v1/users`
  const call = async (dpop: string): Promise<Response> => await fetch(users, { headers: { accept: 'application/json', authorization: `DPoP ${token}`, dpop } })
  const ahead = await proof(d, 'GET', users, { ath, iat: clock.now() / 1000 + 60 })
  t.equal((await call(ahead)).status, 200, 'a proof 60 s ahead: accepted')
  clock.advance(120_000)
  const replayed = await call(ahead)
  t.equal(replayed.status, 400, 'replayed 120 s later, the last moment its iat is accepted: still a replay')
  t.match(replayed.headers.get('www-authenticate'), /the proof was already used/)
  clock.advance(1)
  t.match((await call(ahead)).headers.get('www-authenticate'), /'iat' claim/, 'a millisecond later its iat is too old')
})

await t.test('maxOAuthRecords: past it the oldest access token and the oldest proof id go first', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-cap', KEY)], { maxOAuthRecords: 3 })
  const aud = `${emu.url}/oauth2/v1/token`
  const d = await dpopKey()
  const nonce = (await postToken(emu.url, grant(await assertion('0oa-cap', aud)), await proof(d, 'POST', aud))).headers.get('dpop-nonce')!
  const tokens: string[] = []
  for (let i = 0; i < 4; i++) {
    const issued = await postToken(emu.url, grant(await assertion('0oa-cap', aud)), await proof(d, 'POST', aud, { nonce }))
    t.equal(issued.status, 200, `token ${i + 1}`)
    tokens.push(issued.body.access_token as string)
  }
  const users = `${emu.url}/api/v1/users`
  const call = async (token: string, dpop?: string): Promise<Response> => await fetch(users, {
    headers: { accept: 'application/json', authorization: `DPoP ${token}`, dpop: dpop ?? await proof(d, 'GET', users, { ath: createHash('sha256').update(token).digest('base64url') }) },
  })
  const oldest = await call(tokens[0]!)
  t.equal(oldest.status, 401, 'the first of four tokens is no longer kept')
  t.match(oldest.headers.get('www-authenticate'), /error="invalid_token"/)
  for (const token of tokens.slice(1)) t.equal((await call(token)).status, 200, 'the three newest still work')

  // Proof ids: the first of four is forgotten (a replay of it is served), the newest three are still refused.
  const ath = createHash('sha256').update(tokens[3]!).digest('base64url')
  const proofs = await Promise.all([0, 1, 2, 3].map(async () => await proof(d, 'GET', users, { ath })))
  for (const p of proofs) t.equal((await call(tokens[3]!, p)).status, 200, 'a fresh proof')
  for (const p of proofs.slice(1).reverse()) {
    const replayed = await call(tokens[3]!, p)
    t.equal(replayed.status, 400, 'one of the newest three, replayed')
    t.match(replayed.headers.get('www-authenticate'), /the proof was already used/)
  }
  t.equal((await call(tokens[3]!, proofs[0])).status, 200, 'the oldest, dropped at the cap, is no longer known')
  t.throws(() => buildEmulator({ maxOAuthRecords: 0 }), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION', message: /"maxOAuthRecords"/ }, 'at least 1')
})

await t.test('DPoP: a proof a 429 gave back is taken until a minute past the reset it named, though signed over a minute before (a 429 early in a long window)', async (t) => {
  const clock = testClock(Date.now())
  const emu = await withEmulator(t, { clock, serviceApps: [app('0oa-held', KEY)], rateLimits: { windowMs: 90_000, limits: { users: 1, token: 2 } } })
  const aud = `${emu.url}/oauth2/v1/token`
  const d = await dpopKey()
  const nonce = (await postToken(emu.url, grant(await assertion('0oa-held', aud)), await proof(d, 'POST', aud))).headers.get('dpop-nonce')!
  const token = (await postToken(emu.url, grant(await assertion('0oa-held', aud)), await proof(d, 'POST', aud, { nonce }))).body.access_token as string
  const ath = createHash('sha256').update(token).digest('base64url')
  const list = '/api/v1/users'
  const call = async (dpop: string): Promise<Response> => await fetch(`${emu.url}${list}`, { headers: { accept: 'application/json', authorization: `DPoP ${token}`, dpop } })
  clock.set(Math.ceil(clock.now() / 90_000) * 90_000 + 500) // windows start on multiples of their length: early in one
  const signedAt = Math.floor(clock.now() / 1000)
  t.equal((await call(await proof(d, 'GET', `${emu.url}${list}`, { ath, iat: signedAt }))).status, 200, 'the one request of the window')
  const held = await proof(d, 'GET', `${emu.url}${list}`, { ath, iat: signedAt })
  const limited = await call(held)
  t.equal(limited.status, 429)
  const reset = Number(limited.headers.get('x-rate-limit-reset'))
  t.ok(reset * 1000 - clock.now() > 60_000, 'the reset is over a minute away')
  clock.set(reset * 1000 + 1_000) // the SDK's wait: the reset, and a second
  t.equal((await call(held)).status, 200, 'the proof the 429 gave back, resent after the wait it named: served')
  // Another proof signed as long ago, never given back by a 429: its iat is refused.
  const stale = await call(await proof(d, 'GET', `${emu.url}${list}`, { ath, iat: signedAt }))
  t.equal(stale.status, 400, 'a proof signed as long ago that no 429 held')
  t.match(stale.headers.get('www-authenticate'), /'iat' claim in the DPoP proof JWT is invalid/)
  const replayed = await call(held)
  t.equal(replayed.status, 400, 'and then spent')
  t.match(replayed.headers.get('www-authenticate'), /the proof was already used/)
  // A proof held, then resent over a minute past the reset: its iat is refused again.
  const late = await proof(d, 'GET', `${emu.url}${list}`, { ath, iat: Math.floor(clock.now() / 1000) })
  t.equal((await call(late)).status, 429, 'over the limit of the new window')
  const lateReset = Number((await call(late)).headers.get('x-rate-limit-reset'))
  clock.set(lateReset * 1000 + 61_000)
  const tooLate = await call(late)
  t.equal(tooLate.status, 400, 'resent over a minute past the reset it was given: refused')
  t.match(tooLate.headers.get('www-authenticate'), /'iat' claim/)

  // The token endpoint's own rate limit (two requests a window here): its 429 holds the proof the same way.
  clock.set(Math.ceil(clock.now() / 90_000) * 90_000 + 500)
  const iat = Math.floor(clock.now() / 1000)
  const fresh = (await postToken(emu.url, grant(await assertion('0oa-held', aud)), await proof(d, 'POST', aud, { iat }))).headers.get('dpop-nonce')!
  t.equal((await postToken(emu.url, grant(await assertion('0oa-held', aud)), await proof(d, 'POST', aud, { nonce: fresh, iat }))).status, 200)
  const body = grant(await assertion('0oa-held', aud))
  const tokenProof = await proof(d, 'POST', aud, { nonce: fresh, iat })
  const refused = await postToken(emu.url, body, tokenProof)
  t.equal(refused.status, 429, "over the token endpoint's limit")
  clock.set(Number(refused.headers.get('x-rate-limit-reset')) * 1000 + 1_000)
  const again = await postToken(emu.url, body, tokenProof)
  t.same([again.status, again.body.token_type], [200, 'DPoP'], 'the same request resent after the wait: a token')
})

await t.test('DPoP: a 429 a route answers itself (a text asked for too soon) leaves the proof unused too', async (t) => {
  const clock = testClock(Date.now())
  const emu = await withEmulator(t, { clock, serviceApps: [app('0oa-sms', KEY)], seed: [{ login: 'texts@example.com', factors: [{ factorType: 'sms', phoneNumber: '+15550100111' }] }] })
  const aud = `${emu.url}/oauth2/v1/token`
  const d = await dpopKey()
  const nonce = (await postToken(emu.url, grant(await assertion('0oa-sms', aud)), await proof(d, 'POST', aud))).headers.get('dpop-nonce')!
  const token = (await postToken(emu.url, grant(await assertion('0oa-sms', aud)), await proof(d, 'POST', aud, { nonce }))).body.access_token as string
  const ath = createHash('sha256').update(token).digest('base64url')
  const user = await (await fetch(`${emu.url}/api/v1/users/texts@example.com`, { headers: { accept: 'application/json', authorization: `SSWS ${emu.token}` } })).json() as { id: string }
  const factor = (await (await fetch(`${emu.url}/api/v1/users/${user.id}/factors`, { headers: { accept: 'application/json', authorization: `SSWS ${emu.token}` } })).json() as Array<{ id: string }>)[0]!
  const path = `/api/v1/users/${user.id}/factors/${factor.id}/verify`
  const challenge = async (dpop: string): Promise<Response> => await fetch(`${emu.url}${path}`, {
    method: 'POST', body: '{}', headers: { accept: 'application/json', 'content-type': 'application/json', authorization: `DPoP ${token}`, dpop },
  })
  t.equal((await challenge(await proof(d, 'POST', `${emu.url}${path}`, { ath }))).status, 200, 'a text sent')
  const retried = await proof(d, 'POST', `${emu.url}${path}`, { ath })
  const soon = await challenge(retried)
  t.equal(soon.status, 429, 'another one at once: too soon')
  t.match(await soon.json(), { errorCode: 'E0000109' })
  clock.advance(30_000)
  t.equal((await challenge(retried)).status, 200, 'the same proof after the wait (the SDK\'s retry): served')
  const replayed = await challenge(retried)
  t.equal(replayed.status, 400, 'once served, it is spent')
  t.match(replayed.headers.get('www-authenticate'), /the proof was already used/)
})

await t.test('scopes on the API: 403 E0000006 with insufficient_scope, read covered by manage', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-r', KEY, ['okta.users.read'], false), app('0oa-m', KEY, ['okta.users.manage'], false)])
  const aud = `${emu.url}/oauth2/v1/token`
  const tokenOf = async (clientId: string, scope: string): Promise<string> => (await postToken(emu.url, grant(await assertion(clientId, aud), scope))).body.access_token
  const read = await tokenOf('0oa-r', 'okta.users.read')
  const manage = await tokenOf('0oa-m', 'okta.users.manage')
  const created = await fetch(`${emu.url}/api/v1/users`, { method: 'POST', headers: { authorization: `Bearer ${read}`, 'content-type': 'application/json' }, body: JSON.stringify({ profile: { login: 'r@example.com', email: 'r@example.com' } }) })
  t.equal(created.status, 403)
  t.match(await created.json(), { errorCode: 'E0000006', errorSummary: 'You do not have permission to perform the requested action', errorCauses: [] })
  t.equal(created.headers.get('www-authenticate'),
    `Bearer authorization_uri="${emu.url}/oauth2/v1/authorize", realm="${emu.url}", scope="okta.users.manage", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/users"`)
  t.equal(created.headers.get('content-type'), 'application/json')
  t.ok(created.headers.get('x-okta-request-id'))
  const made = await fetch(`${emu.url}/api/v1/users`, { method: 'POST', headers: { authorization: `Bearer ${manage}`, 'content-type': 'application/json' }, body: JSON.stringify({ profile: { login: 'm@example.com', email: 'm@example.com' } }) })
  t.equal(made.status, 200)
  const id = ((await made.json()) as { id: string }).id
  t.equal((await fetch(`${emu.url}/api/v1/users/${id}`, { headers: { authorization: `Bearer ${manage}` } })).status, 200, 'manage covers read')
  t.equal((await fetch(`${emu.url}/api/v1/users/${id}/factors`, { headers: { authorization: `Bearer ${read}` } })).status, 200)
  t.equal((await fetch(`${emu.url}/api/v1/users/${id}/factors/questions`, { headers: { authorization: `Bearer ${read}` } })).status, 200)
  const reset = await fetch(`${emu.url}/api/v1/users/${id}/lifecycle/reset_factors`, { method: 'POST', headers: { authorization: `Bearer ${read}` } })
  t.equal(reset.status, 403)
  t.equal((await fetch(`${emu.url}/api/v1/users`, { headers: { authorization: 'Bearer not-a-token' } })).status, 401)
  t.equal((await fetch(`${emu.url}/api/v1/users`)).status, 403, 'no header: still E0000005')
  // The emulator's own routes read codes and answer pushes: SSWS only, whatever the token's scopes.
  for (const path of ['/__emulator/messages', '/__emulator/factors/ostnone00000000001/totp']) {
    const refused = await fetch(`${emu.url}${path}`, { headers: { authorization: `Bearer ${manage}` } })
    t.equal(refused.status, 403, `${path} with an OAuth token`)
    t.match(await refused.json(), { errorCode: 'E0000006' })
  }
  t.equal((await fetch(`${emu.url}/__emulator/messages`, { headers: { authorization: `SSWS ${emu.token}` } })).status, 200, 'with the API token')
})

await t.test("a user's schema and type links need the Schemas API's and User Types API's read scopes, not none", async (t) => {
  const emu = await oauthEmulator(t, [
    app('0oa-users', KEY, ['okta.users.manage'], false),
    app('0oa-meta', KEY, ['okta.users.read', 'okta.schemas.read', 'okta.userTypes.read'], false),
    app('0oa-mmeta', KEY, ['okta.users.read', 'okta.schemas.manage', 'okta.userTypes.manage'], false),
  ])
  const aud = `${emu.url}/oauth2/v1/token`
  const tokenOf = async (clientId: string, scope: string): Promise<string> => (await postToken(emu.url, grant(await assertion(clientId, aud), scope))).body.access_token
  const users = await tokenOf('0oa-users', 'okta.users.manage')
  const made = await fetch(`${emu.url}/api/v1/users`, { method: 'POST', headers: { authorization: `Bearer ${users}`, 'content-type': 'application/json' }, body: JSON.stringify({ profile: { login: 's@example.com', email: 's@example.com' } }) })
  const links = ((await made.json()) as { _links: { schema: { href: string }, type: { href: string } } })._links
  for (const [name, href, scope] of [['schema', links.schema.href, 'okta.schemas.read'], ['type', links.type.href, 'okta.userTypes.read']] as const) {
    const refused = await fetch(href, { headers: { authorization: `Bearer ${users}` } })
    t.equal(refused.status, 403, `${name}: a token with only okta.users.manage is refused`)
    t.match(await refused.json(), { errorCode: 'E0000006' })
    t.match(refused.headers.get('www-authenticate'), `scope="${scope}", error="insufficient_scope"`)
    const meta = await tokenOf('0oa-meta', 'okta.users.read okta.schemas.read okta.userTypes.read')
    t.equal((await fetch(href, { headers: { authorization: `Bearer ${meta}` } })).status, 200, `${name}: with ${scope}`)
    const manage = await tokenOf('0oa-mmeta', 'okta.schemas.manage okta.userTypes.manage')
    t.equal((await fetch(href, { headers: { authorization: `Bearer ${manage}` } })).status, 200, `${name}: its .manage covers ${scope}`)
    t.equal((await fetch(href, { headers: { authorization: `SSWS ${emu.token}` } })).status, 200, `${name}: the API token reads it`)
  }
})

const CLI = fileURLToPath(new URL('../../packages/okta-emulator/dist/cli.js', import.meta.url))

await t.test('service apps from the seed file and the command line; bad ones named', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'oauth-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const seed = join(dir, 'seed.json')
  await writeFile(seed, JSON.stringify({ users: [{ login: 'seeded@example.com' }], serviceApps: [app('0oa-seed', KEY, ['okta.users.read'], false)] }))
  const emu = await startEmulator({ port: 0, quiet: true, seed })
  t.teardown(() => emu.close())
  const r = await postToken(emu.url, grant(await assertion('0oa-seed', `${emu.url}/oauth2/v1/token`), 'okta.users.read'))
  t.equal(r.status, 200, 'the seed file registered the app')
  const u = await fetch(`${emu.url}/api/v1/users/seeded%40example.com`, { headers: { authorization: `Bearer ${r.body.access_token}` } })
  t.equal(u.status, 200, 'and its users')

  const jwks = join(dir, 'jwks.json')
  await writeFile(jwks, JSON.stringify({ keys: [KEY.publicJwk] }))
  const child = spawn(process.execPath, [CLI, '--port', '0', '--quiet', '--seed', seed, '--service-app', `0oa-cli:${jwks}:okta.users.read,okta.users.manage:no-dpop`], { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const banner = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); if (out.includes('State:')) resolve(out) })
    child.once('exit', (code) => reject(new Error(`cli exited ${code}`)))
  })
  const url = /url=(\S+)/.exec(banner)![1]!
  t.match(banner, `\n  OAuth:        ${url}/oauth2/v1/token for 0oa-cli, 0oa-seed\n`, 'the start-up line lists every app once, the seeded one too')
  const c = await postToken(url, grant(await assertion('0oa-cli', `${url}/oauth2/v1/token`)))
  t.equal(c.status, 200, 'the command line registered the app')
  t.equal(c.body.token_type, 'Bearer', 'no-dpop')
  t.equal((await postToken(url, grant(await assertion('0oa-seed', `${url}/oauth2/v1/token`), 'okta.users.read'))).status, 200, 'and the seed file its app')

  t.throws(() => buildEmulator({ serviceApps: [{ clientId: 'x', jwks: KEY.privateJwk, scopes: [] }] }), /public key/)
  t.throws(() => buildEmulator({ serviceApps: [{ clientId: '', jwks: KEY.publicJwk, scopes: [] }] }), /"clientId"/)
  // A key that cannot verify anything is refused at start, not answered "signature invalid" at every token request.
  const { generateKeyPairSync } = await import('node:crypto')
  const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' })
  const k256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'jwk' })
  for (const jwks of [{ kty: 'RSA' }, { kty: 'RSA', n: 'AQAB' }, { kty: 'EC', crv: 'P-999', x: 'a', y: 'b' }, { keys: [KEY.publicJwk, { kty: 'EC' }] },
    rsa1024, k256, { ...KEY.publicJwk, key_ops: ['sign'] }, { ...KEY.publicJwk, ext: 'yes' },
    // A key for encryption, or one stating an alg it cannot have (RFC 7517 use and alg).
    { ...KEY.publicJwk, use: 'enc' }, { ...KEY.publicJwk, alg: 'ES256' }, { ...KEY.publicJwk, alg: 'PS256' }]) {
    t.throws(() => buildEmulator({ serviceApps: [{ clientId: 'x', jwks: jwks as never, scopes: [] }] }), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION', message: /^"serviceApps" option \(x\): key \d of "jwks" is not a usable (RSA|EC) public key$/ }, JSON.stringify(jwks).slice(0, 60))
  }
  t.doesNotThrow(() => buildEmulator({ serviceApps: [{ clientId: 'x', jwks: { ...KEY.publicJwk, key_ops: ['verify'], use: 'sig', alg: 'RS256' }, scopes: [] }] }), 'a usable key with its optional members')
  // Keys the token endpoint could not tell apart by an assertion's `kid` (or never pick) would fail every assertion
  // signed with them: refused at start, naming the key by its place.
  const { kid: _kid, ...noKid } = OTHER.publicJwk
  for (const [jwks, message] of [
    [{ keys: [KEY.publicJwk, { ...OTHER.publicJwk, kid: KEY.publicJwk.kid }] }, /^"serviceApps" option \(x\): key 1 of "jwks" has the "kid" of an earlier key$/],
    [{ keys: [KEY.publicJwk, noKid] }, /^"serviceApps" option \(x\): key 1 of "jwks" has no "kid": each key of an app with several needs one$/],
    [{ keys: [{ ...KEY.publicJwk, kid: 123 }] }, /^"serviceApps" option \(x\): key 0 of "jwks" has a "kid" that is not a non-empty string$/],
    [{ ...KEY.publicJwk, kid: '' }, /^"serviceApps" option \(x\): key 0 of "jwks" has a "kid" that is not a non-empty string$/],
    [{ ...KEY.publicJwk, kid: null }, /^"serviceApps" option \(x\): key 0 of "jwks" has a "kid" that is not a non-empty string$/],
  ] as const) {
    t.throws(() => buildEmulator({ serviceApps: [{ clientId: 'x', jwks: jwks as never, scopes: [] }] }), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION', message }, JSON.stringify(jwks).slice(0, 60))
  }
  t.doesNotThrow(() => buildEmulator({ serviceApps: [{ clientId: 'x', jwks: noKid as never, scopes: [] }] }), 'one key without a kid: the app\'s only key')
  t.throws(() => buildEmulator({ serviceApps: [{ clientId: 'x', jwks: KEY.publicJwk, scopes: 'okta.users.read' as unknown as string[] }] }), /"scopes"/)
  // A client id registered twice: only one of the apps could work, so it is a mistake, named.
  const twice = [app('0oa-x', KEY, ['okta.users.read'], false), app('0oa-x', OTHER, ['okta.users.manage'], false)]
  t.throws(() => buildEmulator({ serviceApps: twice }), new InvalidOptionError('"serviceApps" option: client id 0oa-x is registered twice'))
  t.throws(() => buildEmulator({ seed: { users: [], serviceApps: twice } }), new InvalidOptionError('"seed" option serviceApps: client id 0oa-x is registered twice'))
  t.throws(() => buildEmulator({ serviceApps: [app('0oa-seed', OTHER, ['okta.users.read'], false)], seed }),
    new InvalidOptionError('"seed" option serviceApps: client id 0oa-seed is already registered by the "serviceApps" option'))

  const run = async (...args: string[]): Promise<{ code: number | null, out: string, err: string }> => {
    const p = spawn(process.execPath, [CLI, '--port', '0', '--quiet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    t.teardown(() => { if (p.exitCode === null) p.kill('SIGKILL') })
    let out = ''
    let err = ''
    p.stdout.on('data', (b: Buffer) => { out += b.toString() })
    p.stderr.on('data', (b: Buffer) => { err += b.toString() })
    const code = await new Promise<number | null>((resolve) => p.once('exit', resolve))
    return { code, out, err }
  }
  const usage = async (args: string[], message: RegExp, name: string): Promise<string> => {
    const r = await run(...args)
    t.equal(r.code, 2, `${name}: exit 2`)
    t.equal(r.out, '', `${name}: never started`)
    t.match(r.err, message, name)
    return r.err
  }
  await usage(['--service-app', 'only-one-field'], /--service-app must be CLIENT_ID:KEY_FILE:SCOPES/, 'one field')
  await usage(['--service-app', `0oa-a:${jwks}:okta.users.read`, '--service-app', `0oa-a:${jwks}:okta.users.manage:no-dpop`],
    /^okta-emulator: --service-app: client id 0oa-a is given twice\n/, 'the same client id twice')
  await usage(['--seed', seed, '--service-app', `0oa-seed:${jwks}:okta.users.read`],
    /^okta-emulator: --service-app: client id 0oa-seed is also a service app of the seed file /, 'a client id of the seed file')
  const privateFile = join(dir, 'private.json')
  await writeFile(privateFile, JSON.stringify(KEY.privateJwk))
  const leaked = await usage(['--service-app', `0oa-p:${privateFile}:okta.users.read`],
    /^okta-emulator: --service-app \(0oa-p\): key 0 of ".*private\.json" must be a public key \(it holds private members\)\n/, 'a private key as the public key')
  for (const member of ['d', 'p', 'q'] as const) t.notOk(leaked.includes(String(KEY.privateJwk[member])), `the key's ${member} is not printed`)
  await usage(['--service-app', `0oa-s:${jwks}:okta.users.read,bad"scope`], /--service-app: "scopes" of 0oa-s/, 'a bad scope name')
  const brokenFile = join(dir, 'broken.json')
  await writeFile(brokenFile, JSON.stringify({ kty: 'RSA' }))
  await usage(['--service-app', `0oa-b:${brokenFile}:okta.users.read`], /^okta-emulator: --service-app \(0oa-b\): key 0 of ".*broken\.json" is not a usable RSA public key\n/, 'a key without its modulus')
})

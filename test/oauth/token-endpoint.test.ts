// What the client makes of each answer of the token endpoint beyond a token or an OAuth error: a 429 is
// OKTA_RATE_LIMITED with the reset computed as on the API (the emulator's real token endpoint rate-limits),
// an Okta error body maps as on the API, a 200 is read only as JSON, and a DPoP-bound token to a client
// without DPoP is an invalid response. Answers the emulator cannot give on demand (a 5xx, a 429 from a
// proxy, a 200 of the wrong Content-Type, a DPoP token unasked) come from MockAgent.
import t, { type Test } from 'tap'
import { inspect } from 'node:util'
import { MockAgent } from 'undici'
import { createOktaClient, InvalidResponseError, OktaApiError, RateLimitedError, type OktaClient } from '@okta-mfa/client'
import { ALL_SCOPES, app, appKey, oauthEmulator, rejection } from './keys.js'

const KEY = appKey('key-1')
const ORG = 'https://dev-token.okta.com'
const TOKEN_SECRET = 'eyJ-TOKEN-ENDPOINT-SECRET-5521'
const json = { 'content-type': 'application/json', 'x-okta-request-id': 'rid-tok' }

function mocked (t: Test, dpop = false): { agent: MockAgent, client: OktaClient, token: () => ReturnType<ReturnType<MockAgent['get']>['intercept']> } {
  const agent = new MockAgent()
  agent.disableNetConnect()
  const client = createOktaClient({ orgUrl: ORG, dispatcher: agent, auth: { clientId: '0oa-t', privateKey: KEY.pem, scopes: ['okta.users.read'], dpop } })
  t.teardown(async () => { await client.close(); await agent.close() })
  return { agent, client, token: () => agent.get(ORG).intercept({ path: '/oauth2/v1/token', method: 'POST' }) }
}

void t.test('a 429 of the real token endpoint is OKTA_RATE_LIMITED, its reset read as on the API', async (t) => {
  // The token endpoint's bucket and the users' spent at once: every request is a 429 E0000047.
  const emu = await oauthEmulator(t, [app('0oa-rl', KEY, ALL_SCOPES, false)], { rateLimits: { windowMs: 3_600_000, limits: { token: 0, user: 0 } } })
  const oauth = createOktaClient({ orgUrl: emu.url, allowInsecureHttp: true, auth: { clientId: '0oa-rl', privateKey: KEY.pem, scopes: ALL_SCOPES } })
  const api = createOktaClient({ orgUrl: emu.url, allowInsecureHttp: true, token: emu.token, rateLimitMaxWaitMs: 0 })
  t.teardown(async () => { await oauth.close(); await api.close() })

  const err = await rejection(oauth.getUser('someone@example.com'))
  t.type(err, RateLimitedError)
  t.match(err, { code: 'OKTA_RATE_LIMITED', status: 429, errorCode: 'E0000047', errorSummary: /rate limit/ })
  t.match(err.requestId, /\S/, 'the request id of the token response')
  t.type(err.resetAt, Date)
  t.type(err.retryAfterSeconds, 'number')
  t.ok(Math.abs(err.resetAt.getTime() - Date.now() - err.retryAfterSeconds * 1000) <= 2000, 'retryAfterSeconds is the time left to resetAt')

  // The API path on the same window: the same reset, the same wait.
  const onApi = await rejection(api.getUser('someone@example.com'))
  t.type(onApi, RateLimitedError)
  t.equal(err.resetAt.getTime(), onApi.resetAt.getTime())
  t.ok(Math.abs(err.retryAfterSeconds - onApi.retryAfterSeconds) <= 1)
})

void t.test('the token endpoint counts in a bucket of its own: a token request spends none of the API buckets', async (t) => {
  const emu = await oauthEmulator(t, [app('0oa-own', KEY, ALL_SCOPES, false)], { rateLimits: { windowMs: 3_600_000, limits: { user: 1, token: 5 } } })
  const oauth = createOktaClient({ orgUrl: emu.url, allowInsecureHttp: true, rateLimitMaxWaitMs: 0, auth: { clientId: '0oa-own', privateKey: KEY.pem, scopes: ALL_SCOPES } })
  t.teardown(async () => { await oauth.close() })
  t.equal((await oauth.getUser('me')).profile.login, 'okta-emulator-admin@example.com', "the user bucket's one request is the API call's, not the token's")
  const refused = await fetch(`${emu.url}/oauth2/v1/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: 'grant_type=client_credentials' })
  t.equal(refused.headers.get('x-rate-limit-limit'), '5', "the token endpoint's headers are its own bucket's")
  t.equal(refused.headers.get('x-rate-limit-remaining'), '3', 'two token requests so far')
  // Another method at the token endpoint (405, in OAuth's form) counts there too, not in the users' buckets.
  const get = await fetch(`${emu.url}/oauth2/v1/token`, { headers: { accept: 'application/json' } })
  t.equal(get.status, 405)
  t.equal(get.headers.get('x-rate-limit-limit'), '5', "a 405 at the token endpoint is the token bucket's")
  t.equal(get.headers.get('x-rate-limit-remaining'), '2')
  // Every request to the endpoint is counted, whatever its outcome: its rate limit's 429 too.
  for (let i = 0; i < 3; i++) await (await fetch(`${emu.url}/oauth2/v1/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' })).arrayBuffer()
  t.equal(emu.oauth.tokenRequests(), 6, 'the client\'s, the refused one, the 405, and three more (the last one a 429)')
})

void t.test('a 429 of the token endpoint is OKTA_RATE_LIMITED whatever its body', async (t) => {
  const m = mocked(t)
  const date = new Date(Date.UTC(2030, 0, 1, 12, 0, 0))
  const reset = String(date.getTime() / 1000 + 42)
  m.token().reply(429, { error: 'rate_limited', error_description: 'slow down' }, { headers: { ...json, 'x-rate-limit-reset': reset, date: date.toUTCString() } })
  const oauthBody = await rejection(m.client.getUser('00u1'))
  t.type(oauthBody, RateLimitedError, 'an OAuth-style body')
  t.match(oauthBody, { code: 'OKTA_RATE_LIMITED', status: 429, retryAfterSeconds: 42, requestId: 'rid-tok' })
  t.equal(oauthBody.resetAt.getTime(), Number(reset) * 1000, 'X-Rate-Limit-Reset, relative to Date')

  m.token().reply(429, '<html>Too Many Requests</html>', { headers: { 'content-type': 'text/html', 'retry-after': '7' } })
  const html = await rejection(m.client.getUser('00u1'))
  t.type(html, RateLimitedError, 'a proxy page')
  t.match(html, { code: 'OKTA_RATE_LIMITED', status: 429, retryAfterSeconds: 7, errorCode: undefined })

  m.token().reply(429, '', { headers: {} })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_RATE_LIMITED', resetAt: undefined, retryAfterSeconds: undefined }, 'no body, no header')
  m.agent.assertNoPendingInterceptors()
})

void t.test('an Okta error body of the token endpoint maps as on the API; OAuth bodies as before', async (t) => {
  const m = mocked(t)
  const body = { errorCode: 'E0000009', errorSummary: 'Internal Server Error', errorLink: 'E0000009', errorId: 'oae9', errorCauses: [] }
  m.token().reply(500, body, { headers: json })
  const err = await rejection(m.client.getUser('00u1'))
  t.type(err, OktaApiError)
  t.match(err, { code: 'OKTA_API_ERROR', status: 500, errorCode: 'E0000009', errorSummary: 'Internal Server Error', errorId: 'oae9', requestId: 'rid-tok' })

  m.token().reply(401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided', errorCauses: [] }, { headers: json })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_AUTHENTICATION', status: 401, errorCode: 'E0000011' }, 'by code, as the API maps it')

  m.token().reply(503, '<html>down</html>', { headers: { 'content-type': 'text/html' } })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_RESPONSE', status: 503 }, 'no Okta body: an invalid response')

  m.token().reply(400, { error: 'invalid_request', error_description: 'bad' }, { headers: json })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_OAUTH_ERROR', status: 400, error: 'invalid_request' }, 'an OAuth body')
  m.token().reply(401, { error: 'invalid_client', error_description: 'no' }, { headers: json })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_CLIENT', status: 401 })
  m.agent.assertNoPendingInterceptors()
})

void t.test('a 200 of the token endpoint is read only with a JSON Content-Type', async (t) => {
  const m = mocked(t)
  const token = { token_type: 'Bearer', expires_in: 3600, access_token: TOKEN_SECRET }
  m.token().reply(200, JSON.stringify(token), { headers: { 'content-type': 'text/html' } })
  const html = await rejection(m.client.getUser('00u1'))
  t.type(html, InvalidResponseError)
  t.match(html, { code: 'OKTA_INVALID_RESPONSE', status: 200, message: /Content-Type "text\/html", not JSON/ })
  m.token().reply(200, JSON.stringify(token), { headers: {} })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_RESPONSE', status: 200, message: /without a Content-Type/ })
  m.token().reply(200, 'not json', { headers: json })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_RESPONSE', status: 200, message: /not a JSON object/ })
  t.notMatch(inspect(html, { depth: 10, showHidden: true }) + JSON.stringify(html) + String(html.stack), TOKEN_SECRET, 'the token is not shown')

  // application/json with a charset: read.
  m.token().reply(200, token, { headers: { 'content-type': 'application/json; charset=utf-8' } })
  m.agent.get(ORG).intercept({ path: '/api/v1/users/00u1', method: 'GET', headers: { authorization: `Bearer ${TOKEN_SECRET}` } })
    .reply(200, { id: '00u1', profile: {} }, { headers: json })
  t.equal((await m.client.getUser('00u1')).id, '00u1')
  m.agent.assertNoPendingInterceptors()

  // The body is capped at 64 KiB (a token response is a few KB): one byte over is refused, exactly 64 KiB is read.
  const padded = (size: number): string => {
    const base = JSON.stringify({ ...token, pad: '' })
    return JSON.stringify({ ...token, pad: 'x'.repeat(size - base.length) })
  }
  const cap = mocked(t)
  cap.token().reply(200, padded(64 * 1024 + 1), { headers: json })
  t.match(await rejection(cap.client.getUser('00u1')), { code: 'OKTA_INVALID_RESPONSE', status: 200, message: /larger than 65536 bytes/ }, 'over 64 KiB')
  cap.token().reply(200, padded(64 * 1024), { headers: json })
  cap.agent.get(ORG).intercept({ path: '/api/v1/users/00u1', method: 'GET', headers: { authorization: `Bearer ${TOKEN_SECRET}` } })
    .reply(200, { id: '00u1', profile: {} }, { headers: json })
  t.equal((await cap.client.getUser('00u1')).id, '00u1', 'exactly 64 KiB')
  cap.agent.assertNoPendingInterceptors()
})

void t.test('a DPoP-bound token to a client without DPoP is an invalid response', async (t) => {
  const m = mocked(t, false)
  m.token().reply(200, { token_type: 'DPoP', expires_in: 3600, access_token: TOKEN_SECRET }, { headers: json })
  const err = await rejection(m.client.getUser('00u1'))
  t.type(err, InvalidResponseError)
  t.match(err, { code: 'OKTA_INVALID_RESPONSE', status: 200, requestId: 'rid-tok', message: /DPoP/ })
  t.notMatch(inspect(err, { depth: 10, showHidden: true }) + JSON.stringify(err) + String(err.stack), TOKEN_SECRET)
  m.agent.assertNoPendingInterceptors()
})

void t.test('use_dpop_nonce with an empty DPoP-Nonce header is no nonce to retry with: the coded error, one request', async (t) => {
  // (The emulator always sends a nonce with use_dpop_nonce: a server that sends an empty one comes from MockAgent.)
  const m = mocked(t, true)
  let requests = 0
  m.token().reply(400, () => { requests++; return { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof.' } },
    { headers: { ...json, 'dpop-nonce': '' } }).times(2)
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_DPOP_REJECTED', error: 'use_dpop_nonce' })
  t.equal(requests, 1, 'no retry without a nonce')
})

void t.test('an OAuth error body is read only from a 4xx with a JSON Content-Type: redirects, HTML and 5xx are Okta unavailable', async (t) => {
  const m = mocked(t)
  m.token().reply(302, { error: 'invalid_client' }, { headers: { ...json, location: 'https://elsewhere.example/token' } })
  const redirect = await rejection(m.client.getUser('00u1'))
  t.type(redirect, InvalidResponseError, 'a redirect is not an OAuth answer')
  t.match(redirect, { code: 'OKTA_INVALID_RESPONSE', status: 302, requestId: 'rid-tok', message: /redirects are not followed/ })
  m.token().reply(307, { error: 'invalid_request' }, { headers: json })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_RESPONSE', status: 307 })

  m.token().reply(400, JSON.stringify({ error: 'invalid_client' }), { headers: { 'content-type': 'text/html' } })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_RESPONSE', status: 400 }, 'JSON text in an HTML page is not read')
  m.token().reply(400, JSON.stringify({ errorCode: 'E0000001', errorSummary: 'bad' }), { headers: {} })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_RESPONSE', status: 400 }, 'nor an Okta body without a Content-Type')

  // An OAuth body on a 5xx: Okta unavailable, as the API's 5xx without an Okta body (never OKTA_OAUTH_ERROR).
  for (const [status, error] of [[500, 'server_error'], [503, 'temporarily_unavailable']] as const) {
    m.token().reply(status, { error, error_description: 'try later' }, { headers: json })
    const err = await rejection(m.client.getUser('00u1'))
    t.type(err, InvalidResponseError, `${status} ${error}`)
    t.match(err, { code: 'OKTA_INVALID_RESPONSE', status, requestId: 'rid-tok' })
  }
  // A 4xx OAuth body with JSON is still the OAuth error.
  m.token().reply(400, { error: 'invalid_scope' }, { headers: json })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_SCOPE', status: 400 })
  m.agent.assertNoPendingInterceptors()
})

void t.test('a bad signal before the first token: a TypeError, no token fetch, nothing rejects later', async (t) => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => { process.off('unhandledRejection', onUnhandled) })
  const m = mocked(t)
  // Were the token fetched, it would fail (invalid_client) with nobody waiting for it.
  m.token().reply(401, { error: 'invalid_client', error_description: 'unknown client' }, { headers: json })
  const err = await rejection(m.client.getUser('00u1', { signal: new AbortController() as unknown as AbortSignal }))
  t.type(err, TypeError)
  t.match(err.message, /"signal" option must be an AbortSignal/)
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.same(unhandled, [], 'no unhandled rejection')
  t.equal(m.agent.pendingInterceptors().length, 1, 'the token endpoint was not called')
})

void t.test('a MockAgent miss at the token endpoint: the cause does not quote the assertion', async (t) => {
  const agent = new MockAgent()
  agent.disableNetConnect()
  agent.get(ORG).intercept({ path: '/oauth2/v1/token', method: 'POST', body: (b) => b.includes('scope=okta.users.manage') }).reply(200, {})
  const client = createOktaClient({ orgUrl: ORG, dispatcher: agent, auth: { clientId: '0oa-t', privateKey: KEY.pem, scopes: ['okta.users.read'], dpop: true } })
  t.teardown(async () => { await client.close(); await agent.close() })
  const err = await rejection(client.getUser('00u1'))
  t.match(err, { code: 'OKTA_CONNECTION', causeCode: 'UND_MOCK_ERR_MOCK_NOT_MATCHED' })
  const view = inspect(err, { depth: 10, showHidden: true }) + JSON.stringify(err) + String(err.stack)
  t.notMatch(view, /client_assertion|eyJ/, 'no assertion, no proof')
  t.notMatch(view, KEY.pem.slice(40, 80))
})

void t.test('an error that quotes the request back does not carry the assertion, the proof or the token into the error', async (t) => {
  const m = mocked(t, true)
  let sent = { assertion: '', proof: '' }
  m.token().reply(401, (opts) => {
    const assertion = new URLSearchParams(String(opts.body)).get('client_assertion')!
    const proof = String((opts.headers as Record<string, string>)['dpop'])
    sent = { assertion, proof }
    return { error: 'invalid_client', error_description: `bad ${assertion} with ${proof}`, errorCode: 'E0000004', errorSummary: assertion }
  }, { headers: json })
  const client = await rejection(m.client.getUser('00u1'))
  t.match(client, { code: 'OKTA_INVALID_CLIENT', errorDescription: 'bad [redacted] with [redacted]' })
  t.match(JSON.parse(JSON.stringify(client)), { code: 'OKTA_INVALID_CLIENT', status: 401, error: 'invalid_client', errorDescription: 'bad [redacted] with [redacted]' }, 'toJSON keeps the OAuth fields, redacted')
  const view = inspect(client, { depth: 10, showHidden: true }) + JSON.stringify(client) + String(client.stack)
  t.ok(sent.assertion.length > 100 && sent.proof.length > 100, 'both were sent')
  t.notMatch(view, sent.assertion.slice(-40), 'no assertion')
  t.notMatch(view, sent.proof.slice(-40), 'no proof')
  // Okta's request id header is its text too: one quoting the assertion is kept without it.
  m.token().reply((opts) => {
    const assertion = new URLSearchParams(String(opts.body)).get('client_assertion')!
    return { statusCode: 401, data: JSON.stringify({ error: 'invalid_client' }), responseOptions: { headers: { ...json, 'x-okta-request-id': `rid ${assertion}` } } }
  })
  t.match(await rejection(m.client.getUser('00u1')), { code: 'OKTA_INVALID_CLIENT', requestId: 'rid [redacted]' }, 'the request id without the assertion')
  // A 200 that is no token is an error too: its request id and quoted Content-Type are kept without the assertion.
  m.token().reply((opts) => {
    const assertion = new URLSearchParams(String(opts.body)).get('client_assertion')!
    return { statusCode: 200, data: 'x', responseOptions: { headers: { 'content-type': `text/plain; x=${assertion}`, 'x-okta-request-id': `rid ${assertion}` } } }
  })
  const on200 = await rejection(m.client.getUser('00u1'))
  t.match(on200, { code: 'OKTA_INVALID_RESPONSE', requestId: 'rid [redacted]', message: /Content-Type "text\/plain; x=\[redacted\]"/ }, 'a 200 that is not JSON: no assertion')
  // The API's DPoP challenge quoting the access token and the proof of the call.
  m.token().reply(200, { token_type: 'DPoP', expires_in: 3600, access_token: TOKEN_SECRET }, { headers: json })
  m.agent.get(ORG).intercept({ path: '/api/v1/users/00u1', method: 'GET' }).reply(400, (opts) => {
    const proof = String((opts.headers as Record<string, string>)['dpop'])
    sent.proof = proof
    return { errorCode: 'E0000015', errorSummary: `proof ${proof}` }
  }, { headers: { ...json, 'www-authenticate': `DPoP error="invalid_dpop_proof", error_description="token ${TOKEN_SECRET} refused"` } })
  const api = await rejection(m.client.getUser('00u1'))
  t.match(api, { code: 'OKTA_DPOP_REJECTED', errorDescription: 'token [redacted] refused' })
  const apiView = inspect(api, { depth: 10, showHidden: true }) + JSON.stringify(api) + String(api.stack)
  t.notMatch(apiView, TOKEN_SECRET)
  m.agent.assertNoPendingInterceptors()
})

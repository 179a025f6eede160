// Guards the API token: it never appears in util.inspect / console output / JSON of the client, its auth,
// its options' results, or any error (message, stack, toJSON, inspect), whatever went wrong.
import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import { createOktaClient, ssws } from '@okta-mfa/client'
import type { OktaClient } from '@okta-mfa/client'
import { ORG, TOKEN, jsonHeaders, mockOrg, oktaErrorBody } from '../helpers/client-mock.js'

function everyView (value: unknown): string {
  const e = value as Error
  return [
    inspect(value, { depth: 10, showHidden: true, getters: true }),
    JSON.stringify(value) ?? '',
    String(value),
    typeof e?.stack === 'string' ? e.stack : '',
    typeof e?.message === 'string' ? e.message : '',
    e?.cause === undefined ? '' : inspect(e.cause, { depth: 10, showHidden: true }),
  ].join('\n')
}

void t.test('the client and its auth never show the token', async (t) => {
  const client = createOktaClient({ orgUrl: ORG, token: TOKEN })
  t.teardown(() => client.close())
  const views = everyView(client)
  t.notMatch(views, TOKEN)
  t.match(views, ORG, 'but they do show the org')
  t.notMatch(inspect(Object.getOwnPropertyNames(client)), TOKEN)
  const auth = ssws(TOKEN)
  t.notMatch(everyView(auth), TOKEN)
  t.match(inspect(auth), /redacted/)
  t.same(Object.keys(auth), ['header'], 'the token is no property of the auth object')
  t.equal(await auth.header(), `SSWS ${TOKEN}`)
})

async function errorOf (fn: (c: OktaClient) => Promise<unknown>, setup: (m: ReturnType<typeof mockOrg>) => void, t: Parameters<typeof mockOrg>[0]): Promise<unknown> {
  const m = mockOrg(t, { timeoutMs: 50 })
  setup(m)
  try {
    await fn(m.client)
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

void t.test('no error shows the token: Okta errors, 429, timeout, connection, invalid response, bad input', async (t) => {
  const path = '/api/v1/users/00u1'
  const cases: Array<[string, (m: ReturnType<typeof mockOrg>) => void]> = [
    ['401', (m) => { m.pool.intercept({ path, method: 'GET' }).reply(401, oktaErrorBody('E0000011', 'Invalid token provided'), { headers: jsonHeaders() }) }],
    ['403 echoing the header', (m) => { m.pool.intercept({ path, method: 'GET' }).reply(403, oktaErrorBody('E0000005', 'Invalid session'), { headers: jsonHeaders() }) }],
    ['429', (m) => { m.pool.intercept({ path, method: 'GET' }).reply(429, oktaErrorBody('E0000047', 'rate'), { headers: { ...jsonHeaders(), 'x-rate-limit-reset': '9999999999' } }) }],
    ['timeout', (m) => { m.pool.intercept({ path, method: 'GET' }).reply(200, {}, { headers: jsonHeaders() }).delay(200) }],
    ['reset', (m) => { m.pool.intercept({ path, method: 'GET' }).replyWithError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })) }],
    ['html 500', (m) => { m.pool.intercept({ path, method: 'GET' }).reply(500, '<html></html>', { headers: { 'content-type': 'text/html' } }) }],
    ['bad json', (m) => { m.pool.intercept({ path, method: 'GET' }).reply(200, '{', { headers: jsonHeaders() }) }],
    ['no interceptor (net connect disabled)', () => {}],
  ]
  for (const [name, setup] of cases) {
    const err = await errorOf((c) => c.getUser('00u1'), setup, t)
    t.ok(err instanceof Error, name)
    t.notMatch(everyView(err), TOKEN, name)
    t.notMatch(JSON.stringify((err as { toJSON?: () => unknown }).toJSON?.() ?? {}), TOKEN, `${name}: toJSON`)
  }
  for (const options of [{ orgUrl: 'http://x', token: TOKEN }, { orgUrl: ORG, token: `${TOKEN} x` }]) {
    try {
      createOktaClient(options)
      t.fail('should throw')
    } catch (err) {
      t.ok(err instanceof TypeError)
      t.notMatch(everyView(err), TOKEN, 'a TypeError about options')
    }
  }
})

void t.test('toJSON of an Okta error lists only safe fields', async (t) => {
  const err = await errorOf((c) => c.verifyFactor('00u1', 'ost1', { passCode: '987654' }), (m) => {
    m.pool.intercept({ path: '/api/v1/users/00u1/factors/ost1/verify', method: 'POST' })
      .reply(403, oktaErrorBody('E0000068', 'Invalid Passcode/Answer', ["Your passcode doesn't match our records. Please try again."]), { headers: jsonHeaders('rid-x') })
  }, t)
  const json = (err as { toJSON: () => Record<string, unknown> }).toJSON()
  t.same(Object.keys(json).sort(), ['code', 'errorCauses', 'errorCode', 'errorId', 'errorLink', 'errorSummary', 'message', 'name', 'requestId', 'status'])
  t.equal(json['errorLink'], 'E0000068', 'Okta\'s fields, errorLink among them (README)')
  t.notMatch(everyView(err), '987654', 'the passcode sent is not echoed either')
})

void t.test('no cause quotes the request or the body: a MockAgent miss (headers, body), malformed JSON around a shared secret', async (t) => {
  const verify = '/api/v1/users/00u1/factors/ost1/verify'
  // MockAgent's "not matched" error quotes the request's headers (the Authorization) or its body (the passcode).
  const byHeader = await errorOf((c) => c.verifyFactor('00u1', 'ost1', { passCode: '918273' }, {}, { requestId: 'other' }), (m) => {
    m.pool.intercept({ path: verify, method: 'POST', headers: { 'x-request-id': 'expected' } }).reply(200, { factorResult: 'SUCCESS' }, { headers: jsonHeaders() })
  }, t)
  t.match(byHeader, { code: 'OKTA_CONNECTION', causeCode: 'UND_MOCK_ERR_MOCK_NOT_MATCHED' })
  t.match((byHeader as Error).cause, { name: 'MockNotMatchedError', code: 'UND_MOCK_ERR_MOCK_NOT_MATCHED' }, 'the cause keeps its name and code')
  t.notMatch(everyView(byHeader), TOKEN, 'a miss on a header: no token')
  t.notMatch(everyView(byHeader), '918273', 'nor the passcode')
  const byBody = await errorOf((c) => c.verifyFactor('00u1', 'ost1', { passCode: '918273' }), (m) => {
    m.pool.intercept({ path: verify, method: 'POST', body: '{"passCode":"000000"}' }).reply(200, { factorResult: 'SUCCESS' }, { headers: jsonHeaders() })
  }, t)
  t.notMatch(everyView(byBody), '918273', 'a miss on the body: no passcode')
  t.notMatch(everyView(byBody), TOKEN)

  // V8's SyntaxError quotes the text around the error: here, the TOTP shared secret of an enrolment.
  const secret = 'JBSWY3DPEHPK3PXP'
  const badJson = await errorOf((c) => c.enrollFactor('00u1', { factorType: 'token:software:totp', provider: 'GOOGLE' }), (m) => {
    m.pool.intercept({ path: '/api/v1/users/00u1/factors', method: 'POST' })
      .reply(200, `{"id":"ost1","_embedded":{"activation":{"sharedSecret":${secret}}}}`, { headers: jsonHeaders() })
  }, t)
  t.match(badJson, { code: 'OKTA_INVALID_RESPONSE', status: 200 })
  t.match((badJson as Error).cause, { name: 'SyntaxError' })
  t.notMatch(everyView(badJson), secret, 'no part of the shared secret')
  t.notMatch(everyView(badJson), secret.slice(0, 8))
})

void t.test("an error answer that quotes the request back (a proxy, a hostile org) does not carry its secrets into the error", async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const VERIFY = '/api/v1/users/00u1/factors/ost1/verify'
  // The token in the summary, a cause and the error id; the passcode in the summary and a cause's other field.
  pool.intercept({ path: '/api/v1/users/00u1', method: 'GET' }).reply(401, {
    ...oktaErrorBody('E0000011', `Invalid token provided: SSWS ${TOKEN}`, [`token ${TOKEN} is revoked`]), errorId: `oae-${TOKEN}`,
  }, { headers: jsonHeaders() })
  const auth = await client.getUser('00u1').catch((e: unknown) => e)
  t.match(auth, { code: 'OKTA_AUTHENTICATION', errorCode: 'E0000011', errorSummary: /^Invalid token provided: \[redacted\]$/ }, 'the class and code as Okta sent them')
  t.notMatch(everyView(auth), TOKEN)
  // The same echo in the request id header.
  pool.intercept({ path: '/api/v1/users/00u1', method: 'GET' }).reply(401, oktaErrorBody('E0000011', 'Invalid token provided'), { headers: jsonHeaders(`rid SSWS ${TOKEN}`) })
  const byHeader = await client.getUser('00u1').catch((e: unknown) => e)
  t.match(byHeader, { code: 'OKTA_AUTHENTICATION', requestId: 'rid [redacted]' })
  t.notMatch(everyView(byHeader), TOKEN)
  // A six-digit passcode that appears inside Okta's error code: the code is kept, the echo is not.
  for (const passCode of ['314159', '000006']) {
    pool.intercept({ path: VERIFY, method: 'POST' }).reply(403, {
      ...oktaErrorBody('E0000068', `Your passcode doesn't match our records: {"passCode":"${passCode}"}`, [`passCode ${passCode} invalid`]),
      errorCauses: [{ errorSummary: 'x', reason: `got ${passCode}`, nested: { deep: passCode } }],
    }, { headers: jsonHeaders() })
    const err = await client.verifyFactor('00u1', 'ost1', { passCode }).catch((e: unknown) => e)
    t.match(err, { code: 'OKTA_INVALID_PASSCODE', errorCode: 'E0000068', errorLink: 'E0000068' }, `${passCode}: still E0000068`)
    t.notMatch(everyView(err).replaceAll('E0000068', ''), passCode, `${passCode}: not in the error`)
  }
  // A security answer, JSON-escaped in the echo as an error body's raw text would hold it.
  const answer = 'my "first" car'
  pool.intercept({ path: VERIFY, method: 'POST' }).reply(403, oktaErrorBody('E0000068', `bad answer ${JSON.stringify(answer)} and ${answer}`), { headers: jsonHeaders() })
  const wrong = await client.verifyFactor('00u1', 'ost1', { answer }).catch((e: unknown) => e)
  t.notMatch(everyView(wrong), 'first', 'the answer, as sent and as JSON escapes it')
  // The same secrets quoted as the *names* of a cause's fields: the name and its value are dropped, Okta's fields kept.
  const keyed = 'mayonnaise'
  pool.intercept({ path: VERIFY, method: 'POST' }).reply(403, {
    ...oktaErrorBody('E0000068', 'Invalid Passcode/Answer'),
    errorCauses: [{ errorSummary: 'no match', reason: 'mismatch', [`SSWS ${TOKEN}`]: 'echo', [TOKEN]: 'echo', [`answer was: ${keyed}`]: 'x', [keyed]: 'y' }],
  }, { headers: jsonHeaders() })
  const byKey = await client.verifyFactor('00u1', 'ost1', { answer: keyed }).catch((e: unknown) => e)
  t.same((byKey as { errorCauses: unknown }).errorCauses, [{ errorSummary: 'no match', reason: 'mismatch' }], "only Okta's field names are kept")
  for (const secret of [TOKEN, keyed]) t.notMatch(everyView(byKey), secret, 'no secret as a field name, in any view')
  agent.assertNoPendingInterceptors()
})

void t.test('an answer that is no Okta answer (2xx of the wrong form, 302, a 500 page, a body too large) quoting the request back keeps no secret', async (t) => {
  const { agent, pool, client } = mockOrg(t, { timeoutMs: 200 })
  const echo = (rid: string, contentType = 'application/json'): Record<string, string> => ({ 'content-type': contentType, 'x-okta-request-id': rid })
  const GET = { path: '/api/v1/users/00u1', method: 'GET' }
  const cases: Array<[string, () => void, Record<string, unknown>]> = [
    ['a 200 that is not JSON', () => { pool.intercept(GET).reply(200, '<html>', { headers: echo(`rid SSWS ${TOKEN}`, `text/html; t=${TOKEN}`) }) }, { code: 'OKTA_INVALID_RESPONSE', requestId: 'rid [redacted]', message: /Content-Type "text\/html; t=\[redacted\]"/ }],
    ['a 200 whose Content-Type has the token across its quoted 100 characters', () => { pool.intercept(GET).reply(200, '<html>', { headers: echo('rid', `text/html; ${'p'.repeat(80)}; t=${TOKEN}`) }) }, { code: 'OKTA_INVALID_RESPONSE', message: /; t=\[red/ }],
    ['a 200 of the wrong shape', () => { pool.intercept(GET).reply(200, [1], { headers: echo(`rid ${TOKEN}`) }) }, { code: 'OKTA_INVALID_RESPONSE', requestId: 'rid [redacted]' }],
    ['a 200 with invalid JSON', () => { pool.intercept(GET).reply(200, '{', { headers: echo(`rid ${TOKEN}`) }) }, { code: 'OKTA_INVALID_RESPONSE', requestId: 'rid [redacted]' }],
    ['a 302', () => { pool.intercept(GET).reply(302, '', { headers: { ...echo(`rid ${TOKEN}`), location: 'https://elsewhere.example/' } }) }, { code: 'OKTA_INVALID_RESPONSE', requestId: 'rid [redacted]' }],
    ['a 500 page', () => { pool.intercept(GET).reply(500, '<html>', { headers: echo(`rid ${TOKEN}`, `text/html; t=${TOKEN}`) }) }, { code: 'OKTA_INVALID_RESPONSE', requestId: 'rid [redacted]', message: /Content-Type "text\/html; t=\[redacted\]"/ }],
    ['a body too large', () => { pool.intercept(GET).reply(200, 'x'.repeat(1024 * 1024 + 10), { headers: echo(`rid ${TOKEN}`) }) }, { code: 'OKTA_INVALID_RESPONSE', requestId: 'rid [redacted]' }],
  ]
  for (const [what, setup, expected] of cases) {
    setup()
    const err = await client.getUser('00u1').catch((e: unknown) => e)
    t.match(err, expected, what)
    t.notMatch(everyView(err), TOKEN, `${what}: no token in any view`)
    t.notMatch(JSON.stringify((err as { toJSON: () => unknown }).toJSON()), TOKEN, `${what}: toJSON`)
  }
  // The request id of an error answer is kept without the answer or password the request carried (its passcode stays:
  // six digits may be part of a genuine id).
  const VERIFY = { path: '/api/v1/users/00u1/factors/ost1/verify', method: 'POST' }
  pool.intercept(VERIFY).reply(403, oktaErrorBody('E0000068', 'Invalid Passcode/Answer'), { headers: echo('rid my first car 123456') })
  t.match(await client.verifyFactor('00u1', 'ost1', { answer: 'my first car' }).catch((e: unknown) => e), { code: 'OKTA_INVALID_PASSCODE', requestId: 'rid [redacted] 123456' })
  pool.intercept(VERIFY).reply(403, oktaErrorBody('E0000068', 'Invalid Passcode/Answer'), { headers: echo('rid-123456-x') })
  t.match(await client.verifyFactor('00u1', 'ost1', { passCode: '123456' }).catch((e: unknown) => e), { requestId: 'rid-123456-x' }, 'a passcode is not cut out of a request id')
  pool.intercept({ path: '/api/v1/users', method: 'POST' }).reply(400, oktaErrorBody('E0000001', 'Api validation failed'), { headers: echo('rid hunter2-Secret') })
  const created = await client.createUser({ profile: { login: 'a@example.com', email: 'a@example.com' }, credentials: { password: { value: 'hunter2-Secret' } } }).catch((e: unknown) => e)
  t.match(created, { code: 'OKTA_VALIDATION', requestId: 'rid [redacted]' }, 'nor a password')
  agent.assertNoPendingInterceptors()
})

void t.test('a timeout after headers that quote the token back: the error\'s request id is kept without it', async (t) => {
  // A real server (MockAgent delays headers and body together): the headers come at once, the body never does.
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-okta-request-id': `rid ${String(req.headers.authorization)}` })
    res.write('{')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const client = createOktaClient({ orgUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: TOKEN, allowInsecureHttp: true, timeoutMs: 200 })
  t.teardown(() => client.close())
  const err = await client.getUser('00u1').catch((e: unknown) => e)
  t.match(err, { code: 'OKTA_TIMEOUT', requestId: 'rid [redacted]' })
  t.notMatch(everyView(err), TOKEN)
})

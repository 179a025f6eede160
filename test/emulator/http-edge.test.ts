// Guards the HTTP surface against what clients and attackers send: SSWS auth (403 E0000005 /
// 401 E0000011), Okta's five-field envelope and headers on EVERY response (errors, 404s, parser
// failures), malformed or oversized bodies, odd ids, double slashes, and rate limits — no input
// may produce a 5xx or take the process down. Also Okta's answers to a wrong method (405 E0000022
// with Allow) and to media types it does not take (400 E0000021), and the OAuth form of every
// refusal at the token endpoint.
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { connect } from 'node:net'
import { request } from 'undici'
import { emuFetch, userWithTotp, withEmulator } from '../helpers/emulator.js'
import { oversizedPost } from '../helpers/http.js'
import { REPO_ROOT } from '../helpers/processes.js'

const ENVELOPE_KEYS = ['errorCauses', 'errorCode', 'errorId', 'errorLink', 'errorSummary']

function isEnvelope (body: Record<string, unknown>): boolean {
  return JSON.stringify(Object.keys(body).sort()) === JSON.stringify(ENVELOPE_KEYS) &&
    body['errorLink'] === body['errorCode'] && /^oae[A-Za-z0-9_-]{22}$/.test(String(body['errorId'])) && Array.isArray(body['errorCauses'])
}

/** The cause the emulator answers an internal error with (400 E0000001, never a 5xx): a fault all the same. */
const INTERNAL_ERROR = 'The emulator could not process this request.'

await t.test('SSWS auth', async (t) => {
  const emu = await withEmulator(t)
  const none = await emuFetch(emu, 'GET', '/api/v1/users', undefined, { authorization: '' })
  t.equal(none.status, 403)
  t.equal(none.body.errorCode, 'E0000005')
  t.equal(none.body.errorSummary, 'Invalid session')
  for (const header of ['SSWS wrong', 'Bearer test-token', 'SSWS', 'SSWS test-token-and-more', 'test-token']) {
    const r = await emuFetch(emu, 'GET', '/api/v1/users', undefined, { authorization: header })
    t.equal(r.status, 401, header)
    t.equal(r.body.errorCode, 'E0000011')
    t.notOk(r.text.includes('test-token'), 'the token is never echoed')
  }
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users', undefined, { authorization: 'ssws test-token' })).status, 200, 'the scheme is case-insensitive')
  t.equal((await emuFetch(emu, 'GET', '/__emulator/messages', undefined, { authorization: '' })).status, 403, 'the outbox needs the token too')
})

await t.test('headers and envelope on every response', async (t) => {
  const emu = await withEmulator(t)
  const cases: Array<[string, string, unknown?, Record<string, string>?]> = [
    ['GET', '/api/v1/users'],
    ['GET', '/api/v1/users/nobody'],
    ['GET', '/nowhere'],
    ['POST', '/api/v1/users', '{"profile":'],
    ['GET', '/api/v1/users', undefined, { authorization: '' }],
    ['GET', '/api/v1/users/%E0%A4%A'],
    ['POST', '/nowhere', '{"bad'],
    ['GET', `/api/v1/users/${'x'.repeat(600)}`],
  ]
  for (const [method, path, body, headers] of cases) {
    const r = await emuFetch(emu, method, path, body, headers)
    const name = `${method} ${path} -> ${r.status}`
    t.ok(r.status < 500, name)
    t.equal(r.headers.get('content-type'), 'application/json', `${name}: exactly application/json, as real orgs send it`)
    t.ok(r.headers.get('x-okta-request-id'), `${name}: X-Okta-Request-Id`)
    t.equal(r.headers.get('date'), new Date(Math.floor(emu.clock.now() / 1000) * 1000).toUTCString(), `${name}: Date from the emulator clock`)
    for (const h of ['x-rate-limit-limit', 'x-rate-limit-remaining', 'x-rate-limit-reset']) t.match(r.headers.get(h), /^\d+$/, `${name}: ${h}`)
    if (r.status >= 400) t.ok(isEnvelope(r.body), `${name}: the five-field envelope`)
  }
  const ids = new Set<string>()
  for (let i = 0; i < 5; i++) ids.add((await emuFetch(emu, 'GET', '/api/v1/users')).headers.get('x-okta-request-id')!)
  t.equal(ids.size, 5, 'request ids are unique')
  const missing = await emuFetch(emu, 'GET', '/api/v1/users/00u0000000000000none')
  t.equal(missing.status, 404)
  t.equal(missing.body.errorSummary, 'Not found: Resource not found: 00u0000000000000none (User)')
  const { userId } = await userWithTotp(emu)
  const noFactor = await emuFetch(emu, 'GET', `/api/v1/users/${userId}/factors/ost000000000000none`)
  t.equal(noFactor.body.errorSummary, 'Not found: Resource not found: ost000000000000none (UserFactor)')
  for (const path of ['/api/v1/users/%E0%A4%A', `/api/v1/users/${'x'.repeat(600)}`]) {
    t.equal((await emuFetch(emu, 'GET', path)).body.errorSummary, `Not found: Resource not found: ${path} (Path)`, 'an undecodable or over-long id names the path, as any unknown path')
  }
})

await t.test("HTTP that Node's parser refuses gets Okta's envelope and headers, not the framework's", async (t) => {
  const emu = await withEmulator(t)
  const { port } = new URL(emu.url)
  const rawAnswer = async (request: string): Promise<string> => await new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(request))
    let text = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => { text += chunk }).on('end', () => resolve(text)).on('error', reject)
  })
  const ors = Array.from({ length: 400 }, (_, i) => `id eq "00u${String(i).padStart(17, '0')}"`).join(' or ')
  const cases: Array<[string, number]> = [
    [`GET /api/v1/users?search=${encodeURIComponent(ors)} HTTP/1.1\r\nHost: x\r\nAuthorization: SSWS test-token\r\n\r\n`, 431],
    [`GET /api/v1/users HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`, 431],
    ['POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
    // HTTP/1.1 requires Host (RFC 9112 §3.2): refused by Node itself unless the emulator answers it. Its links are
    // built from Host, so an empty, malformed or repeated one is refused too, and none in HTTP/1.0.
    ['GET /api/v1/users HTTP/1.1\r\nAuthorization: SSWS test-token\r\n\r\n', 400],
    ['GET /api/v1/users HTTP/1.1\r\nHost:\r\nAuthorization: SSWS test-token\r\n\r\n', 400],
    ['GET /api/v1/users HTTP/1.1\r\nHost: evil.example/x?y#z\r\nAuthorization: SSWS test-token\r\n\r\n', 400],
    ['GET /api/v1/users HTTP/1.1\r\nHost: user@x\r\nAuthorization: SSWS test-token\r\n\r\n', 400],
    ['GET /api/v1/users HTTP/1.1\r\nHost: x\r\nHost: y\r\nAuthorization: SSWS test-token\r\n\r\n', 400],
    ['GET /api/v1/users HTTP/1.0\r\nAuthorization: SSWS test-token\r\n\r\n', 400],
    // CONNECT is no request Fastify routes: Node drops it unanswered without a listener of the emulator's.
    ['CONNECT /api/v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: SSWS test-token\r\n\r\n', 400],
    ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 400],
    // An expectation other than 100-continue: Node's own answer is a bare 417, with or without a token.
    ['POST /api/v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: SSWS test-token\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}', 417],
    ['GET /api/v1/users HTTP/1.1\r\nHost: x\r\nExpect: something\r\nConnection: keep-alive\r\n\r\n', 417],
  ]
  for (const [request, status] of cases) {
    const answer = await rawAnswer(request)
    const [head = '', body = ''] = answer.split('\r\n\r\n')
    t.match(head, new RegExp(`^HTTP/1.1 ${status} `), `${request.slice(0, 30)}: ${status}`)
    for (const h of ['content-type: application/json', 'x-okta-request-id: ', 'date: ', 'x-rate-limit-limit: ', 'x-rate-limit-remaining: ', 'x-rate-limit-reset: ']) t.ok(head.toLowerCase().includes(h), h)
    const parsed = JSON.parse(body)
    t.ok(isEnvelope(parsed), 'the five-field envelope')
    t.same([parsed.errorCode, parsed.errorSummary], ['E0000020', 'Bad request.'])
    t.notOk(answer.includes('statusCode'), "not the framework's own body")
  }
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users')).status, 200, 'the emulator goes on serving')
})

await t.test('bad input never gets a 5xx', async (t) => {
  const emu = await withEmulator(t, { bodyLimit: 64 * 1024 })
  const { userId, factorId } = await userWithTotp(emu)
  const V = `/api/v1/users/${userId}/factors/${factorId}/verify`

  const malformed = await emuFetch(emu, 'POST', '/api/v1/users', '{"profile": {')
  t.equal(malformed.status, 400)
  t.equal(malformed.body.errorCode, 'E0000003')
  t.equal(malformed.body.errorSummary, 'The request body was not well-formed.')

  // Okta's SDK sends an empty body with Content-Type: application/json: that is "no body".
  const empty = await emuFetch(emu, 'POST', `/api/v1/users/${userId}/lifecycle/reset_factors`, '')
  t.equal(empty.status, 200)
  t.equal(empty.text, '{}')

  const { factorId: f2 } = await userWithTotp(emu, 'second@example.com')
  const second = (await emuFetch(emu, 'GET', '/api/v1/users/second@example.com')).body.id as string
  const huge = await emuFetch(emu, 'POST', `/api/v1/users/${second}/factors/${f2}/verify`, JSON.stringify({ passCode: 'x'.repeat(200 * 1024) }))
  t.equal(huge.status, 413, 'oversized body: 413')
  t.ok(isEnvelope(huge.body))
  t.equal(huge.body.errorCode, 'E0000003')

  const wrongTypes: unknown[] = [
    [], 'a string', 42, null, { profile: 'x' }, { profile: { login: 5, email: 'a@b.c' } }, { profile: { login: 'no-at-sign', email: 'a@b.c' } },
    { profile: { login: 'a@b.c' } }, { profile: { login: 'a@b.c', email: 'a@b.c' }, credentials: 'x' },
    { profile: { login: 'a@b.c', email: 'a@b.c' }, credentials: { password: { value: 7 } } },
    '{"profile":{"login":"a@b.c","email":"a@b.c","__proto__":{"admin":true}}}',
  ]
  for (const body of wrongTypes) {
    const r = await emuFetch(emu, 'POST', '/api/v1/users', typeof body === 'string' && body.startsWith('{') ? body : JSON.stringify(body))
    t.equal(r.status, 400, `create user ${JSON.stringify(body)}`)
    t.ok(['E0000001', 'E0000003'].includes(r.body.errorCode))
  }
  // JSON nested 30 000 deep (60 KB, under this emulator's 64 KB limit) on every kind of body route: a bare array
  // (refused as no object first), and inside an object, in the fields the routes read (profile, passCode, password),
  // where a recursive walk over the body would overflow its stack and answer as an internal error.
  const deep = '['.repeat(30_000) + ']'.repeat(30_000)
  const deepBodies = [deep, `{"profile":{"a":${deep}}}`, `{"passCode":${deep}}`, `{"oldPassword":{"value":${deep}}}`]
  for (const body of deepBodies) {
    for (const path of ['/api/v1/users', `/api/v1/users/${userId}`, `/api/v1/users/${userId}/factors`, V, `/api/v1/users/${userId}/credentials/change_password`]) {
      const r = await emuFetch(emu, 'POST', path, body)
      // A 4xx of the route's own (a field of the wrong type, or another refusal that comes first), or a 200 where the
      // route ignores the field (a user update ignores top-level fields it does not know), and never the 400 the
      // emulator answers for an internal error, such as a stack overflow.
      const ignored = r.status === 200 && path.endsWith(userId) && body.startsWith('{') && !body.startsWith('{"profile"')
      t.ok(ignored || (r.status >= 400 && r.status < 500 && isEnvelope(r.body)), `${body.slice(0, 12)}... nested on ${path.slice(-30)}: ${r.status} ${String(r.body.errorCode)}`)
      t.notMatch(r.text, INTERNAL_ERROR, 'not an internal error')
    }
  }
  const enrollBodies: unknown[] = [
    {}, { factorType: 'token:software:totp' }, { factorType: 'token:software:totp', provider: 'RSA' }, { factorType: 'u2f', provider: 'FIDO' },
    { factorType: 7, provider: 'OKTA' }, { factorType: 'sms', provider: 'OKTA' }, { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: 'call me' } },
    { factorType: 'question', provider: 'OKTA', profile: { question: 'nope', answer: 'long enough' } },
    { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: 'abc' } },
    { factorType: 'email', provider: 'OKTA', profile: { email: 'not an email' } }, { factorType: 'sms', provider: 'OKTA', profile: 'x' },
  ]
  for (const body of enrollBodies) {
    const r = await emuFetch(emu, 'POST', `/api/v1/users/${second}/factors`, body)
    t.equal(r.status, 400, `enroll ${JSON.stringify(body)}`)
    t.equal(r.body.errorCode, 'E0000001')
  }
  // Okta's schema: E.164 (`^\+[1-9]\d{1,14}$`), written with or without the separators of Okta's own examples.
  const notE164 = ['000000', '12025550123', '+0123456789', '+1234567890123456', '+44 12345678901234567890', '+1', '+1-555-415-1337 x2', '++15555550123']
  for (const [i, phoneNumber] of notE164.entries()) {
    const r = await emuFetch(emu, 'POST', `/api/v1/users/${second}/factors`, { factorType: i % 2 === 0 ? 'sms' : 'call', provider: 'OKTA', profile: { phoneNumber } })
    t.equal(r.status, 400, `not E.164: ${phoneNumber}`)
    t.same(r.body.errorCauses, [{ errorSummary: 'phoneNumber: Invalid Phone Number.' }])
  }
  for (const [factorType, phoneNumber] of [['sms', '+1-555-415-1337'], ['call', '+44 (20) 7946.0958'], ['call', '+123456789012345']]) {
    const r = await emuFetch(emu, 'POST', `/api/v1/users/${second}/factors`, { factorType, provider: 'OKTA', profile: { phoneNumber } })
    t.equal(r.status, 200, `E.164 with separators: ${phoneNumber}`)
    t.equal(r.body.profile.phoneNumber, phoneNumber)
    t.equal((await emuFetch(emu, 'DELETE', `/api/v1/users/${second}/factors/${r.body.id as string}`)).status, 204)
  }
  const dup = await emuFetch(emu, 'POST', `/api/v1/users/${second}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  t.equal(dup.status, 400)
  t.equal(dup.body.errorSummary, 'Api validation failed: factorEnrollRequest')
  t.same(dup.body.errorCauses, [{ errorSummary: 'A factor of this type is already set up.' }])

  for (const body of [{ passCode: 123456 }, { passCode: ['123456'] }, {}, []]) {
    const r = await emuFetch(emu, 'POST', `/api/v1/users/${second}/factors/${f2}/verify`, body)
    t.equal(r.status, 400, `verify ${JSON.stringify(body)}`)
  }
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${second}/factors?tokenLifetimeSeconds=abc`, { factorType: 'email', provider: 'OKTA' })).status, 400)
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users?limit=ten')).status, 400)
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users?limit=1&limit=2')).status, 400)
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users?search=profile.login%20eq')).body.errorCode, 'E0000031')

  const oddIds = ['%00', '..%2F..%2Fetc%2Fpasswd', '%F0%9F%92%A9', 'a'.repeat(2000), '%E0%A4%A', "'%20OR%201=1--", '%3Cscript%3E', '__proto__', 'constructor']
  for (const id of oddIds) {
    for (const path of [`/api/v1/users/${id}`, `/api/v1/users/${id}/factors`, `/api/v1/users/${userId}/factors/${id}/verify`]) {
      const r = await emuFetch(emu, path.endsWith('verify') ? 'POST' : 'GET', path, path.endsWith('verify') ? { passCode: '123456' } : undefined)
      t.equal(r.status, 404, `${path.slice(0, 60)} -> 404`)
      t.ok(isEnvelope(r.body))
    }
  }

  // Raw requests a fetch client would not send.
  const raw = async (method: 'POST' | 'GET', path: string, body: string, headers: Record<string, string>): Promise<number> => {
    const r = await request(emu.url + path, { method, body, headers: { authorization: 'SSWS test-token', ...headers } })
    await r.body.text()
    return r.statusCode
  }
  t.equal(await raw('POST', '/api/v1/users', 'profile=x', { 'content-type': 'application/x-www-form-urlencoded' }), 400)
  t.equal(await raw('POST', '/api/v1/users', '{"a":1}', { 'content-type': 'text/plain' }), 400)
  t.equal(await raw('POST', '/api/v1/users', '{"a":1}', { 'content-type': 'not a media type' }), 400)
  t.equal(await raw('POST', '/api/v1/users', '\u0000\u0001', { 'content-type': 'application/json; charset=utf-8' }), 400)
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/second%40example.com')).status, 200, 'percent-encoded login')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users')).status, 200, 'still serving after all of that')
})

await t.test('random requests on every route: never a 5xx, always the envelope', async (t) => {
  const emu = await withEmulator(t, { rateLimits: false })
  const { userId, factorId } = await userWithTotp(emu)
  const { randomBytes, randomInt } = await import('node:crypto')
  const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)]!
  const ids = [userId, factorId, 'x', '%25', '%2e%2e', encodeURIComponent(randomBytes(8).toString('latin1')), randomBytes(6).toString('hex')]
  const templates = ['/api/v1/users', '/api/v1/users/U', '/api/v1/users/U/lifecycle/activate', '/api/v1/users/U/lifecycle/unlock',
    '/api/v1/users/U/factors', '/api/v1/users/U/factors/F', '/api/v1/users/U/factors/F/verify', '/api/v1/users/U/factors/F/lifecycle/activate',
    '/api/v1/users/U/factors/F/resend', '/api/v1/users/U/factors/F/transactions/T', '/api/v1/users/U/factors/F/qr/T', '/api/v1/users/U/factors/catalog',
    '/__emulator/messages', '/__emulator/factors/F/totp', '/__emulator/push/T/approve',
    '/api/v1/users/me', '/api/v1/users/U/lifecycle/suspend', '/api/v1/users/U/lifecycle/unsuspend', '/api/v1/users/U/lifecycle/reactivate',
    '/api/v1/users/U/lifecycle/reset_password', '/api/v1/users/U/lifecycle/expire_password', '/api/v1/users/U/credentials/change_password',
    '/api/v1/users/U/credentials/change_recovery_question', '/api/v1/users/U/credentials/forgot_password', '/api/v1/meta/schemas/user/U',
    '/api/v1/meta/types/user/U', '/api/v1/users/U/appLinks', '/api/v1/users/U/blocks', '/api/v1/users/U/sessions', '/api/v1/users/U/factors/F/lifecycle/activate/email',
    '/api/v1/users/U/factors/F/transactions/T/verify']
  const bodies = [undefined, '', '{}', '[]', 'null', '"x"', '{"passCode":null}', '{"passCode":{"$gt":""}}', '{"profile":[]}', '{"factorType":"sms","provider":"OKTA","profile":{"phoneNumber":1}}',
    '{"profile":{"login":null,"email":7}}', '{"profile":{"firstName":null},"credentials":{"password":{"value":"x"},"recovery_question":{"answer":[]}}}',
    '{"oldPassword":{"value":1},"newPassword":{}}', '{"password":{"value":"p"},"recovery_question":{"answer":"a"}}', '{"profile":{"question":"disliked_food","answer":null}}',
    '{"type":{"id":"x"}}',
    () => randomBytes(randomInt(1, 64)).toString('latin1'), () => JSON.stringify({ passCode: randomBytes(3).toString('hex'), answer: [1] })]
  const queries = ['', '?limit=-1', '?limit=0', '?after=zz', '?activate=maybe', '?search=%28', '?filter=status%20eq%20%22x%22', '?tokenLifetimeSeconds=0', '?q=']
  for (let i = 0; i < 500; i++) {
    const path = pick(templates).replace('U', pick(ids)).replace('F', pick(ids)).replace('T', pick(ids)) + pick(queries)
    const b = pick(bodies)
    const body = typeof b === 'function' ? b() : b
    const method = pick(['GET', 'POST', 'DELETE', 'PUT'])
    const r = await emuFetch(emu, method, path, method === 'GET' ? undefined : body, body === undefined ? {} : { 'content-type': pick(['application/json', 'text/plain', 'application/json; charset=utf-8']) })
    if (r.status >= 500 || (r.status >= 400 && !isEnvelope(r.body)) || r.text.includes(INTERNAL_ERROR)) t.fail(`${method} ${path} ${JSON.stringify(body)} -> ${r.status} ${r.text.slice(0, 120)}`)
  }
  // (The random DELETEs may have deleted the user: ask for the list, which is always there.)
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users?limit=1')).status, 200, 'still serving')
})

await t.test('double slashes and trailing slashes are tolerated', async (t) => {
  const emu = await withEmulator(t)
  const { userId } = await userWithTotp(emu)
  t.equal((await emuFetch(emu, 'GET', `//api/v1/users/${userId}`)).status, 200)
  t.equal((await emuFetch(emu, 'GET', `/api/v1//users/${userId}/factors/`)).status, 200)
})

await t.test('rate limits: 429 E0000047 with a reset that clients can use', async (t) => {
  const emu = await withEmulator(t, { rateLimits: { limits: { users: 3 } } })
  const start = emu.clock.now()
  const remaining: string[] = []
  for (let i = 0; i < 3; i++) {
    const r = await emuFetch(emu, 'GET', '/api/v1/users')
    t.equal(r.status, 200)
    remaining.push(r.headers.get('x-rate-limit-remaining')!)
  }
  t.same(remaining, ['2', '1', '0'])
  const limited = await emuFetch(emu, 'GET', '/api/v1/users')
  t.equal(limited.status, 429)
  t.equal(limited.body.errorCode, 'E0000047')
  t.equal(limited.headers.get('x-rate-limit-limit'), '3')
  const reset = Number(limited.headers.get('x-rate-limit-reset'))
  t.equal(reset, Math.ceil((start - (start % 60_000) + 60_000) / 1000), 'Reset = end of the minute window, epoch seconds')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/nobody')).status, 404, 'another bucket is not affected')
  emu.clock.set(reset * 1000)
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users')).status, 200, 'a new window at Reset')

  const off = await withEmulator(t, { rateLimits: false })
  for (let i = 0; i < 700; i++) {
    const r = await emuFetch(off, 'GET', '/api/v1/users/nobody')
    if (r.status !== 404) t.fail(`request ${i}: ${r.status}`)
  }
  const r = await emuFetch(off, 'GET', '/api/v1/users')
  t.equal(r.status, 200, 'rateLimits: false never refuses')
  t.ok(r.headers.get('x-rate-limit-reset'), 'and still sends the headers')
})

await t.test('rate limits: the README\'s default limit of each bucket, in X-Rate-Limit-Limit', async (t) => {
  const emu = await withEmulator(t)
  const { userId, factorId } = await userWithTotp(emu)
  const limitOf = async (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<string | null> =>
    (await emuFetch(emu, method, path, body, headers)).headers.get('x-rate-limit-limit')
  t.equal(await limitOf('GET', '/api/v1/users'), '600', 'users')
  t.equal(await limitOf('GET', `/api/v1/users/${userId}`), '2000', 'user')
  t.equal(await limitOf('GET', `/api/v1/users/${userId}/factors`), '1000', 'factors')
  t.equal(await limitOf('POST', `/api/v1/users/${userId}/factors/${factorId}/verify`, '{"passCode":"000000"}', { 'content-type': 'application/json' }), '1000', 'verify')
  t.equal(await limitOf('POST', '/oauth2/v1/token', 'grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded' }), '1000', 'token')
})

await t.test('an emulator listening on every address gives a loopback URL, which the client takes', async (t) => {
  const { startEmulator } = await import('@okta-mfa/emulator')
  const { createOktaClient } = await import('@okta-mfa/client')
  for (const [host, loopback] of [['0.0.0.0', '127.0.0.1'], ['::', '[::1]'], ['::0', '[::1]'], ['0:0:0:0:0:0:0:0', '[::1]'], ['0', '127.0.0.1']] as const) {
    const emu = await startEmulator({ port: 0, host, quiet: true })
    t.teardown(() => emu.close())
    t.match(emu.url, new RegExp(`^http://${loopback.replace(/[[\].]/g, '\\$&')}:\\d+$`), `${host}: the URL names ${loopback}`)
    const client = createOktaClient({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true })
    t.teardown(() => client.close())
    const created = await client.createUser({ profile: { login: 'any@example.com', email: 'any@example.com' } }, { activate: false })
    t.equal(created.status, 'STAGED', `${host}: the client reaches it at that URL`)
  }
})

await t.test('options are checked', async (t) => {
  const { startEmulator, validateOptions, InvalidOptionError } = await import('@okta-mfa/emulator')
  await t.rejects(startEmulator({ port: -1 }), new InvalidOptionError('"port" option must be an integer between 0 and 65535'))
  const bad = await startEmulator({ lockoutThreshold: 1.5 }).then(() => undefined, (err: unknown) => err)
  t.ok(bad instanceof InvalidOptionError && bad instanceof TypeError, 'the emulator\'s class, a TypeError')
  t.match(bad, { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION', message: /"lockoutThreshold"/ })
  for (const token of ['has space', '', 'a\u0001b', 'tok\u20acn', 'caf\u00e9']) {
    t.throws(() => validateOptions({ token }), new InvalidOptionError('"token" option must be a non-empty string of visible ASCII without spaces'), `token ${JSON.stringify(token)}`)
  }
  t.doesNotThrow(() => validateOptions({ token: '00abc-_.~!$%&*+=/' }), 'visible ASCII of any kind')
  await t.rejects(startEmulator({ rateLimits: { limits: { nope: 1 } as never } }), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION' })
  await t.rejects(startEmulator({ clock: 5 as never }), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION' })
  // A misspelt option would leave its default in place (the lockout at 5): refused, naming it, before listening.
  await t.rejects(startEmulator({ port: 0, quiet: true, lockoutTreshold: 0 } as never), new InvalidOptionError('"lockoutTreshold" is not an option of the emulator'))
  for (const name of ['rejectReplayedCodes', 'quiet', 'logger', 'dpopApiNonce']) {
    await t.rejects(startEmulator({ port: 0, [name]: 'false' } as never), new InvalidOptionError(`"${name}" option must be a boolean`), `${name} as a string`)
  }
  t.throws(() => validateOptions({ rateLimits: { windowMS: 1 } } as never), /"rateLimits\.windowMS" is not an option/)
  // A window of 0 (or a fraction of a millisecond) would divide the clock by nothing: NaN windows that never refuse.
  for (const windowMs of [0, -1, 1.5, Number.NaN]) {
    t.throws(() => validateOptions({ rateLimits: { windowMs } }), /"rateLimits\.windowMs" option must be a positive integer/, `windowMs ${windowMs}`)
  }
  t.throws(() => validateOptions({ rateLimits: { limits: { verfy: 1 } } } as never), /"rateLimits\.limits\.verfy" is not a rate-limit bucket/)
  // A bucket left undefined keeps its default, as every other option does (a limit read from an unset variable).
  t.doesNotThrow(() => validateOptions({ rateLimits: { limits: { users: undefined, verify: 5 } } }), 'an undefined bucket is its default')
  t.throws(() => validateOptions({ rateLimits: { limits: { users: null } } } as never), /"rateLimits\.limits\.users" option must be a non-negative integer/, 'null is no default')
  // Shapes that used to give the default limits without a word.
  for (const rateLimits of [[], new Date(), { limits: 5 }, { limits: true }, { limits: null }, { limits: [] }, { limits: { constructor: 1 } }]) {
    t.throws(() => validateOptions({ rateLimits } as never), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION' }, `rateLimits ${JSON.stringify(rateLimits)}`)
  }
  const { DEFAULT_LIMITS } = await import('@okta-mfa/emulator')
  t.throws(() => { (DEFAULT_LIMITS as { users: number }).users = 2 }, TypeError, 'the defaults cannot be changed for every later emulator')
  t.equal(DEFAULT_LIMITS.users, 600)
  // What validateOptions passes starts: the seed's users and service apps are checked too.
  for (const bad of [{ seed: 5 }, { seed: [{ login: 'x' }] }, { serviceApps: 'x' }, { serviceApps: [{ clientId: '' }] }]) {
    t.throws(() => validateOptions(bad as never), { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION' }, JSON.stringify(bad))
  }
  // A misspelt field of a seed user or factor is refused, naming it (it was dropped: a random shared secret).
  t.throws(() => validateOptions({ seed: [{ login: 'ann@example.com', firstname: 'Ann' }] } as never),
    new InvalidOptionError('"seed" option: user 0 ("ann@example.com"): "firstname" is not a field of a seed user (id, login, email, firstName, lastName, status, factors)'))
  t.throws(() => validateOptions({ seed: [{ login: 'ann@example.com', factors: [{ factorType: 'token:software:totp', secret: 'JBSWY3DPEHPK3PXP' }] }] } as never),
    { name: 'TypeError', code: 'OKTA_EMULATOR_INVALID_OPTION', message: /^"seed" option: user 0 \("ann@example\.com"\): factors\[0\]\."secret" is not a field of a token:software:totp seed factor/ })
  t.throws(() => validateOptions({ seed: { users: [], apps: [] } } as never), /"apps" is not a part of a seed \(users, serviceApps\)/)
  t.doesNotThrow(() => validateOptions({ seed: [{ login: 'ann@example.com', factors: [{ factorType: 'question', question: 'disliked_food', answer: 'kale chips' }] }] }))
  // Okta's own enroll field, on every factor type (OKTA, as Okta takes for these).
  t.doesNotThrow(() => validateOptions({ seed: [{ login: 'ann@example.com', factors: [{ factorType: 'sms', provider: 'OKTA', phoneNumber: '+15555550123' }, { factorType: 'email', provider: 'OKTA' }] }] } as never))
  t.throws(() => validateOptions({ seed: [{ login: 'ann@example.com', factors: [{ factorType: 'sms', provider: 'GOOGLE', phoneNumber: '+15555550123' }] }] } as never), /provider must be OKTA for a sms factor/)
  t.throws(() => validateOptions({ seed: [{ id: '..', login: 'ann@example.com' }] }), /id must be 1 to 500 .*not "\." or "\.\."/, 'no dot-segment ids')
  // What validateOptions passes starts: a seed over maxUsers too (the token's owner may be one past it).
  t.throws(() => validateOptions({ maxUsers: 1, seed: [{ login: 'a@example.com' }, { login: 'b@example.com' }] }), /"seed" option: 2 users, more than "maxUsers" allows \(1\)/)
  t.doesNotThrow(() => validateOptions({ maxUsers: 1, seed: [{ login: 'a@example.com' }, { login: 'okta-emulator-admin@example.com' }] }))
  // A misspelt service-app field would leave DPoP required, or a scope not granted.
  t.throws(() => validateOptions({ serviceApps: [{ clientId: '0oa-x', jwks: { kty: 'EC' }, scopes: [], dPop: false }] } as never), /"dPop" of 0oa-x is not a field of a service app/)
})

await t.test('a path that exists with other methods: 405 E0000022 with Allow; a path that does not: 404', async (t) => {
  const emu = await withEmulator(t)
  const { userId, factorId } = await userWithTotp(emu)
  const wrong: Array<[string, string, string]> = [
    ['PATCH', `/api/v1/users/${userId}`, 'DELETE, GET, HEAD, POST, PUT'],
    ['PUT', '/api/v1/users', 'GET, HEAD, POST'],
    ['DELETE', '/api/v1/users', 'GET, HEAD, POST'],
    ['GET', `/api/v1/users/${userId}/lifecycle/unlock`, 'POST'],
    ['PATCH', '/api/v1/users/00uNobodyAtAll000000', 'DELETE, GET, HEAD, POST, PUT'],
    // A fixed name wins over an id, as in the router: `catalog` and `questions` are not factors named so.
    ['POST', `/api/v1/users/${userId}/factors/catalog`, 'GET, HEAD'],
    ['DELETE', `/api/v1/users/${userId}/factors/catalog`, 'GET, HEAD'],
    ['PUT', `/api/v1/users/${userId}/factors/catalog/`, 'GET, HEAD'],
    ['DELETE', `/api/v1/users/${userId}/factors/questions?x=1`, 'GET, HEAD'],
    ['PUT', `/api/v1/users/${userId}/factors/questions`, 'GET, HEAD'],
    ['GET', `/api/v1/users/${userId}/factors/${factorId}/lifecycle/activate/poll`, 'POST'],
    ['PUT', `//api/v1//users/${userId}/factors/${factorId}/verify/`, 'POST'],
    ['DELETE', '/__emulator/factors/x/totp', 'GET, HEAD'],
    ['OPTIONS', '/api/v1/users', 'GET, HEAD, POST'],
  ]
  for (const [method, path, allow] of wrong) {
    const r = await emuFetch(emu, method, path, method === 'GET' || method === 'OPTIONS' ? undefined : {})
    const name = `${method} ${path}`
    t.equal(r.status, 405, name)
    t.equal(r.headers.get('allow'), allow, `${name}: Allow lists the path's methods`)
    t.ok(isEnvelope(r.body), `${name}: the envelope`)
    t.same([r.body.errorCode, r.body.errorSummary, r.body.errorCauses], ['E0000022', 'The endpoint does not support the provided HTTP method', []])
    t.equal(r.headers.get('content-type'), 'application/json')
    t.ok(r.headers.get('x-okta-request-id'), `${name}: Okta's headers`)
    // Every method Allow names reaches a route (which may still not find the resource: not the path's 404).
    for (const m of allow.split(', ')) {
      const other = await emuFetch(emu, m, path, m === 'GET' || m === 'HEAD' ? undefined : {})
      const pathNotFound = other.status === 404 && String(other.body?.errorSummary).endsWith('(Path)')
      t.ok(other.status !== 405 && !pathNotFound, `${m} ${path} is routed (${other.status})`)
    }
  }
  const unknown = await emuFetch(emu, 'PATCH', '/api/v1/nothing', {})
  t.same([unknown.status, unknown.body.errorCode, unknown.headers.get('allow')], [404, 'E0000007', null], 'a path no route has: 404 E0000007')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${userId}/nothing`)).body.errorSummary, `Not found: Resource not found: /api/v1/users/${userId}/nothing (Path)`)
  t.equal((await emuFetch(emu, 'PATCH', `/api/v1/users/${userId}`, '{"bad')).status, 405, 'the method is refused before the body is read')
  t.equal((await emuFetch(emu, 'PATCH', `/api/v1/users/${userId}`, {}, { authorization: '' })).body.errorCode, 'E0000005', 'auth first, as on every API path')
  t.equal((await emuFetch(emu, 'DELETE', `/api/v1/users/${userId}/factors/catalog`, undefined, { authorization: '' })).body.errorCode, 'E0000005', 'auth first on a fixed name too')
  t.same((await emuFetch(emu, 'GET', `/api/v1/users/${userId}/factors`)).body.map((f: { id: string }) => f.id), [factorId], 'nothing was removed')
  // Public paths stay public for a wrong method.
  const qr = await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${factorId}/qr/sometoken`, undefined, { authorization: '' })
  t.same([qr.status, qr.headers.get('allow'), qr.body.errorCode], [405, 'GET, HEAD', 'E0000022'])
  const token = await emuFetch(emu, 'GET', '/oauth2/v1/token', undefined, { authorization: '' })
  t.same([token.status, token.headers.get('allow'), Object.keys(token.body)], [405, 'POST', ['error', 'error_description']], 'the token endpoint answers in the OAuth form')
  t.equal(token.body.error, 'invalid_request')
  const { request } = await import('undici')
  const withBody = await request(`${emu.url}/oauth2/v1/token`, { method: 'GET', headers: { 'content-type': 'garbage' }, body: 'x=1' })
  t.same([withBody.statusCode, Object.keys(await withBody.body.json() as object)], [405, ['error', 'error_description']], 'with a body of no media type too: OAuth, not E0000021')
})

await t.test('media types on /api/v1: 400 E0000021 for a body that is not JSON or an Accept without JSON', async (t) => {
  const emu = await withEmulator(t)
  const { userId, factorId } = await userWithTotp(emu)
  const body = JSON.stringify({ profile: { login: 'media@example.com', email: 'media@example.com' } })
  const isE21 = (r: { status: number, body: Record<string, unknown> }, name: string): void => {
    t.equal(r.status, 400, name)
    t.ok(isEnvelope(r.body), `${name}: the envelope`)
    t.same([r.body['errorCode'], r.body['errorSummary']], ['E0000021', 'Bad request.  Accept and/or Content-Type headers likely do not match supported values.'], name)
  }
  for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/json', 'application/xml', 'not a media type']) {
    isE21(await emuFetch(emu, 'POST', '/api/v1/users', body, { 'content-type': type }), `Content-Type ${type}`)
  }
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/media@example.com')).status, 404, 'nothing was created')
  // The most specific range decides (RFC 9110): JSON ruled out beside a wildcard is still ruled out.
  for (const accept of ['application/xml', 'text/html', 'text/*', 'application/json;q=0', 'application/json; q=0, text/html', 'application/json;q=0, */*', 'application/*;q=0, */*', '*/*;q=0']) {
    isE21(await emuFetch(emu, 'GET', `/api/v1/users/${userId}`, undefined, { accept }), `Accept ${accept}`)
  }
  isE21(await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${factorId}/verify`, { passCode: '123456' }, { accept: 'text/html' }), 'on the verify route too')
  t.equal((await emuFetch(emu, 'POST', '/api/v1/users', body, { 'content-type': 'text/plain', authorization: '' })).body.errorCode, 'E0000005', 'auth first')
  t.equal((await emuFetch(emu, 'POST', '/api/v1/users', '{"profile":', { 'content-type': 'application/json' })).body.errorCode, 'E0000003', 'malformed JSON is still E0000003')
  // JSON is UTF-8: a body that is not is malformed, not stored with U+FFFD for its bytes (found by fuzzing: this created
  // a user whose login held three replacement characters).
  const latin1 = Buffer.from('{"profile":{"login":"zo\xe9@example.com","email":"zoe@example.com"}}', 'latin1')
  for (const type of ['application/json', 'application/json; charset=utf-8']) {
    const r = await fetch(`${emu.url}/api/v1/users?activate=false`, { method: 'POST', headers: { authorization: 'SSWS test-token', 'content-type': type }, body: latin1 })
    const b = await r.json() as Record<string, unknown>
    t.same([r.status, b['errorCode'], b['errorCauses']], [400, 'E0000003', [{ errorSummary: 'The request body is not valid UTF-8.' }]], `a body that is not UTF-8 (${type})`)
  }
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users?search=' + encodeURIComponent('profile.email eq "zoe@example.com"'))).body.length, 0, 'and nothing was created')

  // What Okta takes: JSON types with any parameters and case; an Accept that admits JSON (or anything), or none.
  let n = 0
  for (const type of ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON;Charset=UTF-8', 'application/merge-patch+json', 'application/vnd.example+json; v=1']) {
    const login = `ok${n++}@example.com`
    const r = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', JSON.stringify({ profile: { login, email: login } }), { 'content-type': type })
    t.equal(r.status, 200, `Content-Type ${type}`)
  }
  for (const accept of ['application/json', 'Application/JSON; charset=utf-8', '*/*', 'application/*', 'text/html, application/json;q=0.9', 'text/html, */*;q=0.1', '', '*/*;q=0, application/json', 'application/*;q=0, application/json;q=0.5']) {
    t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${userId}`, undefined, { accept })).status, 200, `Accept ${JSON.stringify(accept)}`)
  }
  const { request } = await import('undici')
  const raw = async (method: string, path: string, headers: Record<string, string>, rawBody?: string): Promise<number> => {
    const r = await request(emu.url + path, { method: method as 'POST', headers: { authorization: 'SSWS test-token', ...headers }, ...(rawBody === undefined ? {} : { body: rawBody }) })
    await r.body.text()
    return r.statusCode
  }
  t.equal(await raw('GET', `/api/v1/users/${userId}`, {}), 200, 'no Accept at all')
  // A request without a body: its Content-Type describes nothing.
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'not a media type']) {
    t.equal(await raw('POST', `/api/v1/users/${userId}/lifecycle/reset_factors`, { 'content-type': type }), 200, `bodyless POST with Content-Type ${type}`)
    t.equal(await raw('DELETE', '/__emulator/messages', { 'content-type': type }), 204, `bodyless DELETE with Content-Type ${type}`)
  }
  t.equal(await raw('POST', `/api/v1/users/${userId}/lifecycle/reset_factors`, { 'content-type': 'text/plain' }, ''), 200, 'an empty body is no body')
  // A GET or HEAD with a body is held to the same rules (Fastify never parses it): JSON on /api/v1, a media type elsewhere.
  for (const method of ['GET', 'HEAD']) {
    t.equal(await raw(method, `/api/v1/users/${userId}`, { 'content-type': 'text/plain' }, 'hi'), 400, `${method} with a text/plain body`)
    t.equal(await raw(method, `/api/v1/users/${userId}`, { 'content-type': 'garbage' }, 'hi'), 400, `${method} with a malformed type`)
    t.equal(await raw(method, `/api/v1/users/${userId}`, { 'content-type': 'application/json' }, '{}'), 200, `${method} with a JSON body`)
    t.equal(await raw(method, '/__emulator/messages', { 'content-type': 'garbage' }, 'hi'), 400, `${method} /__emulator with a malformed type`)
    t.equal(await raw(method, '/__emulator/messages', { 'content-type': 'text/plain' }, 'hi'), 200, `${method} /__emulator with text/plain`)
  }

  // The QR code answers a PNG: its Accept must admit image/png.
  const enrolled = await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'push', provider: 'OKTA' })
  const qr = enrolled.body._embedded.activation._links.qrcode.href as string
  for (const accept of [undefined, 'image/png', 'image/*', '*/*', 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8']) {
    const r = await fetch(qr, { headers: accept === undefined ? {} : { accept } })
    await r.arrayBuffer()
    t.same([r.status, r.headers.get('content-type')], [200, 'image/png'], `QR with Accept ${String(accept)}`)
  }
  // The PNG holds the shared secret (a TOTP one in its otpauth URI): no cache, shared or the browser's, keeps it.
  t.equal((await fetch(qr).then(async (r) => { await r.arrayBuffer(); return r })).headers.get('cache-control'), 'no-store', 'the QR code is not to be stored')
  const qrJson = await fetch(qr, { headers: { accept: 'application/json' } })
  t.same([qrJson.status, ((await qrJson.json()) as { errorCode: string }).errorCode], [400, 'E0000021'], 'a PNG for a client that only takes JSON: E0000021')

  // The emulator's own routes are not Okta's API: no negotiation there.
  t.equal((await emuFetch(emu, 'GET', '/__emulator/messages', undefined, { accept: 'text/html' })).status, 200)
  t.equal((await emuFetch(emu, 'POST', `/__emulator/factors/${enrolled.body.id}/activate`, '{}', { 'content-type': 'text/plain' })).status, 200)
})

await t.test('token endpoint: every refusal is an OAuth error body, never the envelope, never the body echoed', async (t) => {
  const emu = await withEmulator(t, { bodyLimit: 4096 })
  const { request } = await import('undici')
  const SECRET = 'client_credentials-and-a-marker-7f3a'
  const cases: Array<[string | undefined, string]> = [
    ['application/json', JSON.stringify({ grant_type: SECRET })],
    ['application/json', `{${SECRET}`],
    ['text/plain', `grant_type=${SECRET}`],
    ['text/plain;charset=UTF-8', `grant_type=${SECRET}`],
    ['multipart/form-data; boundary=x', `--x\r\n${SECRET}`],
    ['not a media type', SECRET],
    [undefined, `grant_type=${SECRET}`],
  ]
  for (const [type, body] of cases) {
    const r = await request(`${emu.url}/oauth2/v1/token`, { method: 'POST', headers: type === undefined ? {} : { 'content-type': type }, body })
    const text = await r.body.text()
    const name = `Content-Type ${String(type)}`
    t.equal(r.statusCode, 400, name)
    const parsed = JSON.parse(text) as Record<string, unknown>
    t.same(Object.keys(parsed), ['error', 'error_description'], `${name}: the OAuth form`)
    t.equal(parsed['error'], 'invalid_request', name)
    t.notOk(text.includes('marker-7f3a'), `${name}: the body is not echoed`)
    t.equal(r.headers['content-type'], 'application/json')
    t.equal(r.headers['cache-control'], 'no-store')
  }
  const big = await request(`${emu.url}/oauth2/v1/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=${'x'.repeat(8192)}` })
  const bigBody = JSON.parse(await big.body.text()) as Record<string, unknown>
  t.same([big.statusCode, Object.keys(bigBody), bigBody['error']], [413, ['error', 'error_description'], 'invalid_request'], 'an oversized body too')
  const empty = await request(`${emu.url}/oauth2/v1/token`, { method: 'POST' })
  t.same([empty.statusCode, (JSON.parse(await empty.body.text()) as Record<string, unknown>)['error']], [400, 'invalid_request'], 'no body')
  // A form is read (and refused on its merits).
  const form = await request(`${emu.url}/oauth2/v1/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' }, body: 'grant_type=password' })
  t.same([form.statusCode, (JSON.parse(await form.body.text()) as Record<string, unknown>)['error']], [400, 'unsupported_grant_type'])
})

await t.test('a body far over the limit, sent with fetch from another process: the client reads the 413, not a reset connection', async (t) => {
  // In one process the client's writes and the server's close take turns; from another, closing with the body unread
  // resets the connection while fetch still writes it (EPIPE), and the 413 is lost.
  const child = spawn(process.execPath, ['--input-type=module', '-e',
    "const { startEmulator } = await import('@okta-mfa/emulator'); const emu = await startEmulator({ port: 0, token: 'test-token', quiet: true, bodyLimit: 65536 }); console.error(emu.url)"],
  { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  const [first] = await once(child.stderr, 'data') as [Buffer]
  const url = first.toString().trim()
  const statuses: string[] = []
  for (const size of [1, 2, 4, 8, 8, 8].map((mib) => mib * 1024 * 1024)) {
    try {
      const r = await fetch(`${url}/api/v1/users`, { method: 'POST', headers: { authorization: 'SSWS test-token', 'content-type': 'application/json' }, body: 'x'.repeat(size) })
      statuses.push(`${r.status} ${(JSON.parse(await r.text()) as { errorCode?: string }).errorCode ?? ''}`)
    } catch (err) {
      statuses.push(String((err as { cause?: { code?: unknown } }).cause?.code ?? err))
    }
  }
  t.same(statuses, Array(6).fill('413 E0000003'), 'bodies 16 to 128 times the limit (up to 8 MiB): each answered 413 E0000003')
  const after = await fetch(`${url}/api/v1/users/nobody@example.com`, { headers: { authorization: 'SSWS test-token', accept: 'application/json' } })
  t.equal(after.status, 404, 'and the emulator serves on')
  // Past the drained size, or of no stated size: answered, and the connection closed rather than read to its end.
  const auth = 'Authorization: SSWS test-token\r\nContent-Type: application/json\r\n'
  const stated = await oversizedPost(url, '/api/v1/users', `${auth}Content-Length: ${64 * 1024 * 1024}\r\n`, Buffer.alloc(256 * 1024, 'x'))
  t.match(stated.head, /^HTTP\/1\.1 413 [^]*\r\nconnection: close/i, '64 MiB stated: 413, Connection: close')
  t.ok(stated.closed, '64 MiB stated: the connection closed')
  const chunked = await oversizedPost(url, '/api/v1/users', `${auth}Transfer-Encoding: chunked\r\n`, `${(1024 * 1024).toString(16)}\r\n${'x'.repeat(1024 * 1024)}\r\n`)
  t.match(chunked.head, /^HTTP\/1\.1 413 [^]*\r\nconnection: close/i, 'chunked past the limit: 413, Connection: close')
  t.ok(chunked.closed, 'chunked: the connection closed')
})

await t.test('logger: true logs requests, never the token of a link it hands out (QR code, activation, password reset), nor the API token, a password, an answer, a passcode or a shared secret', async (t) => {
  // pino writes to the process's stdout, so the emulator runs in a child; it prints its URL on stderr.
  // A token no other text of a log line could contain, so finding it means it was logged.
  const apiToken = 'logged-Api-T0ken-5e3c'
  const child = spawn(process.execPath, ['--input-type=module', '-e',
    `const { startEmulator } = await import('@okta-mfa/emulator'); const emu = await startEmulator({ port: 0, token: '${apiToken}', quiet: true, logger: true }); console.error(emu.url)`],
  { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { child.kill('SIGKILL') })
  let log = ''
  child.stdout.on('data', (chunk: Buffer) => { log += chunk.toString() })
  const [first] = await once(child.stderr, 'data') as [Buffer]
  const emu = { url: first.toString().trim(), token: apiToken }
  const user = await emuFetch(emu, 'POST', '/api/v1/users?activate=false', { profile: { login: 'logged@example.com', email: 'logged@example.com', firstName: 'L', lastName: 'U' } })
  const enrolled = await emuFetch(emu, 'POST', `/api/v1/users/${user.body.id}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  const qr = new URL(enrolled.body._embedded.activation._links.qrcode.href as string)
  const token = qr.pathname.split('/').pop() ?? ''
  t.ok(token.length >= 16, 'the link carries a token')
  t.equal((await fetch(qr)).status, 200)
  t.equal((await emuFetch(emu, 'POST', qr.pathname, undefined, { authorization: '' })).status, 405)
  const below = await emuFetch(emu, 'GET', `${qr.pathname}/more?x=1`)
  t.equal(below.status, 404)
  t.equal(below.body.errorSummary, `Not found: Resource not found: ${qr.pathname.slice(0, -token.length)}[REDACTED]/more (Path)`, 'a 404 names the path, not the token')
  // The link with another user's or factor's id: a 404 naming the factor, never the token, which still works.
  const imageFetch = async (path: string): Promise<{ status: number, text: string }> => {
    const r = await fetch(emu.url + path)
    return { status: r.status, text: await r.text() }
  }
  const otherUser = await imageFetch(qr.pathname.replace(String(user.body.id), '00uAAAAAAAAAAAAAAAAA'))
  const otherFactor = await imageFetch(qr.pathname.replace(String(enrolled.body.id), 'ostAAAAAAAAAAAAAAAAA'))
  t.same([otherUser.status, otherFactor.status], [404, 404])
  t.equal((JSON.parse(otherUser.text) as { errorSummary: string }).errorSummary, `Not found: Resource not found: ${String(enrolled.body.id)} (QRCode)`)
  t.notOk(otherUser.text.includes(token) || otherFactor.text.includes(token), 'no 404 quotes the token')
  // Other spellings of the same link reach the same route (or a 404 that names the URL): redacted alike.
  const base = qr.pathname.slice(0, -token.length - '/qr/'.length)
  t.equal((await request(`${emu.url}${base}/qr//${token}`)).statusCode, 200, 'a doubled slash is the QR route')
  t.equal((await request(`${emu.url}${base}/q%72/${token}`)).statusCode, 200, 'so is an escaped letter')
  t.not((await request(`${emu.url}${base}/QR/${token}`)).statusCode, 200, 'a capital QR is no route')
  // Ten requests, ten 'request completed' lines: then every line about them is written.
  while (log.split('"msg":"request completed"').length <= 10) await once(child.stdout, 'data')
  t.ok(log.includes(`${base}/q%72/[REDACTED]`) && log.includes(`${base}/qr//[REDACTED]`), 'each spelling is logged, its token replaced')
  t.ok(log.includes(`${qr.pathname.slice(0, -token.length)}[REDACTED]/more?x=1`), 'a path below it too')
  t.match(log, /"url":"\/api\/v1\/users\/[^"]+\/factors\/[^"]+\/qr\/\[REDACTED\]"/, 'the QR request is logged, its token replaced')
  t.notOk(log.includes(token), 'the token is in no log line')
  t.ok(log.includes(`"url":"/api/v1/users/${String(user.body.id)}/factors"`), 'other URLs are logged as they are')

  // The user's activation link and a password reset link: the emulator serves neither, yet a request for one is logged.
  const activation = (await emuFetch(emu, 'POST', `/api/v1/users/${String(user.body.id)}/lifecycle/activate?sendEmail=false`)).body as { activationUrl: string, activationToken: string }
  const reset = (await emuFetch(emu, 'POST', `/api/v1/users/${String(user.body.id)}/lifecycle/reset_password?sendEmail=false`)).body as { resetPasswordUrl: string }
  const resetToken = reset.resetPasswordUrl.split('/').pop() ?? ''
  t.ok(activation.activationToken.length >= 16 && resetToken.length >= 16, 'both links carry a token')
  const answers = await Promise.all([activation.activationUrl, reset.resetPasswordUrl].map(async (url) => await (await fetch(url, { headers: { authorization: `SSWS ${apiToken}` } })).text()))
  t.ok(answers.every((a) => a.includes('[REDACTED]') && !a.includes(activation.activationToken) && !a.includes(resetToken)), 'their 404s name the path without the token')
  while (log.split('"msg":"request completed"').length <= 14) await once(child.stdout, 'data')
  t.notOk(log.includes(activation.activationToken), 'no activation token in any log line')
  t.notOk(log.includes(resetToken), 'no reset token in any log line')
  t.match(log, /"url":"\/tokens\/\[REDACTED\]\/verify"/, 'the activation link is logged, its token replaced')
  t.match(log, /"url":"\/signin\/reset-password\/\[REDACTED\]"/, 'the reset link too')

  // Every other secret a request carries (issue 9: no secret in any log at any level), refused or accepted: the API
  // token and wrong ones, passwords, a recovery answer, a question factor's answer, passcodes, the TOTP shared secret.
  const secrets = {
    password: 'Pw-L0gged-Secret!', newPassword: 'Pw-L0gged-Next!', recovery: 'Recovery-Logged-Answer', answer: 'Kale-Logged-Answer',
    wrongAnswer: 'Wrong-Logged-Answer', passCode: 'pc-Logged-0451', wrongToken: 'Wrong-Logged-T0ken', bearer: 'Bearer-Logged-T0ken',
  }
  const completed = (): number => log.split('"msg":"request completed"').length - 1
  const before = completed()
  const ann = await emuFetch(emu, 'POST', '/api/v1/users?activate=true', {
    profile: { login: 'secrets@example.com', email: 'secrets@example.com', firstName: 'S', lastName: 'L' },
    credentials: { password: { value: secrets.password }, recovery_question: { question: 'First pet?', answer: secrets.recovery } },
  })
  t.equal(ann.status, 200)
  const A = `/api/v1/users/${String(ann.body.id)}`
  const changed = await emuFetch(emu, 'POST', `${A}/credentials/change_password`, { oldPassword: { value: secrets.password }, newPassword: { value: secrets.newPassword } })
  t.equal(changed.status, 200)
  const question = await emuFetch(emu, 'POST', `${A}/factors`, { factorType: 'question', provider: 'OKTA', profile: { question: 'disliked_food', answer: secrets.answer } })
  t.equal(question.status, 200)
  t.equal((await emuFetch(emu, 'POST', `${A}/factors/${String(question.body.id)}/verify`, { answer: secrets.wrongAnswer })).status, 403)
  t.equal((await emuFetch(emu, 'POST', `${A}/factors/${String(question.body.id)}/verify`, { answer: secrets.answer })).status, 200)
  const totp = await emuFetch(emu, 'POST', `${A}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })
  const sharedSecret = String(totp.body._embedded.activation.sharedSecret)
  t.ok(sharedSecret.length >= 16, 'the enrollment carries a shared secret')
  const activate = await emuFetch(emu, 'POST', `${A}/factors/${String(totp.body.id)}/lifecycle/activate`, { passCode: secrets.passCode })
  t.ok(activate.status >= 400 && activate.status < 500, 'a wrong passcode is refused')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users', undefined, { authorization: `SSWS ${secrets.wrongToken}` })).status, 401)
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users', undefined, { authorization: `Bearer ${secrets.bearer}` })).status, 401)
  while (completed() < before + 9) await once(child.stdout, 'data') // the nine requests above
  for (const [name, secret] of Object.entries({ ...secrets, apiToken, sharedSecret })) t.notOk(log.includes(secret), `no ${name} in any log line`)
})

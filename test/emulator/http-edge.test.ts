// Guards the HTTP surface against what clients and attackers send: SSWS auth (403 E0000005 /
// 401 E0000011), Okta's five-field envelope and headers on EVERY response (errors, 404s, parser
// failures), malformed or oversized bodies, odd ids, double slashes, and rate limits — no input
// may produce a 5xx or take the process down.
import t from 'tap'
import { request } from 'undici'
import { emuFetch, userWithTotp, withEmulator } from '../helpers/emulator.js'

const ENVELOPE_KEYS = ['errorCauses', 'errorCode', 'errorId', 'errorLink', 'errorSummary']

function isEnvelope (body: Record<string, unknown>): boolean {
  return JSON.stringify(Object.keys(body).sort()) === JSON.stringify(ENVELOPE_KEYS) &&
    body['errorLink'] === body['errorCode'] && /^oae[A-Za-z0-9_-]{22}$/.test(String(body['errorId'])) && Array.isArray(body['errorCauses'])
}

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
    '/api/v1/meta/types/user/U', '/api/v1/users/U/appLinks', '/api/v1/users/U/sessions', '/api/v1/users/U/factors/F/lifecycle/activate/email',
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
    if (r.status >= 500 || (r.status >= 400 && !isEnvelope(r.body))) t.fail(`${method} ${path} ${JSON.stringify(body)} -> ${r.status} ${r.text.slice(0, 120)}`)
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

await t.test('options are checked', async (t) => {
  const { startEmulator } = await import('@okta-mfa/emulator')
  await t.rejects(startEmulator({ port: -1 }), new TypeError('"port" option must be an integer between 0 and 65535'))
  await t.rejects(startEmulator({ lockoutThreshold: 1.5 }), TypeError)
  await t.rejects(startEmulator({ token: 'has space' }), TypeError)
  await t.rejects(startEmulator({ rateLimits: { limits: { nope: 1 } as never } }), TypeError)
  await t.rejects(startEmulator({ clock: 5 as never }), TypeError)
})

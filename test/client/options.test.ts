// Guards construction and the request itself: every bad option is a TypeError naming it, and every request
// carries the documented headers, path encoding, query and body (checked on the wire through MockAgent).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { Agent } from 'undici'
import {
  ClientClosedError, DEFAULT_RATE_LIMIT_MAX_WAIT_MS, DEFAULT_TIMEOUT_MS, InvalidOptionError, OKTA_ERROR_CODES, OktaClient, OktaClientError, VERSION,
  createOktaClient, isLoopbackHost, ssws,
} from '@okta-mfa/client'
import type { OktaClientOptions } from '@okta-mfa/client'
import { ORG, TOKEN, jsonHeaders, mockOrg } from '../helpers/client-mock.js'

const USER = { id: '00u1f96ECLNVOKVMUSEA', status: 'ACTIVE', profile: { login: 'a@example.com', email: 'a@example.com' } }

void t.test('bad options throw a TypeError that names the option', async (t) => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['no options', undefined, /options must be an object/],
    ['orgUrl missing', { token: TOKEN }, /"orgUrl" option must be an absolute https URL/],
    ['orgUrl relative', { orgUrl: 'dev-1.okta.com', token: TOKEN }, /"orgUrl" option must be an absolute https URL/],
    ['orgUrl ftp', { orgUrl: 'ftp://dev-1.okta.com', token: TOKEN }, /"orgUrl" option must be an absolute https URL/],
    ['orgUrl http without opt-in', { orgUrl: 'http://127.0.0.1:7070', token: TOKEN }, /"orgUrl" option must be an https URL.*allowInsecureHttp/],
    ['orgUrl with credentials', { orgUrl: 'https://u:p@dev-1.okta.com', token: TOKEN }, /"orgUrl" option must not contain credentials/],
    ['orgUrl with query', { orgUrl: 'https://dev-1.okta.com/?x=1', token: TOKEN }, /"orgUrl" option must not contain a query/],
    // An empty query or fragment leaves URL.search and URL.hash empty: the raw text is what counts.
    ...['https://dev-1.okta.com?', 'https://dev-1.okta.com/?', 'https://dev-1.okta.com#', 'https://dev-1.okta.com/#'].map((orgUrl): [string, unknown, RegExp] =>
      [`orgUrl ${orgUrl}`, { orgUrl, token: TOKEN }, /^"orgUrl" option must not contain a query or a fragment$/]),
    // The org is the root of its host: the console's issuer (a custom authorization server) or admin URL is not.
    ...['https://dev-1.okta.com/oauth2/default', 'https://dev-1.okta.com/oauth2/default/', 'https://dev-1.okta.com/admin/dashboard', 'http://127.0.0.1:7070/okta']
      .map((orgUrl): [string, unknown, RegExp] => [`orgUrl ${orgUrl}`, { orgUrl, token: TOKEN, allowInsecureHttp: true },
        /^"orgUrl" option must be the org's root, such as https:\/\/dev-123456\.okta\.com, without a path: \/oauth2\/\.\.\. is an authorization server, not the org$/]),
    // Plain http carries the token in clear text: loopback only, even with the opt-in.
    ...['http://dev-1.okta.com', 'http://10.1.2.3:8080', 'http://128.0.0.1', 'http://[::2]:7070', 'http://localhost.example.com', 'http://127.0.0.1.nip.io'].map((orgUrl): [string, unknown, RegExp] =>
      [`orgUrl ${orgUrl} with allowInsecureHttp`, { orgUrl, token: TOKEN, allowInsecureHttp: true }, /^"orgUrl" option may be plain http: only for an emulator on loopback \(127\.0\.0\.0\/8, localhost or \[::1\]\)/]),
    ['allowInsecureHttp not boolean', { orgUrl: ORG, token: TOKEN, allowInsecureHttp: 'yes' }, /"allowInsecureHttp" option must be a boolean/],
    ['no token nor auth', { orgUrl: ORG }, /"token" option is required/],
    ['empty token', { orgUrl: ORG, token: '' }, /"token" option must be a non-empty string/],
    ['token with a newline', { orgUrl: ORG, token: 'abc\r\nX-Evil: 1' }, /"token" option must be a non-empty string/],
    ['token and auth', { orgUrl: ORG, token: TOKEN, auth: ssws(TOKEN) }, /"token" and "auth" options are exclusive/],
    ['auth without header()', { orgUrl: ORG, auth: {} }, /"auth" option must be an object with a header\(\) method/],
    ['auth an empty string', { orgUrl: ORG, auth: '' }, /^"auth" option must be a non-empty string/],
    ['auth a string with a space', { orgUrl: ORG, auth: 'AUTH SECRET' }, /^"auth" option must be a non-empty string/],
    ['auth a string with a newline', { orgUrl: ORG, auth: 'abc\r\nX-Evil: 1' }, /^"auth" option must be a non-empty string/],
    ['timeoutMs zero', { orgUrl: ORG, token: TOKEN, timeoutMs: 0 }, /"timeoutMs" option must be a positive integer/],
    ['timeoutMs fraction', { orgUrl: ORG, token: TOKEN, timeoutMs: 1.5 }, /"timeoutMs" option must be a positive integer/],
    ['timeoutMs string', { orgUrl: ORG, token: TOKEN, timeoutMs: '5000' }, /"timeoutMs" option must be a positive integer/],
    ['rateLimitMaxWaitMs negative', { orgUrl: ORG, token: TOKEN, rateLimitMaxWaitMs: -1 }, /"rateLimitMaxWaitMs" option must be a non-negative integer/],
    ['userAgent with CRLF', { orgUrl: ORG, token: TOKEN, userAgent: 'x\r\ny' }, /"userAgent" option must be a non-empty string/],
    ['userAgent with a tab', { orgUrl: ORG, token: TOKEN, userAgent: 'app\t1' }, /"userAgent" option must be a non-empty string without control characters or spaces at either end/],
    ['userAgent with a C1 control', { orgUrl: ORG, token: TOKEN, userAgent: 'app\u00851' }, /"userAgent" option must be a non-empty string without control characters or spaces at either end/],
    ['userAgent with a space at an end', { orgUrl: ORG, token: TOKEN, userAgent: 'app/1 ' }, /"userAgent" option must be a non-empty string/],
    ['dispatcher not a dispatcher', { orgUrl: ORG, token: TOKEN, dispatcher: {} }, /"dispatcher" option must be an undici Dispatcher/],
    ['a misspelt option', { orgUrl: ORG, token: TOKEN, timeoutMS: 1 }, /^"timeoutMS" is not an option of createOktaClient$/],
    ['an option of another library', { orgUrl: ORG, token: TOKEN, retries: 3 }, /^"retries" is not an option/],
    // A name every object inherits is no option either: only the client's own keys count.
    ['a key of Object.prototype', { orgUrl: ORG, token: TOKEN, toString: () => 'x' }, /^"toString" is not an option of createOktaClient$/],
  ]
  for (const [name, options, message] of bad) {
    t.throws(() => createOktaClient(options as OktaClientOptions), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message }, name)
  }
  // The exported class, a TypeError and no OktaClientError (nothing was sent), so not in OKTA_ERROR_CODES, as the README says.
  const refused = ((): unknown => { try { return createOktaClient({ orgUrl: ORG, token: TOKEN, timeoutMS: 1 } as OktaClientOptions) } catch (err) { return err } })()
  t.same([refused instanceof InvalidOptionError, refused instanceof TypeError, refused instanceof OktaClientError], [true, true, false], 'an InvalidOptionError, a TypeError, not an OktaClientError')
  t.notOk('OKTA_CLIENT_INVALID_OPTION' in OKTA_ERROR_CODES, 'OKTA_ERROR_CODES holds the OktaClientError codes only')
  // The message of a bad token never repeats the token, whichever option carried it.
  for (const options of [{ orgUrl: ORG, token: 'leaky token' }, { orgUrl: ORG, auth: 'leaky token' }]) {
    try {
      createOktaClient(options)
      t.fail('should throw')
    } catch (err) {
      t.notMatch(String((err as Error).message), /leaky/)
    }
  }
})

void t.test('good options: both constructors, trailing slash, http opt-in, defaults', async (t) => {
  t.equal(DEFAULT_TIMEOUT_MS, 5000)
  t.equal(DEFAULT_RATE_LIMIT_MAX_WAIT_MS, 10_000)
  const a = createOktaClient({ orgUrl: 'https://dev-1.okta.com/', token: TOKEN })
  const b = new OktaClient({ orgUrl: 'https://dev-1.okta.com', auth: ssws(TOKEN) })
  const c = createOktaClient({ orgUrl: 'http://127.0.0.1:7070', token: TOKEN, allowInsecureHttp: true, timeoutMs: 100, rateLimitMaxWaitMs: 0 })
  t.ok(a instanceof OktaClient)
  t.equal(a.orgUrl, 'https://dev-1.okta.com')
  t.equal(b.orgUrl, 'https://dev-1.okta.com')
  t.equal(c.orgUrl, 'http://127.0.0.1:7070')
  const d = createOktaClient({ orgUrl: 'https://dev-1.okta.com//', token: TOKEN })
  t.equal(d.orgUrl, 'https://dev-1.okta.com', 'every trailing slash dropped')
  t.match(JSON.stringify(d), /"orgUrl":"https:\/\/dev-1\.okta\.com"/)
  // Every loopback host takes plain http with the opt-in: 127.0.0.0/8, localhost and ::1.
  const loopbacks = ['http://127.0.0.2:7070', 'http://127.255.255.254', 'http://localhost:7070', 'http://LOCALHOST', 'http://[::1]:7070', 'http://[0:0:0:0:0:0:0:1]/']
  const local = loopbacks.map((orgUrl) => createOktaClient({ orgUrl, token: TOKEN, allowInsecureHttp: true }))
  t.same(local.map((l) => l.orgUrl), ['http://127.0.0.2:7070', 'http://127.255.255.254', 'http://localhost:7070', 'http://localhost', 'http://[::1]:7070', 'http://[::1]'])
  t.same([isLoopbackHost('::1'), isLoopbackHost('127.0.0.1'), isLoopbackHost('127.0.0.256'), isLoopbackHost('10.0.0.1'), isLoopbackHost('dev-1.okta.com')], [true, true, false, false, false])
  // Every IPv6 spelling of loopback, and IPv4-mapped 127/8; nothing else.
  for (const host of ['0:0:0:0:0:0:0:1', '[0:0:0:0:0:0:0:1]', '0000::0001', '::ffff:127.0.0.1', '[::ffff:127.255.255.254]', '::ffff:7f00:1', 'LocalHost']) t.ok(isLoopbackHost(host), `${host} is loopback`)
  for (const host of ['::', '::2', '::ffff:10.0.0.1', '::ffff:128.0.0.1', '0.0.0.0', '[::1', '::1%lo', 'localhost.example.com']) t.notOk(isLoopbackHost(host), `${host} is not`)
  await Promise.all([a.close(), b.close(), c.close(), d.close(), ...local.map((l) => l.close())])
})

void t.test('VERSION is package.json version', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../packages/okta-client/package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal(VERSION, pkg.version)
})

void t.test('every request carries Accept, User-Agent, SSWS Authorization and X-Request-Id', async (t) => {
  const { agent, pool, client } = mockOrg(t, { userAgent: 'my-app/2.0' })
  pool.intercept({
    path: '/api/v1/users/00u1f96ECLNVOKVMUSEA',
    method: 'GET',
    headers: {
      accept: 'application/json',
      authorization: `SSWS ${TOKEN}`,
      'user-agent': `okta-mfa-client/${VERSION} my-app/2.0`,
      'x-request-id': 'corr-42',
    },
  }).reply(200, USER, { headers: jsonHeaders('okta-rid-7') })
  const user = await client.getUser('00u1f96ECLNVOKVMUSEA', { requestId: 'corr-42' })
  t.equal(user.id, USER.id)
  t.equal(user.oktaRequestId, 'okta-rid-7')
  t.notOk(Object.keys(user).includes('oktaRequestId'), 'oktaRequestId is not enumerable')
  t.same(JSON.parse(JSON.stringify(user)), USER)
  await t.rejects(client.getUser('x', { requestId: 'bad\nid' }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"requestId" option/ })
  // 1 to 200 characters: an id of 200 is sent as it is, one of 201 or an empty one is refused before anything is sent.
  pool.intercept({ path: '/api/v1/users/00u1f96ECLNVOKVMUSEA', method: 'GET', headers: { 'x-request-id': 'r'.repeat(200) } }).reply(200, USER, { headers: jsonHeaders() })
  t.equal((await client.getUser('00u1f96ECLNVOKVMUSEA', { requestId: 'r'.repeat(200) })).id, USER.id, 'a request id of 200 characters')
  for (const requestId of ['r', 'corr 42 x', 'réq-ñ']) {
    pool.intercept({ path: '/api/v1/users/00u1f96ECLNVOKVMUSEA', method: 'GET', headers: { 'x-request-id': requestId } }).reply(200, USER, { headers: jsonHeaders() })
    t.equal((await client.getUser('00u1f96ECLNVOKVMUSEA', { requestId })).id, USER.id, `"${requestId}" is sent as given`)
  }
  // A control character (a tab too) or a space at an end, which undici would trim: the id sent would not be this one.
  // C1 controls (NEL, CSI: a terminal's escapes in a log) too; and a character that is not Latin-1 cannot be a header's.
  for (const requestId of ['r'.repeat(201), '', 'a\tb', '\tlead', ' padded ', 'trail ', 'req\u0085id', 'req\u009b31mid', 'req-€']) {
    await t.rejects(client.getUser('x', { requestId }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"requestId" option/ }, `a request id of ${requestId.length} characters`)
  }
  agent.assertNoPendingInterceptors()
})

void t.test('a pluggable auth provider is called per request', async (t) => {
  let calls = 0
  const { agent, pool, client } = mockOrg(t, { token: undefined, auth: { header: async () => `Bearer at-${++calls}` } })
  pool.intercept({ path: '/api/v1/users/u1', method: 'GET', headers: { authorization: 'Bearer at-1' } }).reply(200, USER, { headers: jsonHeaders() })
  pool.intercept({ path: '/api/v1/users/u1', method: 'GET', headers: { authorization: 'Bearer at-2' } }).reply(200, USER, { headers: jsonHeaders() })
  await client.getUser('u1')
  await client.getUser('u1')
  t.equal(calls, 2)
  agent.assertNoPendingInterceptors()
  const bad = mockOrg(t, { token: undefined, auth: { header: () => 'Bearer x\r\nX-Evil: 1' } })
  await t.rejects(bad.client.getUser('u1'), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"auth" option: header\(\) must return/ })
  // The app's own header() failing is its own error, passed through as it is (sync or async).
  const own = new Error('secret store down')
  for (const header of [() => { throw own }, async () => { throw own }]) {
    const failing = mockOrg(t, { token: undefined, auth: { header } })
    // Had anything been sent, the mock agent (no interceptor, no network) would have answered with an error of its own.
    t.equal(await failing.client.getUser('u1').then(() => undefined, (err: unknown) => err), own)
  }
})

void t.test('logins are percent-encoded into one path segment; queries are serialized', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  pool.intercept({ path: '/api/v1/users/dade.murphy%2Bmfa%40example.com', method: 'GET' }).reply(200, USER, { headers: jsonHeaders() })
  pool.intercept({ path: '/api/v1/users/a%2Fb%3Fc%23d', method: 'GET' }).reply(200, USER, { headers: jsonHeaders() })
  pool.intercept({ path: '/api/v1/users?activate=false', method: 'POST', body: JSON.stringify({ profile: { login: 'a@example.com', email: 'a@example.com' } }), headers: { 'content-type': 'application/json' } })
    .reply(200, { ...USER, status: 'STAGED' }, { headers: jsonHeaders() })
  pool.intercept({ path: '/api/v1/users/00u1/factors?updatePhone=true&activate=false&tokenLifetimeSeconds=300&templateId=cstk1', method: 'POST' })
    .reply(200, { id: 'mbl1', factorType: 'sms', provider: 'OKTA', status: 'PENDING_ACTIVATION' }, { headers: jsonHeaders() })
  pool.intercept({ path: '/api/v1/users/00u1/lifecycle/activate?sendEmail=false', method: 'POST' }).reply(200, { activationUrl: 'https://x/tokens/x/verify', activationToken: 'x' }, { headers: jsonHeaders() })
  await client.getUser('dade.murphy+mfa@example.com')
  await client.getUser('a/b?c#d')
  const staged = await client.createUser({ profile: { login: 'a@example.com', email: 'a@example.com' } }, { activate: false })
  t.equal(staged.status, 'STAGED')
  const sms = await client.enrollFactor('00u1', { factorType: 'sms', provider: 'OKTA', profile: { phoneNumber: '+1-555-415-1337' } },
    { updatePhone: true, activate: false, tokenLifetimeSeconds: 300, templateId: 'cstk1' })
  t.equal(sms.factorType, 'sms')
  await client.activateUser('00u1', { sendEmail: false })
  // deleteFactor's query flag rides in its options (existing `opts` calls keep their meaning); absent, no query.
  pool.intercept({ path: '/api/v1/users/00u1/factors/mbl1?removeRecoveryEnrollment=true', method: 'DELETE', headers: { 'x-request-id': 'req-del' } }).reply(204, '')
  pool.intercept({ path: '/api/v1/users/00u1/factors/mbl1?removeRecoveryEnrollment=false', method: 'DELETE' }).reply(204, '')
  pool.intercept({ path: '/api/v1/users/00u1/factors/mbl1', method: 'DELETE' }).reply(204, '')
  await client.deleteFactor('00u1', 'mbl1', { removeRecoveryEnrollment: true, requestId: 'req-del' })
  await client.deleteFactor('00u1', 'mbl1', { removeRecoveryEnrollment: false })
  await client.deleteFactor('00u1', 'mbl1', {})
  agent.assertNoPendingInterceptors()
  await t.rejects(client.deleteFactor('00u1', 'mbl1', { removeRecoveryEnrollment: 'true' as unknown as boolean }),
    { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: '"removeRecoveryEnrollment" must be a boolean' })
  await t.rejects(client.deleteFactor('00u1', 'mbl1', { removeRecovery: true } as never),
    { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /^"removeRecovery" is not a key of the deleteFactor options/ })
  await t.rejects(client.deleteFactor('00u1', 'mbl1', { requestId: 'a\r\nb' }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION' })
  await t.rejects(client.getUser(''), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"idOrLogin" must be a non-empty string/ })
  await t.rejects(client.getFactor('00u1', ''), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"factorId" must be a non-empty string/ })
  // A lone surrogate (JSON allows one) cannot be percent-encoded: the same TypeError, naming the parameter, no echo.
  const surrogate = await client.getUser('\ud800@example.com').then(() => undefined, (err: unknown) => err as Error)
  t.type(surrogate, TypeError)
  t.match(surrogate, { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /^"idOrLogin" must be / })
  t.notMatch(surrogate?.message, /example\.com|\ud800/)
  await t.rejects(client.listFactors('00u1\udfff'), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /^"userId" must be / })
  await t.rejects(client.getFactor('00u1', '\ud83d'), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /^"factorId" must be / })
  await t.rejects(client.enrollFactor('00u1', {} as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"body" must have a "factorType"/ })
  await t.rejects(client.enrollFactor('00u1', { factorType: 'push', provider: 'OKTA' }, { tokenLifetimeSeconds: -1 }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"tokenLifetimeSeconds"/ })
  await t.rejects(client.activateFactor('00u1', 'ost1', {} as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"body.passCode" must be a string/ })
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: 123456 as never }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"body.passCode" must be a string/ })
  await t.rejects(client.verifyFactor('00u1', 'opf1', { useNumberMatchingChallenge: 'yes' as never }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"body.useNumberMatchingChallenge" must be a boolean/ })
  await t.rejects(client.activateFactor('00u1', 'ost1', null as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"body.passCode" must be a string/ })
  await t.rejects(client.createUser({} as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"body.profile" must be an object/ })
  await t.rejects(client.createUser({ profile: { login: 'a', email: 'a' } }, { activate: 'yes' as never }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"activate" must be a boolean/ })
  t.throws(() => client.listUsers({ limit: 0 }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"limit" must be a positive integer/ })
})

void t.test('a key that is not an option of a method is a TypeError naming it, before anything is sent; so is a null options object', async (t) => {
  const { agent, client } = mockOrg(t) // no interceptor: a call that went out would fail with OKTA_CONNECTION
  const profile = { profile: { login: 'a@example.com', email: 'a@example.com' } }
  const named = (key: string): RegExp => new RegExp(`^"${key}" is not a key of `)
  // A misspelt filter would list every user of the org: refused at the call, not sent.
  t.throws(() => client.listUsers({ serach: 'profile.login eq "b"' } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: named('serach') })
  t.throws(() => client.listUsers({ limit: 2 }, { timeout: 1 } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: named('timeout') })
  t.throws(() => client.listUsers(null as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /listUsers query must be an object/ })
  await t.rejects(client.createUser(profile, { activated: false } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: named('activated') })
  await t.rejects(client.createUser(profile, null as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /createUser query must be an object/ })
  await t.rejects(client.getUser('00u1', { timeout: 1 } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: named('timeout') })
  await t.rejects(client.getUser('00u1', null as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /request options \("opts"\) must be an object/ })
  await t.rejects(client.deleteFactor('00u1', 'ost1', { timeoutMs: 1 } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: named('timeoutMs') })
  await t.rejects(client.activateUser('00u1', { sendMail: false } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: named('sendMail') })
  await t.rejects(client.enrollFactor('00u1', { factorType: 'push', provider: 'OKTA' }, { activated: true } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: named('activated') })
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '1' }, { lifetime: 5 } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: named('lifetime') })
  await t.rejects(client.verifyFactor('00u1', 'mbl1', { passcode: '123456' } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /^"passcode" is not a key of the verifyFactor body \(passCode, answer, useNumberMatchingChallenge\)$/ })
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '1' }, null as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /verifyFactor query must be an object/ })
  // A form field that was missing: a code not given, not a request for a new one (sent, an sms factor would text one).
  for (const body of [{ passCode: undefined }, { answer: undefined }, { passCode: undefined, answer: undefined }]) {
    await t.rejects(client.verifyFactor('00u1', 'sms1', body), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: '"body.passCode" (or "body.answer") is undefined: pass no body to start a challenge' }, JSON.stringify(Object.keys(body)))
  }
  await t.rejects(client.verifyFactor('00u1', 'ost1', undefined, undefined, { ctx: {} } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: named('ctx') })
  await t.rejects(client.verifyFactor('00u1', 'ost1', undefined, undefined, null as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /verifyFactor options/ })
  await t.rejects(client.verifyFactor('00u1', 'ost1', undefined, undefined, { context: { ipAddress: '1.2.3.4' } } as never), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: named('ipAddress') })
  agent.assertNoPendingInterceptors()
})

void t.test('verify sends the end user context, and an empty JSON body for a challenge', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const seen: Array<{ body: unknown, headers: Record<string, string> }> = []
  const record = (opts: { body?: unknown, headers?: unknown }): void => {
    seen.push({ body: opts.body, headers: opts.headers as Record<string, string> })
  }
  pool.intercept({ path: '/api/v1/users/00u1/factors/mbl1/verify', method: 'POST' })
    .reply((opts) => { record(opts); return { statusCode: 200, data: { factorResult: 'CHALLENGE' }, responseOptions: { headers: jsonHeaders() } } })
  pool.intercept({ path: '/api/v1/users/00u1/factors/mbl1/verify?tokenLifetimeSeconds=120', method: 'POST' })
    .reply((opts) => { record(opts); return { statusCode: 200, data: { factorResult: 'SUCCESS' }, responseOptions: { headers: jsonHeaders() } } })
  const challenge = await client.verifyFactor('00u1', 'mbl1', undefined, undefined, {
    context: { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11)', acceptLanguage: 'fr-CA' },
  })
  t.equal(challenge.factorResult, 'CHALLENGE')
  const ok = await client.verifyFactor('00u1', 'mbl1', { passCode: '123456' }, { tokenLifetimeSeconds: 120 }, {
    context: { ip: '203.0.113.9', userAgent: 'bad\r\nvalue' },
  })
  t.equal(ok.factorResult, 'SUCCESS')
  agent.assertNoPendingInterceptors()

  const [first, second] = seen
  t.equal(first?.body ?? '', '', 'no body: an empty body')
  t.equal(first?.headers['content-type'], 'application/json', '... that still says application/json')
  t.equal(first?.headers['x-forwarded-for'], '203.0.113.9')
  t.equal(first?.headers['user-agent'], 'Mozilla/5.0 (X11)', "the end user's User-Agent replaces ours")
  t.equal(first?.headers['accept-language'], 'fr-CA')
  t.same(JSON.parse(String(second?.body)), { passCode: '123456' })
  t.match(second?.headers['user-agent'], /^okta-mfa-client\//, 'a User-Agent that cannot be a header is dropped, not sent')
})

void t.test('close(): leaves an injected dispatcher open, is idempotent, then refuses calls', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  await client.close()
  await client.close() // idempotent
  await t.rejects(client.getUser('u1'), ClientClosedError)
  await t.rejects(client.getUser('u1'), { code: 'OKTA_CLIENT_CLOSED' })
  t.match(inspect(client), /closed/)

  // The injected dispatcher still serves another client.
  pool.intercept({ path: '/api/v1/users/u1', method: 'GET' }).reply(200, USER, { headers: jsonHeaders() })
  const other = createOktaClient({ orgUrl: ORG, token: TOKEN, dispatcher: agent })
  t.equal((await other.getUser('u1')).id, USER.id)
  await other.close()
  agent.assertNoPendingInterceptors()

  const injected = new Agent()
  const c2 = createOktaClient({ orgUrl: ORG, token: TOKEN, dispatcher: injected })
  await c2.close()
  t.equal(injected.closed, false, 'an injected Agent is not closed by the client')
  await injected.close()
})

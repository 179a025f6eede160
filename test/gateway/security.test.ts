// Guards the transport rules: CSRF (simple-content-type posts blocked before execution), GET refused, one mutation
// per document (aliases cannot brute-force), no batching, no introspection or suggestions in production, size limits.
import { randomBytes } from 'node:crypto'
import secureSession from '@fastify/secure-session'
import Fastify from 'fastify'
import t from 'tap'
import { getIntrospectionQuery } from 'graphql'
import { request } from 'undici'
import { oktaMfaGateway } from '@okta-mfa/gateway'
import { MemoryAttemptStore } from 'passport-okta-mfa'
import { emuFetch, withEmulator } from '../helpers/emulator.js'
import { OPS, codeOf, gql, startGatewayApp } from '../helpers/gateway-app.js'
import { faultProxy } from '../helpers/http.js'
import { totp } from '../helpers/totp.js'

const SECRET = 'JBSWY3DPEHPK3PXP'
const seed = [{ login: 'ada@example.com', factors: [{ factorType: 'token:software:totp' as const, sharedSecret: SECRET }] }]

await t.test('CSRF: a text/plain or form POST with a valid session cookie is refused before anything runs', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'bob@example.com' }] })
  const gw = await startGatewayApp(t, emu)
  const bob = await gw.signedIn('bob@example.com')
  const mutation = 'mutation { enrollFactor(input: { factorType: SMS, phoneNumber: "+15555550123" }) { factor { id } } }'

  const plain = await bob.fetch('/graphql', { method: 'POST', body: JSON.stringify({ query: mutation }), headers: { 'content-type': 'text/plain' } })
  t.equal(plain.status, 400)
  t.equal(plain.json().errors[0].extensions.code, 'BAD_REQUEST')
  t.match(plain.json().errors[0].message, /Cross-Site Request Forgery/)

  const form = await bob.fetch('/graphql', { form: { query: mutation } })
  t.equal(form.status, 400)
  t.equal(form.json().errors[0].extensions.code, 'BAD_REQUEST')

  const multipart = await bob.fetch('/graphql', { method: 'POST', body: '--x\r\n\r\n--x--', headers: { 'content-type': 'multipart/form-data; boundary=x' } })
  t.equal(multipart.status, 400)

  t.same(emu.messages(), [], 'no sms was sent: the mutation never ran')
  t.same((await gql(bob, OPS.factors)).body.data.factors, [], 'no factor was enrolled')

  const preflighted = await bob.fetch('/graphql', { method: 'POST', body: JSON.stringify({ query: OPS.factors }), headers: { 'content-type': 'text/plain', 'mercurius-require-preflight': '1' } })
  t.same([preflighted.status, preflighted.json().errors?.[0]?.extensions?.code], [400, 'BAD_REQUEST'], 'a preflight header passes CSRF, but a text body is still not GraphQL')
  const preflightedForm = await bob.fetch('/graphql', { form: { query: mutation }, headers: { 'x-mercurius-operation-name': 'x' } })
  t.same([preflightedForm.status, preflightedForm.json().errors?.[0]?.extensions?.code], [400, 'BAD_REQUEST'], 'nor a form')
  t.equal((await gql(bob, OPS.factors)).status, 200, 'application/json goes through')

  // Media types are case-insensitive: JSON in capitals is JSON; other types in capitals are still refused.
  for (const type of ['APPLICATION/JSON', 'Application/Json; charset=utf-8']) {
    const res = await bob.fetch('/graphql', { method: 'POST', body: JSON.stringify({ query: OPS.factors }), headers: { 'content-type': type } })
    t.equal(res.status, 200, `${type} goes through`)
    t.same(res.json().data.factors, [])
  }
  for (const type of ['TEXT/PLAIN', 'Application/X-WWW-Form-Urlencoded']) {
    const res = await bob.fetch('/graphql', { method: 'POST', body: JSON.stringify({ query: mutation }), headers: { 'content-type': type } })
    t.equal(res.status, 400, `${type} is refused`)
    t.equal(res.json().errors[0].extensions.code, 'BAD_REQUEST')
  }
  t.same(emu.messages(), [], 'still no sms sent')
})

await t.test('GET is refused for queries and mutations alike', async (t) => {
  const emu = await withEmulator(t, { seed })
  const gw = await startGatewayApp(t, emu)
  const ada = await gw.signedIn('ada@example.com')
  for (const query of ['{ viewer { userKey } }', 'mutation { removeFactor(factorId: "x") { removedFactorId } }']) {
    const res = await ada.fetch(`/graphql?query=${encodeURIComponent(query)}`)
    t.equal(res.status, 405, query)
    t.equal(res.headers.allow, 'POST')
    t.equal(res.json().errors[0].extensions.code, 'METHOD_NOT_ALLOWED')
  }
  t.equal((await ada.fetch('/graphql', { method: 'HEAD' })).status, 405, 'HEAD too')
  t.equal((await ada.fetch('/graphiql')).status, 404, 'no GraphiQL outside development')

  // Every other method: the same coded answer, with the request id in the body and the header.
  // Methods Fastify does not route at all (WebDAV's) too: the standalone server answers them on the GraphQL path.
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'PROPFIND', 'SEARCH', 'MKCOL', 'REPORT']) {
    const res = await ada.fetch('/graphql', { method, body: JSON.stringify({ query: OPS.factors }), headers: { 'content-type': 'application/json', 'x-request-id': `method-${method}-01` } })
    t.equal(res.status, 405, method)
    t.equal(res.headers.allow, 'POST', `${method}: Allow: POST`)
    t.equal(res.headers['x-request-id'], `method-${method}-01`, `${method}: X-Request-Id`)
    t.equal(res.headers['cache-control'], 'no-store', `${method}: Cache-Control: no-store`)
    t.match(res.json(), { data: null, errors: [{ extensions: { code: 'METHOD_NOT_ALLOWED', requestId: `method-${method}-01` } }] }, `${method}: code and request id`)
  }
  // A body without a Content-Type is refused before it is read, as one with it.
  for (const method of ['DELETE', 'PATCH']) {
    const res = await ada.fetch('/graphql', { method, body: 'passCode=123456' })
    t.same([res.status, res.json().errors?.[0]?.extensions.code], [405, 'METHOD_NOT_ALLOWED'], `${method} with an untyped body: 405`)
  }
  const elsewhere = await ada.fetch('/nowhere?token=secret-in-query', { method: 'PROPFIND', headers: { 'x-request-id': 'method-elsewhere-01' } })
  t.equal(elsewhere.status, 404, 'another path: not found')
  t.equal(elsewhere.headers['x-request-id'], 'method-elsewhere-01')
  t.same(elsewhere.json(), { message: 'Route PROPFIND:/nowhere not found', error: 'Not Found', statusCode: 404 }, "Fastify's form, without the query string")
  const preflight = await ada.fetch('/graphql', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } })
  t.equal(preflight.status, 405, 'a cross-origin preflight without CORS handling fails')
  t.equal(preflight.headers['access-control-allow-origin'], undefined)
})

await t.test('one mutation per document: ten aliased verifyFactor are refused and count nothing', async (t) => {
  const emu = await withEmulator(t, { seed })
  const store = new MemoryAttemptStore()
  const gw = await startGatewayApp(t, emu, { gateway: { attemptStore: store } })
  const ada = await gw.signedIn('ada@example.com')
  const factorId = (await gql(ada, OPS.factors)).body.data.factors[0].id as string
  const guesses = Array.from({ length: 10 }, (_, i) => `g${i}: verifyFactor(factorId: "${factorId}", passCode: "${String(100000 + i)}") { result }`)
  const aliased = await gql(ada, `mutation { ${guesses.join(' ')} }`)
  t.equal(aliased.status, 400)
  t.equal(codeOf(aliased), 'GRAPHQL_VALIDATION_FAILED')
  t.ok(aliased.body.errors?.some((e) => /one per request/.test(e.message)), 'refused as more than one mutation')
  t.equal(aliased.body.data, null)
  t.equal(await store.get('ada@example.com', Date.now()), undefined, 'no attempt was counted')

  const two = await gql(ada, `mutation {
    verifyFactor(factorId: "${factorId}", passCode: "123456") { result }
    enrollFactor(input: { factorType: SMS, phoneNumber: "+15555550123" }) { factor { id } }
  }`)
  t.equal(codeOf(two), 'GRAPHQL_VALIDATION_FAILED', 'two different mutations in one document')
  const viaFragments = await gql(ada, `mutation { ...A ...A } fragment A on Mutation { verifyFactor(factorId: "${factorId}", passCode: "123456") { result } }`)
  t.equal(codeOf(viaFragments), 'GRAPHQL_VALIDATION_FAILED', 'the same mutation twice through fragments')
  // Two mutation operations in one document, one named to run: two mutations in one document all the same.
  const twoOps = `mutation M1 { verifyFactor(factorId: "${factorId}", passCode: "123456") { result } } mutation M2 { verifyFactor(factorId: "${factorId}", passCode: "654321") { result } }`
  for (const operationName of ['M1', 'M2']) {
    const res = await ada.fetch('/graphql', { json: { query: twoOps, operationName } })
    const body = res.json() as { data: unknown, errors?: Array<{ message: string, extensions: { code: string } }> }
    t.equal(res.status, 400, `two mutation operations, ${operationName} named: 400`)
    t.equal(body.errors?.[0]?.extensions.code, 'GRAPHQL_VALIDATION_FAILED')
    t.match(body.errors?.[0]?.message, /one per request/)
  }
  const queryAndMutation = await ada.fetch('/graphql', { json: { query: `query Q { viewer { login } } mutation M { verifyFactor(factorId: "${factorId}", passCode: "123456") { result } }`, operationName: 'Q' } })
  t.equal(queryAndMutation.status, 200, 'a query beside one mutation operation is still fine')
  t.equal(await store.get('ada@example.com', Date.now()), undefined)

  const enumTypo = await gql(ada, OPS.enroll, { input: { factorType: 'TOTPP' } })
  t.equal(codeOf(enumTypo), 'BAD_USER_INPUT', 'a bad variable is bad user input')
  t.notMatch(JSON.stringify(enumTypo.body), /Did you mean/)

  const one = await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })
  t.equal(one.body.data.verifyFactor.result, 'SUCCESS', 'a single mutation runs')
})

await t.test('no batching, no introspection, no suggestions, bounded documents and bodies', async (t) => {
  const emu = await withEmulator(t, { seed })
  const gw = await startGatewayApp(t, emu, { gateway: { limits: { maxDepth: 2, maxAliases: 1, maxFields: 6, maxTokens: 60 } } })
  const ada = await gw.signedIn('ada@example.com')

  const batch = await ada.fetch('/graphql', { json: [{ query: OPS.factors }, { query: OPS.viewer }] })
  t.equal(batch.status, 400, 'a batch is refused')
  t.equal(batch.json().errors[0].extensions.code, 'BAD_REQUEST')

  for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Factor") { fields { name } } }']) {
    const res = await gql(ada, query)
    t.equal(codeOf(res), 'GRAPHQL_VALIDATION_FAILED', `introspection refused: ${query}`)
    t.equal(res.status, 400)
  }

  const typo = await gql(ada, '{ factor { id } }')
  t.equal(codeOf(typo), 'GRAPHQL_VALIDATION_FAILED')
  t.match(typo.body.errors?.[0]?.message, /Cannot query field "factor" on type "Query"/)
  t.notMatch(JSON.stringify(typo.body), /Did you mean/, 'no suggestion reveals the schema')

  t.match((await gql(ada, '{ viewer { mfa { completed } } }')).body.errors?.[0]?.message, /nested more than 2 levels deep; the limit is 2/)
  t.match((await gql(ada, '{ a: factors { id } b: factors { id } }')).body.errors?.[0]?.message, /more than 1 aliases; the limit is 1/)
  t.match((await gql(ada, '{ factors { ...F ...F } } fragment F on Factor { id status provider }')).body.errors?.[0]?.message, /selects more than 6 fields; the limit is 6/)
  const tokens = await gql(ada, `{ factors { ${'id '.repeat(80)} } }`)
  t.equal(codeOf(tokens), 'GRAPHQL_VALIDATION_FAILED', 'too many tokens')
  t.match(tokens.body.errors?.[0]?.message, /tokens/)

  const big = await ada.fetch('/graphql', { json: { query: OPS.factors, variables: { pad: 'x'.repeat(10_000) } } })
  t.equal(big.status, 413, 'a body over 8 KiB')
  t.equal(big.json().errors[0].extensions.code, 'PAYLOAD_TOO_LARGE')

  const empty = await ada.fetch('/graphql', { json: {} })
  t.equal(empty.status, 400, 'a body without a query')
  t.equal(empty.json().errors[0].extensions.code, 'BAD_REQUEST')

  // Members of the wrong type are refused as sent, never coerced into a request that runs: a query in a one-element
  // array was run as the text inside, a null query as an empty document, a number as its digits.
  for (const body of [{ query: [OPS.factors] }, { query: null }, { query: 5 }, { query: true }, { query: { text: OPS.factors } },
    { query: OPS.factors, operationName: ['Factors'] }, { query: OPS.factors, operationName: 5 },
    { query: OPS.factors, variables: [] }, { query: OPS.factors, variables: 'x' }, { query: OPS.factors, extensions: null }, { query: OPS.factors, extensions: [] }, null, 'text', 5]) {
    const res = await ada.fetch('/graphql', { json: body })
    t.same([res.status, res.json().errors?.[0]?.extensions.code, res.json().data], [400, 'BAD_REQUEST', null], `refused: ${JSON.stringify(body)}`)
  }
  for (const body of [{ query: '{ factors { id } }', operationName: null, variables: null }, { query: 'query F { factors { id } }', operationName: 'F', variables: {}, extensions: {} }]) {
    const res = await ada.fetch('/graphql', { json: body })
    t.same([res.status, res.json().data?.factors?.length], [200, 1], `the same members with their types: ${JSON.stringify(body)}`)
  }
})

await t.test('GraphiQL and introspection only with development: true', async (t) => {
  const emu = await withEmulator(t, { seed })
  const gw = await startGatewayApp(t, emu, { env: { GATEWAY_DEVELOPMENT: 'true' } })
  const ada = await gw.signedIn('ada@example.com')
  t.equal((await ada.fetch('/graphiql')).status, 200)
  const schema = await gql(ada, '{ __type(name: "Mutation") { fields { name } } }')
  t.same(schema.body.data.__type.fields.map((f: { name: string }) => f.name).sort(), ['activateFactor', 'enrollFactor', 'removeFactor', 'resendChallenge', 'verifyFactor'])
  // GraphiQL loads the schema with graphql-js's standard introspection query (ofType nested 15 deep, ~230 fields).
  for (const options of [{}, { descriptions: false }, { descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true }]) {
    const full = await gql(ada, getIntrospectionQuery(options))
    t.same([full.status, codeOf(full), full.body.data?.__schema?.mutationType?.name], [200, undefined, 'Mutation'], `the standard introspection query ${JSON.stringify(options)}`)
  }
  // Still bounded: introspection lists nested beyond that query's (each multiplies by the schema's size), or an
  // operation mixing introspection with the schema's own fields, gets the usual limits.
  const lists = await gql(ada, '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }')
  t.same([codeOf(lists), lists.body.errors?.[0]?.message], ['GRAPHQL_VALIDATION_FAILED', 'Operation anonymous nests introspection lists more than 3 levels deep; the limit is 3.'])
  const mixed = await gql(ada, `query Mixed { viewer { mfa { verified } } ${getIntrospectionQuery().replace(/^\s*query IntrospectionQuery \{/, '').replace(/\}\s*fragment[\s\S]*$/, '')} } ${getIntrospectionQuery().replace(/^[\s\S]*?\}\s*(?=fragment)/, '')}`)
  t.same([codeOf(mixed), mixed.body.errors?.[0]?.message], ['GRAPHQL_VALIDATION_FAILED', 'Operation Mixed is nested more than 6 levels deep; the limit is 6.'], 'introspection beside a field of the schema: the usual depth limit')
  // A query that is no text (a number, a boolean) is refused as without development, never looked at as introspection.
  for (const query of [5, 0, true]) {
    const res = await ada.fetch('/graphql', { json: { query } })
    t.same([res.status, res.json().errors?.[0]?.extensions.code], [400, 'BAD_REQUEST'], `query: ${String(query)}`)
  }
})

await t.test("a host app's request id that Okta cannot be sent (from its own header, any length) is not sent, rather than failing the call", async (t) => {
  const emu = await withEmulator(t, { seed })
  const seen: Array<string | undefined> = []
  const app = Fastify({ requestIdHeader: 'x-request-id' })
  t.teardown(() => app.close())
  await app.register(secureSession, { key: randomBytes(32), cookie: { path: '/' } })
  // A signed-in user for every request, as the host app's login would give.
  app.addHook('preHandler', (request, _reply, done) => { request.session.set('user' as never, { id: 'ada', login: 'ada@example.com' } as never); done() })
  await app.register(oktaMfaGateway, {
    orgUrl: emu.url,
    token: emu.token,
    allowInsecureHttp: true,
    resolveUser: (request: { session: { get: (key: never) => unknown } }) => request.session.get('user' as never),
  } as never)
  app.addHook('onResponse', (request, _reply, done) => { seen.push(request.id); done() })
  const url = await app.listen({ port: 0, host: '127.0.0.1' })
  for (const id of ['r'.repeat(200), 'r'.repeat(201), 'r'.repeat(5000)]) {
    const res = await request(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify({ query: OPS.factors }) })
    const body = await res.body.json() as { data?: { factors: unknown[] }, errors?: unknown }
    t.equal(res.statusCode, 200, `an id of ${id.length} characters: answered`)
    t.equal(body.data?.factors.length, 1, 'with the factors')
  }
  t.equal(seen.length, 3)
})

await t.test("a session user whose login is another person's Okta short name, id or `me` is not that person in Okta", async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'isaac.brock@example.com', factors: [{ factorType: 'token:software:totp' as const, sharedSecret: SECRET }] }] })
  const gw = await startGatewayApp(t, emu)
  const isaac = (await emuFetch(emu, 'GET', '/api/v1/users/isaac.brock@example.com')).body as { id: string }
  const [isaacFactor] = (await emuFetch(emu, 'GET', `/api/v1/users/${isaac.id}/factors`)).body as Array<{ id: string }>
  for (const login of ['isaac.brock', isaac.id, 'me']) {
    const jar = await gw.signedIn(login)
    // Okta answers GET /users/{x} for each of these with isaac (or the token's own user); none of them is the login.
    const viewer = await gql(jar, OPS.viewer)
    t.equal(viewer.body.data.viewer.login, null, `${login}: no Okta login`)
    t.equal(codeOf(viewer), 'OKTA_USER_NOT_FOUND')
    t.equal(codeOf(await gql(jar, OPS.factors)), 'OKTA_USER_NOT_FOUND', `${login}: none of isaac's factors listed`)
    const verify = await gql(jar, OPS.verify, { factorId: isaacFactor!.id, passCode: totp(SECRET, emu.clock.now()) })
    t.equal(codeOf(verify), 'OKTA_USER_NOT_FOUND', `${login}: isaac's code proves nothing`)
    t.equal(codeOf(await gql(jar, OPS.enroll, { input: { factorType: 'TOTP' } })), 'OKTA_USER_NOT_FOUND', `${login}: nothing enrolled on isaac`)
  }
  t.same((await emuFetch(emu, 'GET', `/api/v1/users/${isaac.id}/factors`)).body.map((f: { id: string }) => f.id), [isaacFactor!.id], "isaac's factors are as they were")
})

// Found from outside: a session user known by its login alone had one attempt counter per spelling of it, while Okta
// finds one user for every case of a login. Alternating `ada@…` and `ADA@…` passed our limit and reached Okta's lockout.
await t.test("every spelling of one login shares one attempt counter: our limit still comes before Okta's lockout", async (t) => {
  const emu = await withEmulator(t, { seed })
  const gw = await startGatewayApp(t, emu)
  // The app's user has no id: its login keys it (Okta finds ada whatever the case; the user store found these too).
  const spellings = ['ada@example.com', 'ADA@example.com', 'Ada@Example.com', 'ada@EXAMPLE.COM', 'aDa@example.com']
  const jars = await Promise.all(spellings.map(async (login) => await gw.signedInAs({ login })))
  const factorId = (await gql(jars[0]!, OPS.factors)).body.data.factors[0].id as string
  const seen: unknown[] = []
  for (const jar of jars) seen.push((await gql(jar, OPS.verify, { factorId, passCode: '000000' })).body.errors?.[0]?.extensions)
  t.match(seen, [
    { code: 'INVALID_PASSCODE', attemptsRemaining: 3 }, { code: 'INVALID_PASSCODE', attemptsRemaining: 2 },
    { code: 'INVALID_PASSCODE', attemptsRemaining: 1 }, { code: 'INVALID_PASSCODE', attemptsRemaining: 0 }, { code: 'LOCKED_OUT' },
  ], 'one counter of 4 for every spelling')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/ada@example.com')).body.status, 'ACTIVE', 'not locked in Okta')
  // Our lockout lifts by itself: after the window, the right code passes from any spelling.
  emu.clock.advance(15 * 60_000)
  const other = await gw.signedInAs({ login: 'Ada@example.com' })
  t.equal((await gql(other, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })).body.data?.verifyFactor.result, 'SUCCESS')
})

// Found from outside (two instances, one Redis): wrong codes sent while the right one is in flight may be judged by
// Okta after it, so they count towards Okta's lockout. The right code used to reset the whole counter, which then let
// 4 more wrong codes through: 6 failures in a row in Okta, which locks the user until an administrator unlocks them.
await t.test("a right code does not forget the wrong codes counted while it was in flight: our limit still comes before Okta's lockout", async (t) => {
  const emu = await withEmulator(t, { seed })
  const okta = await faultProxy(t, emu.url)
  let release = (): void => {}
  let judged = (): void => {}
  const rightJudged = new Promise<void>((resolve) => { judged = resolve })
  let holdNext = false
  okta.hook = (req) => {
    if (!holdNext || !/\/verify$/.test(req.url ?? '')) return undefined
    holdNext = false
    return { judged, until: new Promise<void>((resolve) => { release = resolve }) }
  }
  const gw = await startGatewayApp(t, emu, { env: { OKTA_ORG_URL: okta.url } })
  const ada = await gw.signedIn('ada@example.com')
  const thief = await gw.signedIn('ada@example.com') // the password alone: another session of the same user
  const factorId = (await gql(ada, OPS.factors)).body.data.factors[0].id as string

  holdNext = true
  const right = gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })
  await rightJudged // Okta said SUCCESS; the answer is on its way
  const wrong = async (): Promise<unknown> => (await gql(thief, OPS.verify, { factorId, passCode: '000000' })).body.errors?.[0]?.extensions
  t.match(await wrong(), { code: 'INVALID_PASSCODE', attemptsRemaining: 2 }, 'judged by Okta after the right code')
  t.match(await wrong(), { code: 'INVALID_PASSCODE', attemptsRemaining: 1 })
  release()
  t.equal((await right).body.data?.verifyFactor.result, 'SUCCESS')

  // Okta has 2 failures in a row since the right code; 2 more is our limit (4), 1 below its lockout (5).
  t.match(await wrong(), { code: 'INVALID_PASSCODE', attemptsRemaining: 1 }, 'the two in flight are still counted')
  t.match(await wrong(), { code: 'INVALID_PASSCODE', attemptsRemaining: 0 })
  t.match(await wrong(), { code: 'LOCKED_OUT' }, 'our lockout, which lifts by itself')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/ada@example.com')).body.status, 'ACTIVE', 'not locked in Okta')
})

// The other ordering, found by re-running that race: a wrong code counted just before the right one but reaching
// Okta after it. The right code used to take back every attempt counted up to it, that one too; Okta then had it as
// a failure after its SUCCESS, and 4 more made 5 in a row. Only wrong codes Okta had answered before the right code
// was counted are taken back with it.
await t.test("a right code keeps a wrong code counted before it but judged after it: our limit still comes before Okta's lockout", async (t) => {
  const emu = await withEmulator(t, { seed })
  const okta = await faultProxy(t, emu.url)
  let arrived = (): void => {}
  const wrongCounted = new Promise<void>((resolve) => { arrived = resolve })
  let forward = (): void => {}
  let delayNext = false
  okta.hook = (req) => {
    if (!delayNext || !/\/verify$/.test(req.url ?? '')) return undefined
    delayNext = false
    arrived()
    return { forwardAfter: new Promise<void>((resolve) => { forward = resolve }) }
  }
  const gw = await startGatewayApp(t, emu, { env: { OKTA_ORG_URL: okta.url } })
  const ada = await gw.signedIn('ada@example.com')
  const thief = await gw.signedIn('ada@example.com')
  const factorId = (await gql(ada, OPS.factors)).body.data.factors[0].id as string
  const wrong = async (): Promise<unknown> => (await gql(thief, OPS.verify, { factorId, passCode: '000000' })).body.errors?.[0]?.extensions

  // A wrong code Okta answered before the right one was sent is taken back with it, as the user expects.
  t.match(await wrong(), { code: 'INVALID_PASSCODE', attemptsRemaining: 3 })
  t.equal((await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })).body.data?.verifyFactor.result, 'SUCCESS')

  delayNext = true
  const early = wrong()
  await wrongCounted // counted (it is on its way to Okta), not judged yet
  emu.clock.advance(30_000) // the next code: a right code is not a replay of the first
  t.equal((await gql(ada, OPS.verify, { factorId, passCode: totp(SECRET, emu.clock.now()) })).body.data?.verifyFactor.result, 'SUCCESS')
  forward() // Okta judges the wrong code after the right one: its first failure in a row
  t.match(await early, { code: 'INVALID_PASSCODE', attemptsRemaining: 3 }, 'the answered code and the right one were taken back, not this one')

  t.match(await wrong(), { code: 'INVALID_PASSCODE', attemptsRemaining: 2 }, 'the early code is still counted')
  t.match(await wrong(), { code: 'INVALID_PASSCODE', attemptsRemaining: 1 })
  t.match(await wrong(), { code: 'INVALID_PASSCODE', attemptsRemaining: 0 })
  t.match(await wrong(), { code: 'LOCKED_OUT' }, 'our lockout, which lifts by itself')
  t.equal((await emuFetch(emu, 'GET', '/api/v1/users/ada@example.com')).body.status, 'ACTIVE', 'not locked in Okta: 4 failures in a row')
})

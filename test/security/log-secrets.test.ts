// Guards item 6 of issue 9: no secret in any log line at any level. A whole flow runs at debug/trace level against
// the standalone gateway and against the demo, binding each secret to variables of unrelated names ($code, $a, $x,
// $p) and to inline literals, and every log line is searched for every secret used.
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import t from 'tap'
import { ReplyError } from 'ioredis'
import { gatewayLoggerOptions } from '@okta-mfa/gateway'
import { csrfOf, PASSWORD, passwordLogin, startE2eApp } from '../helpers/e2e-app.js'
import { withEmulator } from '../helpers/emulator.js'
import { gql, startGatewayApp } from '../helpers/gateway-app.js'
import { rawExchange } from '../helpers/http.js'
import { totp } from '../helpers/totp.js'

function logSink (): { stream: Writable, text: () => string } {
  let logs = ''
  return { stream: new Writable({ write (chunk: Buffer, _enc, done) { logs += chunk.toString(); done() } }), text: () => logs }
}

/** A 6-digit code as it would appear if logged: not inside a longer run of digits (timestamps). */
const codePattern = (code: string): RegExp => new RegExp(`(?<![0-9])${code}(?![0-9])`)

/** Asserts none of `secrets` occurs in `logs`. */
function noneIn (t: { ok: (v: unknown, m: string) => unknown, notOk: (v: unknown, m: string) => unknown }, logs: string, secrets: ReadonlyArray<readonly [string, string | RegExp]>): void {
  t.ok(logs.split('\n').length > 10, 'the flow was logged')
  for (const [what, secret] of secrets) {
    const found = typeof secret === 'string' ? logs.includes(secret) : secret.test(logs)
    t.notOk(found, `no ${what} in any log line`)
  }
}

await t.test('the standalone gateway at LOG_LEVEL=debug: a whole flow logs no secret', async (t) => {
  const token = `api-${randomBytes(12).toString('hex')}`
  const sessionKey = randomBytes(32).toString('hex')
  // The email factor's address must be the user's own (Okta's rule): a distinctive one, to look for in the logs.
  const emu = await withEmulator(t, { token, seed: [{ login: 'ada@example.com', email: 'ada.private+mfa@example.net' }] })
  const logs = logSink()
  const gw = await startGatewayApp(t, emu, { logStream: logs.stream, env: { LOG_LEVEL: 'debug', SESSION_KEY: sessionKey } })
  const ada = await gw.signedIn('ada@example.com')

  const enrolled = await gql(ada, 'mutation E($x: EnrollFactorInput!) { enrollFactor(input: $x) { factor { id } activation { sharedSecret otpauthUri } } }', { x: { factorType: 'TOTP' } })
  const sharedSecret = enrolled.body.data.enrollFactor.activation.sharedSecret as string
  const factorId = enrolled.body.data.enrollFactor.factor.id as string
  const activation = totp(sharedSecret, emu.clock.now())
  const activated = await gql(ada, 'mutation A($id: ID!, $code: String!) { activateFactor(factorId: $id, passCode: $code) { status } }', { id: factorId, code: activation })
  t.equal(activated.body.data?.activateFactor.status, 'ACTIVE')
  emu.clock.advance(30_000)
  const right = totp(sharedSecret, emu.clock.now())
  const wrong = right === '999999' ? '888888' : '999999'
  await gql(ada, 'mutation V($f: ID!, $c: String) { verifyFactor(factorId: $f, passCode: $c) { result } }', { f: factorId, c: wrong })
  const verified = await gql(ada, 'mutation V($f: ID!, $c: String) { verifyFactor(factorId: $f, passCode: $c) { result } }', { f: factorId, c: right })
  t.equal(verified.body.data?.verifyFactor.result, 'SUCCESS')
  await gql(ada, `mutation { verifyFactor(factorId: "${factorId}", passCode: "${wrong}") { result } }`)
  const invalidLiteral = '424242'
  const invalid = await gql(ada, `mutation { verifyFactor(factorId: "${factorId}", passCode: ${invalidLiteral}) { result } }`)
  t.equal(invalid.status, 400, 'an Int literal for passCode is refused')
  t.match(invalid.body.errors?.[0], { message: 'String cannot represent a non string value.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }, 'without the literal')
  t.notMatch(JSON.stringify(invalid.body), invalidLiteral, 'the literal is not echoed to the client either')

  const phone = '+15555550177'
  const inlinePhone = '+15555550188'
  const email = 'ada.private+mfa@example.net'
  const answer = 'licorice pizza 42'
  await gql(ada, 'mutation S($x: EnrollFactorInput!) { enrollFactor(input: $x) { factor { id phoneNumber } } }', { x: { factorType: 'SMS', phoneNumber: phone } })
  await gql(ada, `mutation { enrollFactor(input: { factorType: CALL, phoneNumber: "${inlinePhone}" }) { factor { id } } }`)
  await gql(ada, 'mutation M($x: EnrollFactorInput!) { enrollFactor(input: $x) { factor { id email } } }', { x: { factorType: 'EMAIL', email } })
  const question = await gql(ada, 'mutation Q($x: EnrollFactorInput!) { enrollFactor(input: $x) { factor { id } } }', { x: { factorType: 'QUESTION', question: 'disliked_food', answer } })
  const questionId = question.body.data?.enrollFactor.factor.id as string | undefined
  if (questionId !== undefined) await gql(ada, 'mutation V($f: ID!, $a: String) { verifyFactor(factorId: $f, answer: $a) { result } }', { f: questionId, a: answer })
  await gql(ada, 'mutation V($f: ID!) { verifyFactor(factorId: $f, answer: "inline secret answer") { result } }', { f: questionId ?? factorId })
  await gql(ada, 'query { factors { id phoneNumber email } }')

  const text = logs.text()
  t.match(text, /"variableNames":\["f","c"\]/, 'what is logged of variables: their names')
  noneIn(t, text, [
    ['shared secret', sharedSecret], ['activation code', codePattern(activation)], ['right passcode', codePattern(right)],
    ['wrong passcode', codePattern(wrong)], ['invalid inline passcode', codePattern(invalidLiteral)], ['phone number', phone], ['inline phone number', inlinePhone], ['email address', email],
    ['answer', answer], ['inline answer', 'inline secret answer'], ['API token', token], ['session key', sessionKey],
    ['session cookie', [...ada.cookies.values()][0]!],
  ])
})

await t.test('the demo at debug level: sign-in, MFA and enrollment log no secret', async (t) => {
  const logs = logSink()
  const app = await startE2eApp(t, { logger: { level: 'trace', stream: logs.stream } })
  const secret = app.demo!.totpUser.sharedSecret
  const bob = app.jar()
  t.equal((await passwordLogin(bob, 'bob')).location, '/mfa')
  await bob.fetch(`/login?username=bob&password=${PASSWORD}`, { form: { username: '', password: '', _csrf: csrfOf((await bob.fetch('/login')).text) } })
  const page = await bob.fetch('/mfa', { headers: { accept: 'text/html' } })
  const code = totp(secret, app.clock.now())
  t.equal((await bob.fetch('/mfa', { form: { passCode: code, _csrf: csrfOf(page.text) } })).location, '/account')
  const phone = '+15555550199'
  await bob.fetch('/graphql', { json: { query: 'mutation S($p: EnrollFactorInput!) { enrollFactor(input: $p) { factor { id } } }', variables: { p: { factorType: 'SMS', phoneNumber: phone } } } })
  const alice = app.jar()
  await passwordLogin(alice, 'alice')
  const enrolled = await alice.fetch('/graphql', { json: { query: 'mutation { enrollFactor(input: { factorType: TOTP }) { factor { id } activation { sharedSecret } } }' } })
  const aliceSecret = enrolled.json().data.enrollFactor.activation.sharedSecret as string
  const aliceCode = totp(aliceSecret, app.clock.now())
  await alice.fetch('/graphql', { json: { query: 'mutation A($i: ID!, $k: String!) { activateFactor(factorId: $i, passCode: $k) { status } }', variables: { i: enrolled.json().data.enrollFactor.factor.id, k: aliceCode } } })

  noneIn(t, logs.text(), [
    ['password', PASSWORD], ['TOTP secret', secret], ['passcode', codePattern(code)], ['phone number', phone],
    ['enrolled secret', aliceSecret], ['activation code', codePattern(aliceCode)], ['API token', app.emulator!.token],
    ['session cookie', [...bob.cookies.values()][0]!], ["alice's session cookie", [...alice.cookies.values()][0]!],
  ])
})

await t.test('the standalone gateway at LOG_LEVEL=trace: a malformed request is answered, logged without its bytes, and the server lives on', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com' }] })
  const logs = logSink()
  const gw = await startGatewayApp(t, emu, { logStream: logs.stream, env: { LOG_LEVEL: 'trace' } })
  const secret = `pc-${randomBytes(8).toString('hex')}`
  // A request line Node cannot parse, carrying a would-be secret; then a Cookie header over Node's header limit.
  t.match(await rawExchange(gw.url, `GARBAGE ${secret}\r\n\r\n`), /^HTTP\/1\.1 400/)
  t.match(await rawExchange(gw.url, `GET /healthz HTTP/1.1\r\nHost: x\r\nCookie: session=${secret}${'a'.repeat(20_000)}\r\n\r\n`), /^HTTP\/1\.1 431/)
  // Each client error was logged (pino threw on its raw bytes before, which ended the process).
  t.match(logs.text(), /"HPE_INVALID_METHOD"/)
  t.match(logs.text(), /"HPE_HEADER_OVERFLOW"/)
  t.equal((await fetch(`${gw.url}/healthz`)).status, 200, 'the server still answers')
  t.notOk(logs.text().includes(secret), 'no byte of the raw request in any log line')
})

await t.test('gatewayLoggerOptions: binary values never reach the redaction (it throws on them), whatever holds them', async (t) => {
  const logs = logSink()
  const app = Fastify({ logger: gatewayLoggerOptions({ level: 'info', stream: logs.stream }) })
  t.teardown(() => app.close())
  const secret = `raw-${randomBytes(6).toString('hex')}`
  const bytes = Buffer.from(`GET /?passCode=${secret}`)
  class Holder { constructor (readonly body: Buffer) {} }
  const aggregate = new AggregateError([Object.assign(new Error('inner'), { rawPacket: bytes })], 'several')
  const entries: Array<[string, Record<string, unknown>]> = [
    ['top level', { body: bytes }],
    ['nested', { a: { b: { c: new Uint8Array(8) } } }],
    ['in an array', { parts: [bytes, 'x'] }],
    ['an error under another key', { error: Object.assign(new Error('boom'), { rawPacket: bytes, payload: bytes }) }],
    ['an error with an error field', { err: Object.assign(new Error('outer'), { inner: Object.assign(new Error('inner'), { data: bytes }) }) }],
    ['an AggregateError', { err: aggregate }],
    ['a class instance holding a Buffer', { holder: new Holder(bytes) }],
    // ioredis: a refused AUTH carries the password among its command's arguments.
    ['a Redis error', { err: Object.assign(new Error('WRONGPASS invalid username-password pair'), { command: { name: 'hello', args: ['3', 'AUTH', 'default', secret] } }) }],
    // A server without AUTH (renamed) quotes its arguments in the reply: the message, and so the stack, holds the password.
    ['a Redis reply quoting the password', { err: new ReplyError(`ERR unknown command 'auth', with args beginning with: '${secret}' `) }],
  ]
  for (const [what, entry] of entries) t.doesNotThrow(() => { app.log.error(entry, what) }, what)
  const lines = logs.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  t.equal(lines.length, entries.length, 'one line per entry')
  t.match(lines[0], { body: `[Buffer of ${bytes.length} bytes]`, msg: 'top level' })
  t.match(lines[1], { a: { b: { c: '[Uint8Array of 8 bytes]' } } })
  t.match(lines[3], { error: { type: 'Error', message: 'boom', payload: `[Buffer of ${bytes.length} bytes]` } })
  t.notOk('rawPacket' in (lines[3]!.error as object), "Node's rawPacket is dropped")
  t.match(lines[4], { err: { message: 'outer', inner: { type: 'Error', message: 'inner' } } })
  t.match(lines[5], { err: { type: 'AggregateError', aggregateErrors: [{ message: 'inner' }] } })
  t.match(lines[6], { logError: /could not be redacted/, msg: 'a class instance holding a Buffer' }, 'what cannot be redacted is dropped, not written')
  t.match(lines[7], { err: { message: /WRONGPASS/, command: { name: 'hello' } } })
  t.notOk('args' in ((lines[7]!.err as { command: object }).command), 'a Redis command keeps its name only')
  t.match(lines[8], { err: { type: 'ReplyError', message: "ERR unknown command 'auth', with args beginning with: (not shown)", stack: /^ReplyError: ERR unknown command 'auth', with args beginning with: \(not shown\)\n/ } })
  t.notOk(logs.text().includes(secret), 'no byte of any Buffer, and no Redis password, in the output')
})

await t.test('a request target in absolute form (http://user:pass@host/path): no user info or query in any log line, nor in the answers of the standalone gateway and the demo', async (t) => {
  const targets = (n: number): string[] => [
    `http://ada:SECRET-PW-${n}a@gw.example/nowhere?token=SECRET-Q-${n}a`,
    `HTTPS://SECRET-USER-${n}b@gw.example`,
    `http://a%40b:SECRET-PW-${n}c@gw.example:8080/x@y`,
    `http://ada:SECRET-PW-${n}d@gw.example/graphql`,
  ]
  const send = async (url: string, list: string[]): Promise<string> => {
    let answers = ''
    for (const target of list) {
      for (const method of ['GET', 'POST', 'PROPFIND']) {
        const answer = await rawExchange(url, `${method} ${target} HTTP/1.1\r\nHost: gw.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`)
        t.match(answer, /^HTTP\/1\.1 [2-5]\d\d /, `${method} ${target.replace(/SECRET-\w+/g, '…')}: answered`)
        answers += answer
      }
    }
    return answers
  }
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com' }] })

  // The standalone gateway, and the plugin in an app with gatewayLoggerOptions (Fastify's not-found line included).
  const gwLogs = logSink()
  const gw = await startGatewayApp(t, emu, { logStream: gwLogs.stream, env: { LOG_LEVEL: 'trace' } })
  const gwAnswers = await send(gw.url, targets(1))
  t.notMatch(gwAnswers, /SECRET/, 'standalone: no answer repeats the user info or the query (its 404 message included)')
  t.match(gwAnswers, /"message":"Route GET:http:\/\/gw\.example\/nowhere not found"/, 'standalone: its 404 names the target as logged')
  const pluginLogs = logSink()
  const app = Fastify({ logger: gatewayLoggerOptions({ level: 'trace', stream: pluginLogs.stream }) })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  await send(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, targets(2))
  for (const [what, text] of [['standalone', gwLogs.text()], ['plugin', pluginLogs.text()]] as const) {
    t.notMatch(text, /SECRET/, `${what}: neither the user info nor the query is logged`)
    t.match(text, /"url":"http:\/\/gw\.example\/nowhere"/, `${what}: the request line keeps the scheme, host and path`)
    t.match(text, /"url":"HTTPS:\/\/gw\.example"/, `${what}: a target with no path`)
    t.match(text, /"url":"http:\/\/gw\.example:8080\/x@y"/, `${what}: an "@" in the path is no user info`)
  }
  t.match(pluginLogs.text(), /"msg":"Route PROPFIND:http:\/\/gw\.example\/nowhere not found"/, "Fastify's not-found line, as every logged URL")

  // The demo: its request line logs the path only.
  const demoLogs = logSink()
  const demo = await startE2eApp(t, { logger: { level: 'trace', stream: demoLogs.stream } })
  t.notMatch(await send(demo.url, targets(3)), /SECRET/, 'demo: no answer repeats the user info or the query')
  t.notMatch(demoLogs.text(), /SECRET|gw\.example\//, 'demo: neither the user info, the host nor the query is logged')
  t.match(demoLogs.text(), /"url":"\/nowhere"/, 'demo: the path is')
  t.match(demoLogs.text(), /"url":"\/"/, 'demo: a target with no path logs "/"')
})

// Guards every failure branch of the transport: timeouts, refused and reset connections, 5xx HTML, bad JSON,
// missing Content-Type, oversized bodies, redirects, 2xx of the wrong shape, 429 waits (GET) and no waits
// (verify, activate, POST), aborts, and each Okta error code mapped to its class.
import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { getEventListeners } from 'node:events'
import { createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { inspect } from 'node:util'
import {
  AbortedError, AuthenticationError, ConnectionError, InvalidPasscodeError, InvalidResponseError, MAX_BODY_BYTES,
  NotFoundError, OktaApiError, OktaClientError, PasscodeReplayedError, RateLimitedError, TimeoutError, UserLockedError,
  ValidationError, createOktaClient, isOktaClientError,
} from '@okta-mfa/client'
import type { Dispatcher } from 'undici'
import { TOKEN, jsonHeaders, mockOrg, oktaErrorBody } from '../helpers/client-mock.js'
import { listenLoopback } from '../helpers/http.js'

const USER_PATH = '/api/v1/users/00u1'
const USER = { id: '00u1', status: 'ACTIVE', profile: { login: 'a@example.com', email: 'a@example.com' } }
const VERIFY_PATH = '/api/v1/users/00u1/factors/ost1/verify'

void t.test('timeout: a slow answer rejects with OKTA_TIMEOUT', async (t) => {
  const { agent, pool, client } = mockOrg(t, { timeoutMs: 50 })
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, USER, { headers: jsonHeaders() }).delay(300)
  const err = await client.getUser('00u1').catch((e: unknown) => e)
  t.ok(err instanceof TimeoutError)
  t.match(err, { code: 'OKTA_TIMEOUT', timeoutMs: 50, message: /within 50 ms/ })
  t.match(JSON.parse(JSON.stringify(err)), { name: 'TimeoutError', code: 'OKTA_TIMEOUT', timeoutMs: 50 }, 'toJSON keeps timeoutMs')
  agent.assertNoPendingInterceptors()
})

void t.test('connection reset and refused (mocked) reject with OKTA_CONNECTION and the cause', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
  pool.intercept({ path: USER_PATH, method: 'GET' }).replyWithError(reset)
  pool.intercept({ path: VERIFY_PATH, method: 'POST' }).replyWithError(refused)
  const e1 = await client.getUser('00u1').catch((e: unknown) => e)
  t.ok(e1 instanceof ConnectionError)
  t.match(e1, { code: 'OKTA_CONNECTION', causeCode: 'ECONNRESET' })
  t.match(JSON.parse(JSON.stringify(e1)), { name: 'ConnectionError', code: 'OKTA_CONNECTION', causeCode: 'ECONNRESET' }, 'toJSON keeps causeCode')
  t.match((e1 as Error).cause, { name: 'Error', code: 'ECONNRESET' }, 'the cause keeps the name and code (not the message: see secrets.test.ts)')
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '123456' }), { code: 'OKTA_CONNECTION', causeCode: 'ECONNREFUSED' })
  agent.assertNoPendingInterceptors()
})

void t.test('a real refused port and a real socket closed mid-request map to OKTA_CONNECTION', async (t) => {
  // A port that was just free: nothing listens on it.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const freePort = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const refused = createOktaClient({ orgUrl: `http://127.0.0.1:${freePort}`, token: TOKEN, allowInsecureHttp: true })
  t.teardown(() => refused.close())
  await t.rejects(refused.getUser('00u1'), { code: 'OKTA_CONNECTION', causeCode: 'ECONNREFUSED' })

  // A server that accepts and hangs up at once.
  const rude = createServer((socket) => { socket.destroy() })
  await new Promise<void>((resolve) => rude.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => rude.close(() => resolve())))
  const port = (rude.address() as AddressInfo).port
  const client = createOktaClient({ orgUrl: `http://127.0.0.1:${port}`, token: TOKEN, allowInsecureHttp: true })
  t.teardown(() => client.close())
  const err = await client.getUser('00u1').catch((e: unknown) => e)
  t.ok(err instanceof ConnectionError)
  t.match(err, { code: 'OKTA_CONNECTION', causeCode: /^(UND_ERR_SOCKET|ECONNRESET)$/ })
})

/** A private key for an OAuth client whose token endpoint answers garbage (no request ever succeeds). */
const OAUTH_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

void t.test('a real server that answers what undici cannot read (headers over its limit, bytes that are no HTTP): OKTA_INVALID_RESPONSE, not unreachable', async (t) => {
  const answers: Record<string, string> = {
    'a Link header of 1600 entries': 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nLink: ' +
      Array.from({ length: 1600 }, (_, i) => `<https://o/api/v1/users?after=${i}>; rel="next"`).join(', ') + '\r\n\r\n{}',
    'one header of 60 KB': `HTTP/1.1 500 Internal Server Error\r\nX-Okta-Request-Id: ${'r'.repeat(60_000)}\r\nContent-Length: 0\r\n\r\n`,
    'bytes that are no HTTP': 'SSH-2.0-OpenSSH_9.6\r\n\r\n',
    'a header line that is no header': 'HTTP/1.1 200 OK\r\nContent-Type application/json\r\n\r\n{}',
  }
  for (const [what, raw] of Object.entries(answers)) {
    const server = createServer((socket) => {
      socket.once('data', () => { socket.end(raw) })
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const orgUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const client = createOktaClient({ orgUrl, token: TOKEN, allowInsecureHttp: true })
    const err = await client.getUser('00u1').catch((e: unknown) => e)
    await client.close()
    // The same answer from the OAuth token endpoint (the first request of an OAuth client): it answered, it was not
    // out of reach.
    const oauth = createOktaClient({ orgUrl, allowInsecureHttp: true, auth: { clientId: '0oa-raw', privateKey: OAUTH_KEY, scopes: ['okta.users.read'] } })
    const tokenErr = await oauth.getUser('00u1').catch((e: unknown) => e)
    await oauth.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    t.ok(err instanceof InvalidResponseError, `${what}: InvalidResponseError`)
    t.match(err, { code: 'OKTA_INVALID_RESPONSE', message: /^Okta's answer could not be read as HTTP \((UND_ERR_[A-Z_]+|HPE_[A-Z_]+|HTTPParserError)\)$/ }, `${what}: ${String((err as Error).message)}`)
    t.notMatch(JSON.stringify(err) + String(err), TOKEN, `${what}: no token`)
    t.match(tokenErr, { code: 'OKTA_INVALID_RESPONSE', tokenRequest: true, message: /^Okta's token endpoint's answer could not be read as HTTP \((UND_ERR_[A-Z_]+|HPE_[A-Z_]+|HTTPParserError)\)$/ }, `${what}, from the token endpoint: ${String((tokenErr as Error).message)}`)
  }
})

void void t.test('a real server that never answers times out; undici timeout and closed codes map too', async (t) => {
  const silent = createServer(() => { /* accept, never answer */ })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  const sockets = new Set<import('node:net').Socket>()
  silent.on('connection', (s) => { sockets.add(s) })
  t.teardown(() => new Promise<void>((resolve) => {
    for (const s of sockets) s.destroy()
    silent.close(() => resolve())
  }))
  const port = (silent.address() as AddressInfo).port
  const client = createOktaClient({ orgUrl: `http://127.0.0.1:${port}`, token: TOKEN, allowInsecureHttp: true, timeoutMs: 100 })
  t.teardown(() => client.close())
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '123456' }), { code: 'OKTA_TIMEOUT', timeoutMs: 100 })

  const { agent, pool, client: mocked } = mockOrg(t, { timeoutMs: 1000 })
  for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED', 'ENOTFOUND']) {
    pool.intercept({ path: USER_PATH, method: 'GET' }).replyWithError(Object.assign(new Error(code), { code }))
  }
  for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']) {
    await t.rejects(mocked.getUser('00u1'), { code: 'OKTA_TIMEOUT', timeoutMs: 1000 }, code)
  }
  await t.rejects(mocked.getUser('00u1'), { code: 'OKTA_CONNECTION', causeCode: 'UND_ERR_CLOSED', message: /dispatcher is closed/ })
  await t.rejects(mocked.getUser('00u1'), { code: 'OKTA_CONNECTION', causeCode: 'ENOTFOUND' })
  agent.assertNoPendingInterceptors()
})

void t.test('timeoutMs bounds the whole request: a body that trickles in (each chunk well within timeoutMs) still times out', async (t) => {
  // undici's headersTimeout/bodyTimeout alone restart at every chunk; the client's own timer must not.
  const timers = new Set<NodeJS.Timeout>()
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-okta-request-id': 'trickle' })
    res.write('{"id":"00u1","profile":{"login":"')
    const timer = setInterval(() => { res.write('a') }, 20)
    timers.add(timer)
    res.on('close', () => { clearInterval(timer) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => {
    for (const timer of timers) clearInterval(timer)
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  const port = (server.address() as AddressInfo).port
  const client = createOktaClient({ orgUrl: `http://127.0.0.1:${port}`, token: TOKEN, allowInsecureHttp: true, timeoutMs: 200 })
  t.teardown(() => client.close())
  const err = await client.getUser('00u1').then(() => undefined, (e: unknown) => e)
  t.match(err, { code: 'OKTA_TIMEOUT', timeoutMs: 200 })
  t.notMatch(String((err as Error).stack), TOKEN)
})


void t.test('a real chunked body past the cap is cut off: the socket is closed early and the next call still works', async (t) => {
  let closedAfter = -1
  let calls = 0
  const server = createHttpServer((_req, res) => {
    calls++
    if (calls > 1) {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(USER))
      return
    }
    // No Content-Length: only the bytes read can trip the cap. Sends up to 8 MiB unless the client hangs up.
    res.writeHead(200, { 'content-type': 'application/json', 'x-okta-request-id': 'huge' })
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    let sent = 0
    const pump = (): void => {
      while (sent < 8 * MAX_BODY_BYTES && !res.destroyed) {
        sent += chunk.length
        if (!res.write(chunk)) { res.once('drain', pump); return }
      }
      res.end()
    }
    res.on('close', () => { closedAfter = sent })
    pump()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  const port = (server.address() as AddressInfo).port
  const client = createOktaClient({ orgUrl: `http://127.0.0.1:${port}`, token: TOKEN, allowInsecureHttp: true })
  t.teardown(() => client.close())
  const err = await client.getUser('00u1').then(() => undefined, (e: unknown) => e)
  t.match(err, { code: 'OKTA_INVALID_RESPONSE', message: /larger than 1048576 bytes/, requestId: 'huge' })
  await t.resolveMatch(client.getUser('00u1'), { id: '00u1' }, 'the client works after the cut')
  t.ok(closedAfter > 0 && closedAfter < 8 * MAX_BODY_BYTES, `the server saw the connection closed early (after ${closedAfter} bytes)`)
})
void t.test('5xx: an HTML page is an invalid response, an Okta JSON error is an OktaApiError', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  pool.intercept({ path: USER_PATH, method: 'GET' })
    .reply(502, '<html><body>Bad Gateway</body></html>', { headers: { 'content-type': 'text/html', 'x-okta-request-id': 'r502' } })
  pool.intercept({ path: USER_PATH, method: 'GET' })
    .reply(500, oktaErrorBody('E0000009', 'Internal Server Error'), { headers: jsonHeaders('r500') })
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(503, '{"not":"okta"}', { headers: jsonHeaders() })
  const html = await client.getUser('00u1').catch((e: unknown) => e)
  t.ok(html instanceof InvalidResponseError)
  t.match(html, { code: 'OKTA_INVALID_RESPONSE', status: 502, requestId: 'r502' })
  t.match(JSON.parse(JSON.stringify(html)), { name: 'InvalidResponseError', code: 'OKTA_INVALID_RESPONSE', status: 502, requestId: 'r502' }, 'toJSON keeps the status')
  const api = await client.getUser('00u1').catch((e: unknown) => e)
  t.ok(api instanceof OktaApiError)
  t.match(api, { code: 'OKTA_API_ERROR', status: 500, errorCode: 'E0000009', requestId: 'r500' })
  await t.rejects(client.getUser('00u1'), { code: 'OKTA_INVALID_RESPONSE', status: 503 })
  // 500 is a 5xx too: a bare error page (a proxy's, a crashed backend's) is Okta unavailable, not an Okta error.
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(500, 'Internal Server Error', { headers: { 'content-type': 'text/plain' } })
  await t.rejects(client.getUser('00u1'), { code: 'OKTA_INVALID_RESPONSE', status: 500 }, 'a 500 without an Okta body')
  agent.assertNoPendingInterceptors()
})

void t.test('2xx bodies: invalid JSON, no Content-Type, not JSON, empty, wrong shape, too large', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, '{"id": "00u1", ', { headers: jsonHeaders() })
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, JSON.stringify(USER))
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, JSON.stringify(USER), { headers: { 'content-type': 'text/plain' } })
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, '', { headers: jsonHeaders() })
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, [USER], { headers: jsonHeaders() })
  pool.intercept({ path: '/api/v1/users/00u1/factors', method: 'GET' }).reply(200, { id: 'x' }, { headers: jsonHeaders() })
  pool.intercept({ path: '/api/v1/users/00u1/factors', method: 'GET' }).reply(200, [{ id: 'x' }], { headers: jsonHeaders() })
  pool.intercept({ path: VERIFY_PATH, method: 'POST' }).reply(200, { result: 'SUCCESS' }, { headers: jsonHeaders() })
  const huge = JSON.stringify({ ...USER, pad: 'x'.repeat(MAX_BODY_BYTES) })
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, huge, { headers: jsonHeaders() })
  pool.intercept({ path: USER_PATH, method: 'GET' })
    .reply(200, JSON.stringify(USER), { headers: { ...jsonHeaders(), 'content-length': String(50 * MAX_BODY_BYTES) } })

  const invalid = await client.getUser('00u1').catch((e: unknown) => e)
  t.match(invalid, { code: 'OKTA_INVALID_RESPONSE', message: /not valid JSON/, requestId: 'reqid-1' })
  t.match((invalid as Error).cause, { name: 'SyntaxError', message: /message not kept/ }, 'the parse error is the cause, without its quote of the body')
  await t.rejects(client.getUser('00u1'), { code: 'OKTA_INVALID_RESPONSE', message: /without a Content-Type/ })
  await t.rejects(client.getUser('00u1'), { code: 'OKTA_INVALID_RESPONSE', message: /text\/plain.*not JSON/ })
  await t.rejects(client.getUser('00u1'), { code: 'OKTA_INVALID_RESPONSE', message: /empty body/ })
  await t.rejects(client.getUser('00u1'), { code: 'OKTA_INVALID_RESPONSE', message: /not a user/ })
  await t.rejects(client.listFactors('00u1'), { code: 'OKTA_INVALID_RESPONSE', message: /not an array of factors/ })
  await t.rejects(client.listFactors('00u1'), { code: 'OKTA_INVALID_RESPONSE', message: /not an array of factors/ })
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '1' }), { code: 'OKTA_INVALID_RESPONSE', message: /not a verification result/ })
  await t.rejects(client.getUser('00u1'), { code: 'OKTA_INVALID_RESPONSE', message: /larger than 1048576 bytes/ })
  await t.rejects(client.getUser('00u1'), { code: 'OKTA_INVALID_RESPONSE', message: /larger than/ }, 'declared Content-Length over the cap')
  // A structured JSON type (application/…+json) is JSON too; a type that only starts with "json" is not.
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, JSON.stringify(USER), { headers: { ...jsonHeaders(), 'content-type': 'application/vnd.okta.v1+json; charset=UTF-8' } })
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, JSON.stringify(USER), { headers: { ...jsonHeaders(), 'content-type': 'application/jsonx' } })
  t.equal((await client.getUser('00u1')).id, '00u1', 'application/vnd.okta.v1+json is read')
  await t.rejects(client.getUser('00u1'), { code: 'OKTA_INVALID_RESPONSE', message: /not JSON/ }, 'application/jsonx is not JSON')
  agent.assertNoPendingInterceptors()
})

void t.test('a body that starts with a byte-order mark (RFC 8259 §8.1) is read as JSON: 2xx, an Okta error, the token endpoint', async (t) => {
  const bom = (v: unknown): Buffer => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(v))])
  const server = createHttpServer((req, res) => {
    const send = (status: number, body: unknown): void => { res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(bom(body)) }
    req.resume()
    req.on('end', () => {
      if (req.url === '/oauth2/v1/token') send(200, { token_type: 'Bearer', access_token: 'at-bom', expires_in: 3600, scope: 'okta.users.read' })
      else if (req.url === USER_PATH) send(200, USER)
      else if (req.url === VERIFY_PATH) send(403, oktaErrorBody('E0000068', 'Invalid Passcode/Answer', ['Your passcode doesn\'t match our records. Please try again.']))
      else send(404, oktaErrorBody('E0000007', 'Not found: Resource not found: x (User)'))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const orgUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const ssws = createOktaClient({ orgUrl, token: TOKEN, allowInsecureHttp: true })
  t.teardown(() => ssws.close())
  t.same(await ssws.getUser('00u1'), USER)
  const wrong = await ssws.verifyFactor('00u1', 'ost1', { passCode: '123456' }).catch((e: unknown) => e)
  t.ok(wrong instanceof InvalidPasscodeError, 'the error body keeps its Okta code')
  t.match(wrong, { code: 'OKTA_INVALID_PASSCODE', errorCode: 'E0000068', status: 403 })
  await t.rejects(ssws.getUser('nobody'), { code: 'OKTA_NOT_FOUND', errorCode: 'E0000007' })

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const oauth = createOktaClient({ orgUrl, allowInsecureHttp: true, auth: { clientId: '0oa-bom', privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), scopes: ['okta.users.read'] } })
  t.teardown(() => oauth.close())
  t.same(await oauth.getUser('00u1'), USER, 'the token answer with a BOM gives a token')
})

void t.test('a redirect is not followed', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(302, '', { headers: { location: 'https://evil.example.com/steal' } })
  await t.rejects(client.getUser('00u1'), { code: 'OKTA_INVALID_RESPONSE', status: 302, message: /redirects are not followed/ })
  agent.assertNoPendingInterceptors() // and net connect is disabled: a followed redirect would have failed differently
})

void t.test('void operations accept 204, {} and an empty 200', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  pool.intercept({ path: '/api/v1/users/00u1/factors/ost1', method: 'DELETE' }).reply(204, '')
  pool.intercept({ path: '/api/v1/users/00u1/lifecycle/reset_factors', method: 'POST' }).reply(200, {}, { headers: jsonHeaders() })
  pool.intercept({ path: '/api/v1/users/00u1/lifecycle/unlock', method: 'POST' }).reply(200, '')
  pool.intercept({ path: '/api/v1/users/00u1/lifecycle/deactivate', method: 'POST' }).reply(200, {}, { headers: jsonHeaders() })
  pool.intercept({ path: '/api/v1/users/00u1', method: 'DELETE' }).reply(204, '')
  t.equal(await client.deleteFactor('00u1', 'ost1'), undefined)
  t.equal(await client.resetFactors('00u1'), undefined)
  t.equal(await client.unlockUser('00u1'), undefined)
  t.equal(await client.deactivateUser('00u1'), undefined)
  t.equal(await client.deleteUser('00u1'), undefined)
  agent.assertNoPendingInterceptors()
})

void t.test('void operations refuse a 2xx labelled JSON whose body is not JSON (a proxy\'s page, a cut-off body)', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const calls: Array<[string, string, string, (c: typeof client) => Promise<unknown>]> = [
    ['deleteUser', '/api/v1/users/00u1', 'DELETE', (c) => c.deleteUser('00u1')],
    ['resetFactors', '/api/v1/users/00u1/lifecycle/reset_factors', 'POST', (c) => c.resetFactors('00u1')],
    ['deleteFactor', '/api/v1/users/00u1/factors/ost1', 'DELETE', (c) => c.deleteFactor('00u1', 'ost1')],
  ]
  for (const [name, path, method, call] of calls) {
    for (const body of ['<html>proxy</html>', '{"errorCode":']) {
      pool.intercept({ path, method }).reply(200, body, { headers: jsonHeaders() })
      await t.rejects(call(client), { code: 'OKTA_INVALID_RESPONSE', status: 200, message: 'Okta answered HTTP 200 with a body that is not valid JSON' }, `${name}: ${body}`)
    }
  }
  agent.assertNoPendingInterceptors()
})

function rateLimited (reset: number | undefined, date: Date | undefined, code = 'E0000047'): {
  statusCode: number, data: string, responseOptions: { headers: Record<string, string> }
} {
  const headers: Record<string, string> = { ...jsonHeaders('r429'), 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0' }
  if (reset !== undefined) headers['x-rate-limit-reset'] = String(reset)
  if (date !== undefined) headers['date'] = date.toUTCString()
  return {
    statusCode: 429,
    data: JSON.stringify(oktaErrorBody(code, 'API call exceeded rate limit due to too many requests.')),
    responseOptions: { headers },
  }
}

void t.test('429 on a GET: waits for X-Rate-Limit-Reset (relative to Date) and retries', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  let calls = 0
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => {
    calls++
    const now = new Date()
    return rateLimited(Math.floor(now.getTime() / 1000) + 1, now)
  })
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => {
    calls++
    return { statusCode: 200, data: JSON.stringify(USER), responseOptions: { headers: jsonHeaders('r200') } }
  })
  const user = await client.getUser('00u1')
  t.equal(user.id, '00u1')
  t.equal(user.oktaRequestId, 'r200')
  t.equal(calls, 2, 'one retry after the reset')
  agent.assertNoPendingInterceptors()
})

void t.test('429 on a GET: no reset header, a reset beyond the budget, or a zero budget -> RateLimitedError at once', async (t) => {
  const { agent, pool, client } = mockOrg(t, { rateLimitMaxWaitMs: 2000 })
  // Reset 60 s after the server's Date: beyond the 2 s budget. The Date is in the past on purpose:
  // retryAfterSeconds must be measured against the server's clock, not ours.
  const serverDate = new Date('2024-01-01T00:00:00Z')
  const reset = Math.floor(serverDate.getTime() / 1000) + 60
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => rateLimited(reset, serverDate))
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => rateLimited(undefined, new Date()))
  const err = await client.getUser('00u1').catch((e: unknown) => e)
  t.ok(err instanceof RateLimitedError)
  t.match(err, { code: 'OKTA_RATE_LIMITED', status: 429, errorCode: 'E0000047', retryAfterSeconds: 60, requestId: 'r429' })
  t.equal((err as RateLimitedError).resetAt?.getTime(), reset * 1000)
  t.match(JSON.parse(JSON.stringify(err)), { code: 'OKTA_RATE_LIMITED', status: 429, resetAt: new Date(reset * 1000).toISOString(), retryAfterSeconds: 60 }, 'a logged error (toJSON) keeps the reset')
  const noReset = await client.getUser('00u1').catch((e: unknown) => e)
  t.match(noReset, { code: 'OKTA_RATE_LIMITED', resetAt: undefined, retryAfterSeconds: undefined })
  agent.assertNoPendingInterceptors()

  const zero = mockOrg(t, { rateLimitMaxWaitMs: 0 })
  zero.pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => rateLimited(Math.floor(Date.now() / 1000), new Date()))
  await t.rejects(zero.client.getUser('00u1'), { code: 'OKTA_RATE_LIMITED' }, 'rateLimitMaxWaitMs: 0 never retries')
  zero.agent.assertNoPendingInterceptors()
})

void t.test('429 on a GET: rateLimitMaxWaitMs bounds the total of the waits, a wait of exactly the budget included', async (t) => {
  // The server's Date is fixed and the reset one second after it: every wait is exactly 1000 ms, whatever our clock.
  const serverDate = new Date('2024-01-01T00:00:00Z')
  const oneSecond = (): ReturnType<typeof rateLimited> => rateLimited(Math.floor(serverDate.getTime() / 1000) + 1, serverDate)
  const exact = mockOrg(t, { rateLimitMaxWaitMs: 1000 })
  exact.pool.intercept({ path: USER_PATH, method: 'GET' }).reply(oneSecond)
  exact.pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, USER, { headers: jsonHeaders() })
  t.equal((await exact.client.getUser('00u1')).id, '00u1', 'a wait of exactly rateLimitMaxWaitMs is within it')
  exact.agent.assertNoPendingInterceptors()

  // 1500 ms: the first wait (1000) fits, a second one would make 2000 in all: the second 429 rejects at once.
  const total = mockOrg(t, { rateLimitMaxWaitMs: 1500 })
  let calls = 0
  total.pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => { calls++; return oneSecond() }).times(2)
  total.pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => { calls++; return { statusCode: 200, data: JSON.stringify(USER), responseOptions: { headers: jsonHeaders() } } })
  await t.rejects(total.client.getUser('00u1'), { code: 'OKTA_RATE_LIMITED', retryAfterSeconds: 1 })
  t.equal(calls, 2, 'one retry: the budget is for all the waits of a call, not each')
})

void t.test('429 without X-Rate-Limit-Reset but with Retry-After (a proxy): a GET waits that long', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  pool.intercept({ path: USER_PATH, method: 'GET' })
    .reply(429, oktaErrorBody('E0000047', 'rate'), { headers: { ...jsonHeaders(), 'retry-after': '0' } })
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, USER, { headers: jsonHeaders() })
  t.equal((await client.getUser('00u1')).id, '00u1')
  pool.intercept({ path: VERIFY_PATH, method: 'POST' })
    .reply(429, oktaErrorBody('E0000047', 'rate'), { headers: { ...jsonHeaders(), 'retry-after': '7' } })
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '1' }), { code: 'OKTA_RATE_LIMITED', retryAfterSeconds: 7 })
  agent.assertNoPendingInterceptors()
})

void t.test('a 429 is OKTA_RATE_LIMITED whatever its body: a proxy page, an Okta code of another class, none', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  pool.intercept({ path: VERIFY_PATH, method: 'POST' })
    .reply(429, '<html>Too Many Requests</html>', { headers: { 'content-type': 'text/html', 'retry-after': '7' } })
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '123456' }), { code: 'OKTA_RATE_LIMITED', status: 429, retryAfterSeconds: 7 }, 'a proxy HTML page')
  pool.intercept({ path: VERIFY_PATH, method: 'POST' })
    .reply(429, oktaErrorBody('E0000068', 'odd'), { headers: { ...jsonHeaders(), 'retry-after': '3' } })
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '123456' }), { code: 'OKTA_RATE_LIMITED', status: 429, retryAfterSeconds: 3 }, 'an Okta code of another class')
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(429, '', { headers: { 'retry-after': '0' } })
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, USER, { headers: jsonHeaders() })
  t.equal((await client.getUser('00u1')).id, '00u1', 'a GET waits out a bodiless 429 and retries')
  agent.assertNoPendingInterceptors()
})

void t.test('Retry-After as an HTTP-date (RFC 9110): read against Date; a past date is no wait; an unreadable one is absent', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const retryAfter = (value: string, date: Date): { statusCode: number, data: string, responseOptions: { headers: Record<string, string> } } => ({
    statusCode: 429,
    data: JSON.stringify(oktaErrorBody('E0000047', 'rate')),
    responseOptions: { headers: { ...jsonHeaders(), date: date.toUTCString(), 'retry-after': value } },
  })
  // The server's clock is a year behind ours: the wait is the 7 s between its Date and its Retry-After.
  const serverNow = new Date(Date.now() - 365 * 86_400_000)
  serverNow.setUTCMilliseconds(0)
  pool.intercept({ path: VERIFY_PATH, method: 'POST' }).reply(() => retryAfter(new Date(serverNow.getTime() + 7_000).toUTCString(), serverNow))
  const dated = await client.verifyFactor('00u1', 'ost1', { passCode: '1' }).catch((e: unknown) => e)
  t.match(dated, { code: 'OKTA_RATE_LIMITED', retryAfterSeconds: 7 }, 'IMF-fixdate')
  t.ok(Math.abs((dated as RateLimitedError).resetAt!.getTime() - Date.now() - 7_000) < 2_000, 'resetAt on our clock')
  pool.intercept({ path: VERIFY_PATH, method: 'POST' }).reply(() => retryAfter('Sunday, 06-Nov-94 08:49:37 GMT', new Date('1994-11-06T08:49:30Z')))
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '1' }), { code: 'OKTA_RATE_LIMITED', retryAfterSeconds: 7 }, 'the obsolete RFC 850 form')
  pool.intercept({ path: VERIFY_PATH, method: 'POST' }).reply(() => retryAfter('Sun Nov  6 08:49:37 1994', new Date('1994-11-06T08:49:30Z')))
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '1' }), { code: 'OKTA_RATE_LIMITED', retryAfterSeconds: 7 }, 'the asctime form, in GMT')

  // A date already past: no wait, so a GET retries at once.
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => retryAfter('Sun, 06 Nov 1994 08:49:37 GMT', new Date()))
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, USER, { headers: jsonHeaders() })
  t.equal((await client.getUser('00u1')).id, '00u1', 'a GET retried after a past date')
  pool.intercept({ path: VERIFY_PATH, method: 'POST' }).reply(() => retryAfter('Sun, 06 Nov 1994 08:49:37 GMT', new Date()))
  const past = await client.verifyFactor('00u1', 'ost1', { passCode: '1' }).catch((e: unknown) => e)
  t.match(past, { code: 'OKTA_RATE_LIMITED', retryAfterSeconds: 0 }, 'a past date: retry now, not a negative wait')
  t.ok(Math.abs((past as RateLimitedError).resetAt!.getTime() - Date.now()) < 2_000, 'resetAt is now, not in 1994')

  for (const value of ['soon', '2030-01-01T00:00:00Z', 'Sun, 31 Feb 2030 08:49:37 GMT', '-5']) {
    pool.intercept({ path: VERIFY_PATH, method: 'POST' }).reply(() => retryAfter(value, new Date()))
    await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '1' }), { code: 'OKTA_RATE_LIMITED', resetAt: undefined, retryAfterSeconds: undefined }, `${value}: absent`)
  }
  agent.assertNoPendingInterceptors()
})

void t.test('a real server\'s 429 with X-Rate-Limit-Reset and Retry-After values that are no time: read as absent, one request, no wait', async (t) => {
  // Each value is no epoch second (X-Rate-Limit-Reset) or delta second (Retry-After): an exponent, a sign, a fraction,
  // hex, 400 digits (Infinity as a Number), a kilobyte of digits, text, an empty value. None may make the client wait,
  // retry, or give a reset of Infinity or NaN (an Invalid Date in resetAt).
  const odd = ['1e3', '-5', '+5', '1.5', '0x10', '9'.repeat(400), '1'.repeat(1024), 'soon', '', '1 2', 'Infinity', 'NaN']
  const cases = [...odd.map((v) => ({ 'x-rate-limit-reset': v })), ...odd.map((v) => ({ 'retry-after': v })),
    ...odd.map((v) => ({ 'x-rate-limit-reset': v, 'retry-after': v }))]
  let current: Record<string, string> = {}
  let requests = 0
  const orgUrl = await listenLoopback(t, createHttpServer((_req, res) => {
    requests++
    res.writeHead(429, { 'content-type': 'application/json', 'x-okta-request-id': 'r429', ...current })
    res.end(JSON.stringify(oktaErrorBody('E0000047', 'API call exceeded rate limit due to too many requests.')))
  }))
  const client = createOktaClient({ orgUrl, token: TOKEN, allowInsecureHttp: true, rateLimitMaxWaitMs: 60_000 })
  t.teardown(() => client.close())
  for (const headers of cases) {
    current = headers
    requests = 0
    const err = await client.getUser('00u1').catch((e: unknown) => e)
    const what = JSON.stringify(headers).slice(0, 80)
    t.ok(err instanceof RateLimitedError, `${what}: RateLimitedError`)
    t.match(err, { code: 'OKTA_RATE_LIMITED', status: 429, errorCode: 'E0000047', resetAt: undefined, retryAfterSeconds: undefined }, `${what}: no reset`)
    t.equal(requests, 1, `${what}: not retried`)
    t.doesNotThrow(() => JSON.stringify(err), `${what}: loggable`)
  }
})

void t.test('a bad signal or a dispatch() that throws: the call rejects, and nothing rejects later (no timer, no dropped promise)', async (t) => {
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => { process.off('unhandledRejection', onUnhandled) })

  const { agent, client } = mockOrg(t, { timeoutMs: 50 })
  const ac = new AbortController()
  for (const signal of [ac, {}, { aborted: false, addEventListener: 1 }]) {
    await t.rejects(client.getUser('00u1', { signal: signal as unknown as AbortSignal }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"signal" option must be an AbortSignal/ })
  }
  await t.rejects(client.getUser('00u1', { signal: ac as unknown as AbortSignal, deadline: performance.now() + 50 }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION' }, 'with a deadline too')
  const list = (): unknown => client.listUsers({}, { signal: ac as unknown as AbortSignal })
  t.throws(list, { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"signal"/ }, 'listUsers at the call')
  agent.assertNoPendingInterceptors()

  const throwing = { dispatch (): never { throw new Error('boom') }, close: async () => {}, destroy: async () => {} }
  const wrapped = createOktaClient({ orgUrl: 'https://dev-1.okta.com', token: TOKEN, dispatcher: throwing as unknown as Dispatcher, timeoutMs: 50 })
  t.teardown(() => wrapped.close())
  await t.rejects(wrapped.getUser('00u1'), { code: 'OKTA_CONNECTION' })

  await new Promise((resolve) => setTimeout(resolve, 200)) // past every timeoutMs above
  t.same(unhandled, [], 'no unhandled rejection after the timeout would have fired')
})

void t.test('429 on a GET: retries are bounded even when the reset is always now', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  let calls = 0
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => {
    calls++
    const now = new Date()
    return rateLimited(Math.floor(now.getTime() / 1000), now)
  }).times(4)
  await t.rejects(client.getUser('00u1'), { code: 'OKTA_RATE_LIMITED' })
  t.equal(calls, 4, 'the first try and three retries')
  agent.assertNoPendingInterceptors()
  // waitOnRateLimit: false (a health check): one call, the 429 at once, whether the reset is now or a second away.
  for (const ahead of [0, 1]) {
    calls = 0
    pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => {
      calls++
      const now = new Date()
      return rateLimited(Math.floor(now.getTime() / 1000) + ahead, now)
    }).times(4)
    await t.rejects(client.getUser('00u1', { waitOnRateLimit: false }), { code: 'OKTA_RATE_LIMITED' }, `reset ${ahead} s ahead`)
    t.equal(calls, 1, `waitOnRateLimit: false, reset ${ahead} s ahead: one call`)
  }
  await t.rejects(client.getUser('00u1', { waitOnRateLimit: 'no' as never }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: '"waitOnRateLimit" option must be a boolean' })
})

void t.test('429 on verify, activate and POSTs: never waits, fails at once with the reset time', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const soon = (): ReturnType<typeof rateLimited> => {
    const now = new Date()
    return rateLimited(Math.floor(now.getTime() / 1000) + 1, now)
  }
  // One interceptor each: a retry would find none and fail with OKTA_CONNECTION instead.
  pool.intercept({ path: VERIFY_PATH, method: 'POST' }).reply(soon)
  pool.intercept({ path: '/api/v1/users/00u1/factors/ost1/lifecycle/activate', method: 'POST' }).reply(soon)
  pool.intercept({ path: '/api/v1/users/00u1/factors', method: 'POST' }).reply(soon)
  pool.intercept({ path: '/api/v1/users/00u1/factors/mbl1/resend', method: 'POST' })
    .reply(() => ({ ...soon(), data: JSON.stringify(oktaErrorBody('E0000109', 'An SMS message was recently sent.')) }))
  pool.intercept({ path: '/api/v1/users/00u1/factors/opf1/transactions/tx1', method: 'GET' }).reply(soon)

  const verify = await client.verifyFactor('00u1', 'ost1', { passCode: '123456' }).catch((e: unknown) => e)
  t.ok(verify instanceof RateLimitedError)
  t.match(verify, { code: 'OKTA_RATE_LIMITED', retryAfterSeconds: 1 })
  t.ok((verify as RateLimitedError).resetAt instanceof Date)
  await t.rejects(client.activateFactor('00u1', 'ost1', { passCode: '123456' }), { code: 'OKTA_RATE_LIMITED' })
  await t.rejects(client.enrollFactor('00u1', { factorType: 'token:software:totp', provider: 'GOOGLE' }), { code: 'OKTA_RATE_LIMITED' })
  await t.rejects(client.resendFactor('00u1', 'mbl1'), { code: 'OKTA_RATE_LIMITED', errorCode: 'E0000109' })
  await t.rejects(client.getFactorTransaction('00u1', 'opf1', 'tx1'), { code: 'OKTA_RATE_LIMITED' }, 'a push poll does not wait either')
  // A reset in the Date's own second, or already past by the server's clock: a second, never 0 (both headers are whole
  // seconds: the window may not have turned yet).
  const serverDate = new Date('2024-01-01T00:00:05Z')
  for (const ago of [5, 0]) {
    pool.intercept({ path: VERIFY_PATH, method: 'POST' }).reply(() => rateLimited(Math.floor(serverDate.getTime() / 1000) - ago, serverDate))
    await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '123456' }), { code: 'OKTA_RATE_LIMITED', retryAfterSeconds: 1 }, `a reset ${ago} s before Date: retry after a second`)
  }
  // Date is an HTTP-date, GMT in each of its three forms (RFC 9110 §5.6.7), whatever this process's time zone; a Date
  // that is none (`0`, an ISO date) is absent, and the reset is read against our clock.
  const zone = process.env['TZ']
  process.env['TZ'] = 'Asia/Tokyo'
  t.teardown(() => { if (zone === undefined) delete process.env['TZ']; else process.env['TZ'] = zone })
  const withDate = (reset: number, date: string): ReturnType<typeof rateLimited> => {
    const r = rateLimited(reset, undefined)
    r.responseOptions.headers['date'] = date
    return r
  }
  pool.intercept({ path: VERIFY_PATH, method: 'POST' }).reply(() => withDate(Math.floor(serverDate.getTime() / 1000) + 7, 'Mon Jan  1 00:00:05 2024'))
  await t.rejects(client.verifyFactor('00u1', 'ost1', { passCode: '123456' }), { code: 'OKTA_RATE_LIMITED', retryAfterSeconds: 7 }, 'an asctime Date, read as GMT in Tokyo too')
  for (const date of ['0', '2024-01-01T00:00:05Z']) {
    pool.intercept({ path: VERIFY_PATH, method: 'POST' }).reply(() => withDate(Math.floor(Date.now() / 1000) + 30, date))
    const err = await client.verifyFactor('00u1', 'ost1', { passCode: '123456' }).catch((e: unknown) => e) as RateLimitedError
    t.ok(err.retryAfterSeconds !== undefined && err.retryAfterSeconds >= 28 && err.retryAfterSeconds <= 30, `Date: ${date} is no HTTP-date: the reset read against our clock (${String(err.retryAfterSeconds)} s)`)
  }
  agent.assertNoPendingInterceptors()
})

void t.test('a call still queued for a connection gives up at its deadline, and is never sent', async (t) => {
  // One connection: the first call holds it (the server answers only when told); the second waits in the queue.
  const seen: string[] = []
  let release: (() => void) | undefined
  const server = createHttpServer((req, res) => {
    seen.push(String(req.headers['x-request-id']))
    const answer = (): void => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(USER)) }
    if (seen.length === 1) release = answer
    else answer()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  const { Agent } = await import('undici')
  const dispatcher = new Agent({ connections: 1 })
  t.teardown(() => dispatcher.close())
  const client = createOktaClient({ orgUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: TOKEN, allowInsecureHttp: true, dispatcher })
  const first = client.getUser('00u1', { requestId: 'first-call' })
  while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  // Awaited before the first call is released: a queued call that waited for the connection would never get here.
  const queued = await client.getUser('00u1', { requestId: 'queued-call', deadline: performance.now() + 100 }).then(() => undefined, (e: unknown) => e)
  t.match(queued, { code: 'OKTA_ABORTED' }, 'the queued call fails at its deadline')
  release!()
  t.match(await first, { id: '00u1' }, 'the call that held the connection completes')
  t.match(await client.getUser('00u1', { requestId: 'after' }), { id: '00u1' }, 'and the connection serves the next call')
  t.same(seen, ['first-call', 'after'], 'the abandoned call never reached the server')
})

void t.test('aborts: before the call, during the request, during a rate-limit wait', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  await t.rejects(client.getUser('00u1', { signal: AbortSignal.abort(new Error('gone')) }), AbortedError)

  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, USER, { headers: jsonHeaders() }).delay(500)
  const ac = new AbortController()
  const pending = client.getUser('00u1', { signal: ac.signal })
  setImmediate(() => { ac.abort(new Error('user went away')) })
  const err = await pending.catch((e: unknown) => e)
  t.match(err, { code: 'OKTA_ABORTED' })
  t.match((err as Error).cause, { message: 'user went away' })

  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => {
    const now = new Date()
    return rateLimited(Math.floor(now.getTime() / 1000) + 5, now)
  })
  const ac2 = new AbortController()
  const waiting = client.getUser('00u1', { signal: ac2.signal })
  setTimeout(() => { ac2.abort() }, 50)
  await t.rejects(waiting, { code: 'OKTA_ABORTED' })
  agent.assertNoPendingInterceptors()

  // Aborted while an async auth provider was fetching its header: nothing is sent.
  const ac3 = new AbortController()
  const slowAuth = mockOrg(t, { token: undefined, auth: { header: async () => { ac3.abort(); return 'Bearer x' } } })
  await t.rejects(slowAuth.client.getUser('00u1', { signal: ac3.signal }), { code: 'OKTA_ABORTED' })
  slowAuth.agent.assertNoPendingInterceptors()
})

void t.test('many calls sharing one AbortSignal: one listener on it, no leak warning, one abort ends them all', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const warnings: Error[] = []
  const onWarning = (w: Error): void => { warnings.push(w) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  const ac = new AbortController()
  const CALLS = 25
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, USER, { headers: jsonHeaders() }).times(CALLS)
  const done = await Promise.all(Array.from({ length: CALLS }, async () => await client.getUser('00u1', { signal: ac.signal })))
  t.equal(done.length, CALLS)
  t.equal(getEventListeners(ac.signal, 'abort').length, 0, 'nothing left on the signal once the calls are over')

  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, USER, { headers: jsonHeaders() }).delay(5_000).times(CALLS)
  const pending = Array.from({ length: CALLS }, async () => await client.getUser('00u1', { signal: ac.signal }).then(() => 'ok', (e: unknown) => e))
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.ok(getEventListeners(ac.signal, 'abort').length <= 1, 'in flight: at most one listener on the signal')
  ac.abort(new Error('page closed'))
  const ended = await Promise.all(pending)
  t.ok(ended.every((e) => e instanceof AbortedError), 'every call in flight ends OKTA_ABORTED')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(warnings.map((w) => w.name), [], 'no MaxListenersExceededWarning')
  agent.assertNoPendingInterceptors()
})

void t.test('a deadline (performance.now() ms): passed before the call, passing during it or before a rate-limit wait; not a number', async (t) => {
  // The client's own timeout is 60 s: only the deadline can end these calls.
  const { agent, pool, client } = mockOrg(t, { timeoutMs: 60_000, rateLimitMaxWaitMs: 60_000 })
  await t.rejects(client.getUser('00u1', { deadline: performance.now() - 1 }), { code: 'OKTA_ABORTED' })

  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(200, USER, { headers: jsonHeaders() }).delay(5_000)
  const err = await client.getUser('00u1', { deadline: performance.now() + 50, requestId: 'req-deadline' }).catch((e: unknown) => e)
  t.ok(err instanceof AbortedError, 'a deadline passing mid-request is OKTA_ABORTED, not OKTA_TIMEOUT')

  // A wait for the rate-limit reset that would outlast the deadline (but fits rateLimitMaxWaitMs) is not started, and
  // the deadline has not passed: the caller gets the 429 at once, as it came, with its retryAfterSeconds.
  pool.intercept({ path: USER_PATH, method: 'GET' }).reply(() => {
    const now = new Date()
    return rateLimited(Math.floor(now.getTime() / 1000) + 30, now)
  })
  // The deadline is far enough away that a busy machine cannot blur "at once" with "at the deadline".
  const started = performance.now()
  const limited = await client.getUser('00u1', { deadline: performance.now() + 20_000 }).catch((e: unknown) => e)
  t.ok(limited instanceof RateLimitedError, 'OKTA_RATE_LIMITED, not OKTA_ABORTED')
  t.match(limited, { code: 'OKTA_RATE_LIMITED', status: 429, retryAfterSeconds: 30 })
  t.ok(performance.now() - started < 10_000, 'at once, not at the deadline')
  agent.assertNoPendingInterceptors()

  await t.rejects(client.getUser('00u1', { deadline: Number.NaN }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"deadline"/ })
  await t.rejects(client.getUser('00u1', { deadline: '5' as unknown as number }), { name: 'TypeError', code: 'OKTA_CLIENT_INVALID_OPTION', message: /"deadline"/ })
})

interface ErrorCodeEntry { errorCode: string, statusCode: number, errorSummary: string }
const table = JSON.parse(readFileSync(new URL('../fixtures/okta/error-codes.json', import.meta.url), 'utf8')) as { errors: ErrorCodeEntry[] }
const reference = new Map(table.errors.map((e) => [e.errorCode, e]))

void t.test('each Okta error code maps to its class, with Okta fields and the request id', async (t) => {
  const expected: Array<[string, new (...a: never[]) => OktaApiError, string]> = [
    ['E0000068', InvalidPasscodeError, 'OKTA_INVALID_PASSCODE'],
    ['E0000082', PasscodeReplayedError, 'OKTA_PASSCODE_REPLAYED'],
    ['E0000069', UserLockedError, 'OKTA_USER_LOCKED'],
    ['E0000047', RateLimitedError, 'OKTA_RATE_LIMITED'],
    ['E0000109', RateLimitedError, 'OKTA_RATE_LIMITED'],
    ['E0000118', RateLimitedError, 'OKTA_RATE_LIMITED'],
    ['E0000133', RateLimitedError, 'OKTA_RATE_LIMITED'],
    ['E0000007', NotFoundError, 'OKTA_NOT_FOUND'],
    ['E0000001', ValidationError, 'OKTA_VALIDATION'],
    ['E0000003', ValidationError, 'OKTA_VALIDATION'],
    ['E0000005', AuthenticationError, 'OKTA_AUTHENTICATION'],
    ['E0000006', AuthenticationError, 'OKTA_AUTHENTICATION'],
    ['E0000011', AuthenticationError, 'OKTA_AUTHENTICATION'],
    ['E0000004', OktaApiError, 'OKTA_API_ERROR'], // authentication failed (a 401 of the authn API) falls back on its status
    ['E0000038', OktaApiError, 'OKTA_API_ERROR'], // any other code
  ]
  const { agent, pool, client } = mockOrg(t)
  for (const [errorCode, Cls, code] of expected) {
    const ref = reference.get(errorCode)
    if (ref === undefined) throw new Error(`${errorCode} is not in error-codes.json`)
    const body = oktaErrorBody(errorCode, ref.errorSummary, ['a cause'])
    pool.intercept({ path: VERIFY_PATH, method: 'POST' }).reply(ref.statusCode, body, { headers: jsonHeaders(`rid-${errorCode}`) })
    const err = await client.verifyFactor('00u1', 'ost1', { passCode: '000000' }).catch((e: unknown) => e)
    t.ok(err instanceof Cls, `${errorCode} -> ${Cls.name}`)
    t.ok(err instanceof OktaApiError && err instanceof OktaClientError && isOktaClientError(err))
    t.match(err, {
      code: errorCode === 'E0000004' ? 'OKTA_AUTHENTICATION' : code,
      status: ref.statusCode,
      errorCode,
      errorSummary: ref.errorSummary,
      errorId: body['errorId'],
      errorLink: errorCode,
      errorCauses: [{ errorSummary: 'a cause' }],
      requestId: `rid-${errorCode}`,
    }, errorCode)
    t.match((err as Error).message, new RegExp(`^Okta ${errorCode} \\(HTTP ${ref.statusCode}\\)`))
  }
  agent.assertNoPendingInterceptors()
})

void t.test('responses without an Okta body fall back on the HTTP status', async (t) => {
  const { agent, pool, client } = mockOrg(t)
  const cases: Array<[number, string]> = [[400, 'OKTA_VALIDATION'], [401, 'OKTA_AUTHENTICATION'], [404, 'OKTA_NOT_FOUND'], [403, 'OKTA_API_ERROR'], [418, 'OKTA_API_ERROR']]
  for (const [status] of cases) {
    pool.intercept({ path: USER_PATH, method: 'GET' }).reply(status, '<html>nope</html>', { headers: { 'content-type': 'text/html' } })
  }
  for (const [status, code] of cases) {
    await t.rejects(client.getUser('00u1'), { code, status, errorCode: undefined, errorCauses: [] }, `HTTP ${status}`)
  }
  agent.assertNoPendingInterceptors()
})

void t.test('a call that reads no body still needs an answer from Okta: no content, or JSON; an HTML page is not one', async (t) => {
  const answers: Array<{ status: number, type?: string, body: string }> = []
  const server = createHttpServer((_req, res) => {
    const a = answers.shift()!
    res.writeHead(a.status, a.type === undefined ? {} : { 'content-type': a.type })
    res.end(a.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const client = createOktaClient({ orgUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`, allowInsecureHttp: true, token: 'x'.repeat(40) })
  t.teardown(() => client.close())
  for (const a of [{ status: 204, body: '' }, { status: 200, body: '' }, { status: 200, type: 'application/json', body: '{}' }, { status: 200, type: 'text/html', body: '' }]) {
    answers.push(a)
    await client.deleteFactor('00u1', 'ost1')
    t.pass(`${a.status} ${a.type ?? 'no type'} ${a.body === '' ? 'empty' : a.body}: accepted`)
  }
  for (const a of [{ status: 200, type: 'text/html', body: '<html>captive portal</html>' }, { status: 200, body: 'ok' }]) {
    answers.push(a)
    const err = await client.resetFactors('00u1').then(() => undefined, (e: unknown) => e)
    t.match(err, { code: 'OKTA_INVALID_RESPONSE', status: 200 }, `${a.type ?? 'no type'} with a body: refused`)
  }
})

void t.test("an app's own Bearer auth meets a scope challenge as the client's OAuth does: OKTA_INSUFFICIENT_SCOPE", async (t) => {
  const { agent, pool, client } = mockOrg(t, { token: undefined, auth: { header: () => 'Bearer app-managed-token' } })
  const refused = (challenge: string | undefined): void => {
    pool.intercept({ path: USER_PATH, method: 'GET' }).reply(403, oktaErrorBody('E0000006', 'You do not have permission to perform the requested action'), {
      headers: { ...jsonHeaders(), ...(challenge === undefined ? {} : { 'www-authenticate': challenge }) },
    })
  }
  refused('Bearer authorization_uri="https://dev-123456.okta.com/oauth2/v1/authorize", realm="IdpError", scope="okta.users.read", error="insufficient_scope"')
  const err = await client.getUser('00u1').catch((e: unknown) => e)
  t.match(err, { code: 'OKTA_INSUFFICIENT_SCOPE', status: 403, errorCode: 'E0000006', requiredScopes: ['okta.users.read'] })
  t.notMatch(JSON.stringify(err), 'app-managed-token')
  // A challenge whose scope quotes the request's own Authorization back: only the scope names are kept.
  refused('Bearer error="insufficient_scope", scope="okta.users.read Bearer app-managed-token okta.myAccount.email.read"')
  const quoted = await client.getUser('00u1').catch((e: unknown) => e)
  t.match(quoted, { code: 'OKTA_INSUFFICIENT_SCOPE', requiredScopes: ['okta.users.read', 'okta.myAccount.email.read'] })
  t.notMatch(JSON.stringify(quoted), 'app-managed-token', 'the token is in no field of toJSON()')
  t.notMatch(inspect(quoted, { depth: 5 }), 'app-managed-token', 'nor in util.inspect')
  // A long run of letters without `=` before the parameters (read in linear time: a name starts after no letter).
  refused(`Bearer ${'a'.repeat(3000)} error="insufficient_scope", xscope="no", scope="okta.users.read"`)
  t.match(await client.getUser('00u1').catch((e: unknown) => e), { code: 'OKTA_INSUFFICIENT_SCOPE', requiredScopes: ['okta.users.read'] }, 'the parameters after it are read, a longer name is not taken for scope')
  // Without the challenge it stays Okta's permission error.
  refused(undefined)
  t.match(await client.getUser('00u1').catch((e: unknown) => e), { code: 'OKTA_AUTHENTICATION', errorCode: 'E0000006' })
  agent.assertNoPendingInterceptors()
})

// Guards running the gateway: env config validated at start (naming what is missing), plugin options validated at
// registration, /healthz and /readyz, request ids echoed and forwarded to Okta, and logs free of secrets.
import { execFile } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type RequestListener } from 'node:http'
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net'
import { readFile } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import formbody from '@fastify/formbody'
import { Authenticator } from '@fastify/passport'
import secureSession from '@fastify/secure-session'
import Fastify from 'fastify'
import t from 'tap'
import { Strategy as LocalStrategy } from 'passport-local'
import { Client, request } from 'undici'
import { Redis } from 'ioredis'
import { createOktaClient } from '@okta-mfa/client'
import { RememberedDevices } from '@okta-mfa/core'
import { startEmulator } from '@okta-mfa/emulator'
import { OktaMfaStrategy } from 'passport-okta-mfa'
import { AlreadyRegisteredError, GATEWAY_ERRORS, InvalidOptionError, buildGatewayServer, decodeSessionKey, loadServerConfig, oktaMfaGateway, READY_CACHE_MS, STORE_READY_CACHE_MS, ServerConfigError, type OktaMfaGatewayOptions } from '@okta-mfa/gateway'
import { emuFetch, withEmulator } from '../helpers/emulator.js'
import { CookieJar, listenLoopback, rawExchange } from '../helpers/http.js'
import { startProcess } from '../helpers/processes.js'
import { withRedis } from '../helpers/redis.js'
import { OPS, codeOf, gql, startGatewayApp } from '../helpers/gateway-app.js'
import { totp } from '../helpers/totp.js'

const run = promisify(execFile)
const SECRET = 'JBSWY3DPEHPK3PXP'
const KEY_HEX = randomBytes(32).toString('hex')
const baseEnv = { OKTA_ORG_URL: 'https://dev-1.okta.com', OKTA_API_TOKEN: 'tok', SESSION_KEY: KEY_HEX }

await t.test('server config from the environment', async (t) => {
  const err = (() => { try { loadServerConfig({}); return undefined } catch (e) { return e } })()
  t.ok(err instanceof ServerConfigError)
  t.equal((err as ServerConfigError).code, 'OKTA_MFA_GATEWAY_CONFIG')
  t.match((err as Error).message, /OKTA_ORG_URL is missing.*OKTA_API_TOKEN is missing.*SESSION_KEY is missing/)

  t.throws(() => loadServerConfig({ ...baseEnv, SESSION_KEY: 'c2hvcnQ=' }), { message: /SESSION_KEY must be 32 bytes/ })
  t.throws(() => loadServerConfig({ ...baseEnv, OKTA_ORG_URL: 'http://127.0.0.1:7070' }), { message: /OKTA_ALLOW_INSECURE_HTTP/ })
  t.throws(() => loadServerConfig({ ...baseEnv, PORT: 'eighty' }), { message: /PORT must be an integer/ })
  t.throws(() => loadServerConfig({ ...baseEnv, OKTA_ALLOW_INSECURE_HTTP: 'maybe' }), { message: /OKTA_ALLOW_INSECURE_HTTP must be true or false/ })
  t.throws(() => loadServerConfig({ ...baseEnv, SESSION_COOKIE_SECURE: 'sometimes' }), { message: /SESSION_COOKIE_SECURE must be true, false or auto/ })
  try {
    loadServerConfig({ ...baseEnv, OKTA_API_TOKEN: '', SESSION_KEY: 'not-a-secret-key-value' })
  } catch (e) {
    t.notMatch((e as Error).message, /not-a-secret-key-value/, 'a bad value is named, never echoed')
  }

  const config = loadServerConfig({ ...baseEnv, PORT: '8080', HOST: '0.0.0.0' })
  t.match(config, { orgUrl: 'https://dev-1.okta.com', port: 8080, host: '0.0.0.0', allowInsecureHttp: false, timeoutMs: 5000, cookieSecure: true, development: false })
  t.same(config.sessionKey, Buffer.from(KEY_HEX, 'hex'))
  t.same(decodeSessionKey(Buffer.from(KEY_HEX, 'hex').toString('base64')), Buffer.from(KEY_HEX, 'hex'), 'base64 keys too')
  t.equal(decodeSessionKey('abcd'), undefined)

  const bin = fileURLToPath(new URL('../../packages/gateway/dist/server.js', import.meta.url))
  const failed = await run(process.execPath, [bin], { env: { PATH: process.env.PATH } }).then(() => undefined, (e: unknown) => e as { code: number, stderr: string })
  t.equal(failed?.code, 1, 'the bin exits 1 on a bad environment')
  // The command line: --help lists every variable of the README's tables; any other argument is refused, even with a
  // whole environment (`--port 4001` listened on PORT without a word).
  const command = fileURLToPath(new URL('../../packages/gateway/dist/bin.js', import.meta.url))
  const help = await run(process.execPath, [command, '--help'], { env: { PATH: process.env.PATH } })
  t.equal((await run(process.execPath, [command, '-h'], { env: { PATH: process.env.PATH } })).stdout, help.stdout, '-h is --help, as the README says')
  t.match(help.stdout, /no arguments but --help \(-h\) and --version/, 'and the usage says so')
  const readme = await readFile(fileURLToPath(new URL('../../packages/gateway/README.md', import.meta.url)), 'utf8')
  // The variables' tables: the server's, and the OAuth one (each headed "| variable |", each ending at a blank line).
  const tables = readme.split('\n\n').filter((block) => block.startsWith('| variable |'))
  const documented = tables.flatMap((table) => [...table.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!))
  t.same([tables.length, documented.length >= 25], [2, true], "the README's two tables were read")
  for (const name of documented) t.match(help.stdout, new RegExp(`\\b${name}\\b`), `--help names ${name}`)
  const pkg = JSON.parse(await readFile(fileURLToPath(new URL('../../packages/gateway/package.json', import.meta.url)), 'utf8')) as { version: string }
  const version = await run(process.execPath, [command, '--version'], { env: { PATH: process.env.PATH } })
  t.equal(version.stdout, `${pkg.version}\n`, "--version prints package.json's version and exits 0")
  for (const args of [['--port', '4001'], ['-h', 'x'], ['serve'], ['--version', '--help'], ['-v']]) {
    const refused = await run(process.execPath, [command, ...args], { env: { PATH: process.env.PATH, ...baseEnv, PORT: '0' }, timeout: 10_000 }).then(() => undefined, (e: unknown) => e as { code: number, stdout: string, stderr: string })
    t.equal(refused?.code, 2, `${args.join(' ')}: exit 2, nothing started`)
    t.match(refused?.stderr, /^okta-mfa-gateway takes no arguments \(".*"\): it is configured by environment variables; okta-mfa-gateway --help lists them\n$/)
  }
  t.match(failed?.stderr, /OKTA_ORG_URL is missing.*OKTA_API_TOKEN is missing.*SESSION_KEY is missing/)
  // Each of these used to pass the check and stop the bin later, naming the plugin's option, one at a time.
  for (const [env, message] of [
    [{ OKTA_API_TOKEN: 'SSWS 00abcdefSECRETTOKEN' }, /OKTA_API_TOKEN must be the API token alone, without the "SSWS " scheme/],
    [{ OKTA_API_TOKEN: '00abc defSECRETTOKEN' }, /OKTA_API_TOKEN must be the API token alone: printable characters/],
    [{ OKTA_API_TOKEN: '00abc\ndefSECRETTOKEN' }, /OKTA_API_TOKEN must be the API token alone/],
    [{ OKTA_API_TOKEN: '00abcdéfSECRETTOKEN' }, /OKTA_API_TOKEN must be the API token alone/],
    [{ OKTA_ORG_URL: 'https://admin:SECRETpw@dev-1.okta.com' }, /OKTA_ORG_URL must not contain a user name or password/],
    [{ OKTA_ORG_URL: 'https://dev-1.okta.com/?token=SECRETTOKEN' }, /OKTA_ORG_URL must not contain a query or a fragment/],
    [{ OKTA_ORG_URL: 'https://dev-1.okta.com/#SECRETTOKEN' }, /OKTA_ORG_URL must not contain a query or a fragment/],
    [{ OKTA_ORG_URL: 'ftp://dev-1.okta.com/SECRETTOKEN' }, /OKTA_ORG_URL must be your org's URL/],
    [{ OKTA_ORG_URL: 'dev-1.okta.com/SECRETTOKEN' }, /OKTA_ORG_URL must be your org's URL/],
    // Pasted with a space or a line break: ioredis would throw the URL back, password and all, or dial a unix socket.
    [{ REDIS_URL: ' redis://:SECRETpw@127.0.0.1:6379' }, /^REDIS_URL holds a space, a tab, a line break or another control character/],
    [{ REDIS_URL: '\nredis://:SECRETpw@127.0.0.1:6379' }, /^REDIS_URL holds a space, a tab, a line break or another control character/],
  ] as const) {
    const err = (() => { try { loadServerConfig({ ...baseEnv, ...env, PORT: 'x' }); return undefined } catch (e) { return e } })()
    t.type(err, ServerConfigError, `${Object.keys(env)[0]!} refused at start`)
    t.match((err as ServerConfigError).problems, [message, /PORT must be an integer/], 'named together with the other problems')
    t.notMatch((err as Error).message, /SECRET/, 'the value is not shown')
  }
  t.equal(loadServerConfig({ ...baseEnv, OKTA_API_TOKEN: '  00abc-_XYZ  ' }).token, '00abc-_XYZ', 'spaces around the token are dropped')
  t.equal(loadServerConfig({ ...baseEnv, OKTA_ORG_URL: 'https://dev-1.okta.com/' }).orgUrl, 'https://dev-1.okta.com/', 'a trailing slash is fine')

  // A server that cannot listen names the variable to change, and stops (its Redis connection does not keep it alive).
  const blocker = createNetServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { blocker.close() })
  const busyPort = (blocker.address() as AddressInfo).port
  for (const [env, message] of [
    [{ PORT: String(busyPort), REDIS_URL: 'redis://127.0.0.1:9/0' }, new RegExp(`cannot listen on 127\\.0\\.0\\.1 port ${busyPort}: the port is already in use \\(set PORT\\)`)],
    [{ HOST: 'no-such-host.invalid' }, /cannot listen on no-such-host\.invalid port 4000: HOST is not a name this machine can resolve/],
    [{ HOST: '192.0.2.1' }, /cannot listen on 192\.0\.2\.1 port 4000: HOST is not an address of this machine/],
  ] as const) {
    const out = await run(process.execPath, [bin], { env: { PATH: process.env.PATH, ...baseEnv, ...env }, timeout: 20_000 }).then(() => undefined, (e: unknown) => e as { code: number, stderr: string, killed: boolean })
    t.equal(out?.killed, false, `${JSON.stringify(env)}: the process ends by itself`)
    t.equal(out?.code, 1, 'exit 1')
    t.match(out?.stderr, message)
    t.notMatch(out?.stderr, /\n\s+at /, 'no stack')
  }
  // With a Redis that answers, a busy port is not reported as a Redis outage while the server closes.
  const redis = await withRedis(t)
  const busy = await run(process.execPath, [bin], { env: { PATH: process.env.PATH, ...baseEnv, PORT: String(busyPort), REDIS_URL: redis.url, LOG_LEVEL: 'info' }, timeout: 20_000 }).then(() => undefined, (e: unknown) => e as { code: number, stdout: string, stderr: string })
  t.equal(busy?.code, 1)
  t.match(busy?.stderr, /the port is already in use \(set PORT\)/)
  t.notMatch(`${busy?.stdout ?? ''}${busy?.stderr ?? ''}`, /redis unreachable/, 'no false Redis outage in the log')
})

await t.test('plugin options are validated at registration', async (t) => {
  async function register (options: unknown, withSession = true): Promise<unknown> {
    const app = Fastify()
    if (withSession) await app.register(secureSession, { key: Buffer.from(KEY_HEX, 'hex') })
    await app.register(oktaMfaGateway, options as OktaMfaGatewayOptions)
    try {
      await app.ready()
      return app
    } finally {
      await app.close()
    }
  }
  const good = { orgUrl: 'https://dev-1.okta.com', token: 'tok', resolveUser: () => null }
  const missing = await register({ orgUrl: 'https://dev-1.okta.com' }).then(() => undefined, (e: unknown) => e)
  t.ok(missing instanceof TypeError, 'a bad option is a TypeError')
  t.match(missing, { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"token" option is required/ })
  await t.rejects(register({ ...good, resolveUesr: () => null }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"resolveUesr" is not an option/ })
  await t.rejects(register({ ...good, maxAttempts: 0 }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"maxAttempts" option must be a positive integer/ })
  await t.rejects(register({ ...good, attemptWindowMs: 1e19 }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"attemptWindowMs" option must be a positive integer of at most 31622400000/ })
  await t.rejects(register({ ...good, factorCacheMs: -1 }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /^"factorCacheMs" option must be a positive integer \(0: off\)$/ })
  t.ok(await register({ ...good, factorCacheMs: 0 }), 'factorCacheMs 0 (off) is accepted')
  await t.rejects(register({ ...good, requestTimeoutMs: 2 ** 31 }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"requestTimeoutMs" option must be a positive integer of at most 2147483647/ })
  await t.rejects(register({ ...good, attemptStore: {} }), { message: /"attemptStore" option must implement AttemptStore/ })
  await t.rejects(register({ ...good, resolveUser: 'request.user' }), { message: /"resolveUser" option must be a function/ })
  await t.rejects(register({ ...good, limits: { maxDepthh: 3 } }), { message: /"limits.maxDepthh" is not a known limit/ })
  await t.rejects(register({ ...good, path: 'graphql' }), { message: /"path" option must be a URL path/ })
  // GraphiQL's own GET routes (development): the GraphQL route there is a coded option error, not Fastify's uncoded
  // FST_ERR_DUPLICATED_ROUTE; the same path without development is free.
  for (const path of ['/graphiql', '/graphiql/config.js', '/GraphiQL/']) {
    await t.rejects(register({ ...good, path, development: true }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"path" option cannot be .* with "development"/ }, `path ${path} with development`)
  }
  t.ok(await register({ ...good, path: '/graphiql' }), 'path /graphiql without development is accepted')
  t.ok(await register({ ...good, path: '/graphiql/api', development: true }), 'a path beside GraphiQL\'s files is accepted')
  // Fastify's own register options would do nothing (the plugin shares its parent's context): refused, with the way out.
  await t.rejects(register({ ...good, prefix: '/api' }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"prefix" does nothing for @okta-mfa\/gateway.*"path"/ })
  await t.rejects(register({ ...good, logLevel: 'silent' }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"logLevel" does nothing/ })
  await t.rejects(register({ ...good, client: createOktaClient({ orgUrl: 'https://dev-1.okta.com', token: 'x' }) }), { message: /"client" option excludes "orgUrl"/ })
  for (const orgUrl of ['http://dev-1.okta.com', 'not a url']) {
    const bad = await register({ ...good, orgUrl }).then(() => undefined, (e: unknown) => e)
    t.ok(bad instanceof TypeError, `orgUrl ${orgUrl}: a TypeError`)
    // The client's own refusals are the plugin's InvalidOptionError, as every other bad option is.
    t.ok(bad instanceof InvalidOptionError, `orgUrl ${orgUrl}: an InvalidOptionError`)
    t.match(bad, { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"orgUrl" option must be an (absolute )?https URL/ }, `orgUrl ${orgUrl}: coded, naming the option`)
    t.match((bad as { cause?: unknown }).cause, { code: 'OKTA_CLIENT_INVALID_OPTION', message: (bad as Error).message }, `orgUrl ${orgUrl}: the client's refusal is its cause`)
  }
  await t.rejects(register({ ...good, orgUrl: 'https://user:pw@dev-1.okta.com' }), { name: 'FastifyError', code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"orgUrl" option must not contain credentials/ })
  t.ok(await register({ ...good, orgUrl: 'http://127.0.0.1:7070', allowInsecureHttp: true }), 'http: with allowInsecureHttp is accepted')
  await t.rejects(register({ ...good, orgUrl: 'https://dev-1.okta.com/oauth2/default' }), { name: 'FastifyError', code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"orgUrl" option must be the org's root/ })
  await t.rejects(register({ ...good, orgUrl: 'http://dev-1.okta.com', allowInsecureHttp: true }), { name: 'FastifyError', code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"orgUrl" option may be plain http: only for an emulator on loopback/ })
  for (const issuer of ['Acme:Corp', '', 'a'.repeat(65), 'Acme\u2028Corp', 'Acme\u0085', 'Acme\u202e']) {
    await t.rejects(register({ ...good, issuer }), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"issuer" option must be 1 to 64 printable characters/ }, `issuer U+${[...issuer].map((c) => c.codePointAt(0)!.toString(16)).join(' U+').slice(0, 40)}`)
  }
  t.ok(await register({ ...good, issuer: 'Acmé Ünïon ✓' }), 'a printable non-ASCII issuer is accepted')
  await t.rejects(register(good, false), { code: 'OKTA_MFA_GATEWAY_NO_SESSION', message: /register @fastify\/secure-session, or @fastify\/cookie and @fastify\/session \(rolling: false\)/ })
  // Twice in one context (say at two paths): the gateway's own coded error with the way out, not Fastify's
  // FST_ERR_DEC_ALREADY_PRESENT; in a plugin of its own, the second one registers.
  for (const nested of [false, true]) {
    const twice = Fastify()
    await twice.register(secureSession, { key: Buffer.from(KEY_HEX, 'hex') })
    await twice.register(oktaMfaGateway, good)
    const second = { ...good, path: '/v2/graphql' }
    const err = await (nested ? twice.register(async (scope) => { await scope.register(oktaMfaGateway, second) }) : twice.register(oktaMfaGateway, second))
      .then(async () => { await twice.ready() }).then(() => undefined, (e: unknown) => e)
    if (nested) t.equal(err, undefined, 'a second gateway in a plugin of its own registers')
    else {
      t.ok(err instanceof AlreadyRegisteredError, 'twice in one context: an AlreadyRegisteredError')
      t.match(err, { code: 'OKTA_MFA_GATEWAY_ALREADY_REGISTERED', message: /already registered in this context.*plugin of its own/ })
    }
    await twice.close()
  }
  // A decorator of that name the app made itself: Fastify's own refusal, not a claim that the gateway is registered.
  const own = Fastify()
  await own.register(secureSession, { key: Buffer.from(KEY_HEX, 'hex') })
  own.decorate('oktaMfaGateway', { mine: true } as never)
  const clash = await own.register(oktaMfaGateway, good).then(async () => { await own.ready() }).then(() => undefined, (e: unknown) => e)
  t.match(clash, { code: 'FST_ERR_DEC_ALREADY_PRESENT' }, "an app's own oktaMfaGateway decorator: Fastify's refusal")
  await own.close()

  const client = createOktaClient({ orgUrl: 'https://dev-1.okta.com', token: 'tok' })
  t.teardown(() => client.close())
  const options = { client, resolveUser: () => null, limits: { maxDepth: 4 } }
  const snapshot = JSON.stringify({ ...options, client: undefined })
  const app = Fastify()
  await app.register(secureSession, { key: Buffer.from(KEY_HEX, 'hex') })
  await app.register(oktaMfaGateway, options)
  await app.ready()
  t.ok(app.hasPlugin('@okta-mfa/gateway'), 'registered under its name')
  t.equal(app.oktaMfaGateway.client, client, 'the given client is used')
  t.ok(Object.isFrozen(app.oktaMfaGateway.config) && Object.isFrozen(app.oktaMfaGateway.config.limits), 'the config is frozen')
  t.match(app.oktaMfaGateway.config, { path: '/graphql', maxAttempts: 4, stepUpMaxAgeSeconds: 300, bodyLimit: 8192, limits: { maxDepth: 4, maxAliases: 5 } })
  t.equal(JSON.stringify({ ...options, client: undefined }), snapshot, "the caller's options are untouched")
  await app.close()
})

await t.test('the plugin also takes the client as its options: client: { orgUrl, token } (the issue\'s "client | { orgUrl, token }")', async (t) => {
  const app = Fastify()
  await app.register(secureSession, { key: Buffer.from(KEY_HEX, 'hex') })
  await app.register(oktaMfaGateway, { client: { orgUrl: 'https://dev-1.okta.com', token: 'tok' }, resolveUser: () => null })
  await app.ready()
  t.equal(typeof app.oktaMfaGateway.client.verifyFactor, 'function', 'the plugin built a client from them')
  t.equal(app.oktaMfaGateway.config.client, undefined, 'and owns it (closed with the app)')
  t.match(app.oktaMfaGateway.config.clientOptions, { orgUrl: 'https://dev-1.okta.com', allowInsecureHttp: false })
  const res = await app.inject({ method: 'POST', url: '/graphql', payload: { query: '{ viewer { userKey } }' } })
  t.equal(res.json().errors[0].extensions.code, 'UNAUTHENTICATED', 'no session user')
  await app.close()

  const bad = Fastify()
  t.teardown(() => bad.close())
  await bad.register(secureSession, { key: Buffer.from(KEY_HEX, 'hex') })
  await t.rejects(async () => {
    await bad.register(oktaMfaGateway, { client: { orgUrl: 'https://dev-1.okta.com', token: 'tok', tokn: 'x' } as never, resolveUser: () => null })
    await bad.ready()
  }, { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"client.tokn" is not an option/ })
})

await t.test('/healthz, and /readyz follows Okta: its last answer holds for READY_CACHE_MS, not while the clock stands behind it', async (t) => {
  t.same([READY_CACHE_MS, STORE_READY_CACHE_MS], [5000, 1000], 'the README\'s 5 s and 1 s')
  for (const [how, step] of [['READY_CACHE_MS later', READY_CACHE_MS], ['the clock an hour back (NTP, a VM restored)', -3_600_000]] as const) {
    const emu = await startEmulator({ port: 0, quiet: true })
    let up = true
    t.teardown(async () => { if (up) await emu.close() })
    let now = Date.now()
    const gw = await startGatewayApp(t, { ...emu, clock: { now: () => now, advance: Date.now, set: Date.now }, authHeader: { authorization: '' } })
    const jar = gw.jar()
    t.same((await jar.fetch('/healthz')).json(), { status: 'ok' })
    const ready = await jar.fetch('/readyz')
    t.equal(ready.status, 200)
    t.same(ready.json(), { status: 'ready' })
    await emu.close()
    up = false
    t.equal((await jar.fetch('/readyz')).status, 200, `${how}: until then, the last check answers`)
    now += step
    const down = await jar.fetch('/readyz')
    t.equal(down.status, 503, `${how}: checked again, Okta is down`)
    t.same(down.json(), { status: 'unavailable', failed: ['okta'] })
    t.equal((await jar.fetch('/healthz')).status, 200, 'alive even when Okta is not')
  }
})

await t.test('/readyz logs what happened to Okta: credentials refused, rate limited, or not reached (the code, never a secret)', async (t) => {
  // The test clock stands still at the start of a window: the spent bucket's reset is a whole hour away, past any wait.
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const key = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  // An app that requires DPoP (Okta's default for new apps), for a gateway told OKTA_DPOP=false.
  const dpopApp = { clientId: '0oa-dpop-app', jwks: pair.publicKey.export({ format: 'jwk' }), scopes: ['okta.users.read', 'okta.users.manage'] }
  const emu = await withEmulator(t, { rateLimits: { windowMs: 3_600_000, limits: { users: 1 } }, serviceApps: [dpopApp] })
  /** A stand-in Okta answering every request with `handler`, served until the test ends: its URL. */
  const fakeOrg = async (handler: RequestListener): Promise<string> => await listenLoopback(t, createServer(handler))
  async function readyLog (env: Record<string, string>, before?: () => Promise<unknown>): Promise<{ msg?: string, code?: string, line: string }> {
    let logs = ''
    const stream = new Writable({ write (chunk: Buffer, _enc, done) { logs += chunk.toString(); done() } })
    const gw = await startGatewayApp(t, undefined, { logStream: stream, env: { OKTA_ORG_URL: emu.url, ...env } })
    await before?.()
    t.equal((await gw.jar().fetch('/readyz')).status, 503)
    const line = logs.split('\n').find((l) => l.includes('"msg":"okta ')) ?? ''
    return { ...(line === '' ? {} : JSON.parse(line) as { msg: string, code: string }), line }
  }
  const wrongToken = await readyLog({ OKTA_API_TOKEN: 'not-the-SECRET-token' })
  t.match(wrongToken, { msg: "okta refused the gateway's credentials", code: 'OKTA_AUTHENTICATION' }, 'a wrong API token')
  t.notMatch(wrongToken.line, /SECRET/, 'the token is not logged')
  const unknownApp = await readyLog({ OKTA_API_TOKEN: '', OKTA_CLIENT_ID: '0oa-unknown', OKTA_PRIVATE_KEY: key })
  t.match(unknownApp, { msg: "okta refused the gateway's credentials", code: 'OKTA_INVALID_CLIENT' }, 'an OAuth app Okta does not know')
  t.notMatch(unknownApp.line, /PRIVATE|BEGIN/, 'no key material')
  const withoutDpop = await readyLog({ OKTA_API_TOKEN: '', OKTA_CLIENT_ID: dpopApp.clientId, OKTA_PRIVATE_KEY: key, OKTA_DPOP: 'false' })
  t.match(withoutDpop, { msg: "okta refused the gateway's credentials", code: 'OKTA_DPOP_REJECTED' }, 'an app that requires DPoP, asked without it')
  // Okta's token endpoint refusing the grant to this app: unauthorized_client, the client's OKTA_OAUTH_ERROR.
  const grantRefused = await fakeOrg((_req, res) => { res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unauthorized_client', error_description: 'The client is not authorized to use the provided grant type.' })) })
  const unauthorized = await readyLog({ OKTA_ORG_URL: grantRefused, OKTA_API_TOKEN: '', OKTA_CLIENT_ID: dpopApp.clientId, OKTA_PRIVATE_KEY: key })
  t.match(unauthorized, { msg: "okta refused the gateway's credentials", code: 'OKTA_OAUTH_ERROR' }, 'a grant the app may not use')
  const limited = await readyLog({ OKTA_API_TOKEN: emu.token }, async () => await emuFetch(emu, 'GET', '/api/v1/users?limit=1'))
  t.match(limited, { msg: 'okta rate-limited the readiness check', code: 'OKTA_RATE_LIMITED' }, 'the users bucket spent')
  // The reset near (now, or a second away): still one call per check, the 429 its answer, not waited out and retried.
  for (const ahead of [0, 1]) {
    let calls = 0
    const limiting = await fakeOrg((_req, res) => {
      calls++
      const now = new Date()
      res.writeHead(429, { 'content-type': 'application/json', date: now.toUTCString(), 'x-rate-limit-limit': '100', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.floor(now.getTime() / 1000) + ahead) })
        .end(JSON.stringify({ errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.', errorCauses: [] }))
    })
    const near = await readyLog({ OKTA_ORG_URL: limiting, OKTA_API_TOKEN: emu.token })
    t.match(near, { msg: 'okta rate-limited the readiness check', code: 'OKTA_RATE_LIMITED' }, `the reset ${ahead} s ahead`)
    t.equal(calls, 1, `the reset ${ahead} s ahead: one Okta call for the check`)
  }
  // Any other 401/403 Okta answers with its error body: a feature the token's admin may not use.
  const forbidding = await fakeOrg((_req, res) => { res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ errorCode: 'E0000015', errorSummary: 'You do not have permission to access the feature you are requesting', errorCauses: [] })) })
  const forbidden = await readyLog({ OKTA_ORG_URL: forbidding, OKTA_API_TOKEN: emu.token })
  t.match(forbidden, { msg: "okta refused the gateway's credentials", code: 'OKTA_API_ERROR' }, 'a 403 of another Okta code')
  // A 401/403 that is not Okta's (a proxy's or a firewall's page) is no refusal of the credentials: Okta was not reached.
  for (const [status, type, body] of [[403, 'text/html', '<h1>Forbidden</h1>'], [403, 'application/json', '{"message":"Forbidden"}'], [401, 'text/plain', 'Unauthorized']] as const) {
    const proxy = await fakeOrg((_req, res) => { res.writeHead(status, { 'content-type': type }).end(body) })
    const page = await readyLog({ OKTA_ORG_URL: proxy, OKTA_API_TOKEN: emu.token })
    t.match(page, { msg: 'okta not reachable' }, `a ${status} ${type} page that is not Okta's`)
  }
  const down = await readyLog({ OKTA_ORG_URL: 'http://127.0.0.1:9', OKTA_API_TOKEN: emu.token })
  t.match(down, { msg: 'okta not reachable', code: 'OKTA_CONNECTION' }, 'nothing listening')
  // Logged once per check, not per hit: anyone may probe /readyz, and the cached answer is the same failure.
  let logs = ''
  const stream = new Writable({ write (chunk: Buffer, _enc, done) { logs += chunk.toString(); done() } })
  const gw = await startGatewayApp(t, undefined, { logStream: stream, env: { OKTA_ORG_URL: 'http://127.0.0.1:9', OKTA_API_TOKEN: emu.token } })
  const probe = gw.jar()
  const hits = [...await Promise.all([1, 2, 3, 4, 5].map(async () => await probe.fetch('/readyz')))]
  for (let i = 0; i < 5; i++) hits.push(await probe.fetch('/readyz'))
  t.same(hits.map((r) => r.status), Array(10).fill(503), 'ten probes, each answered 503')
  t.equal(logs.split('\n').filter((l) => l.includes('"msg":"okta not reachable"')).length, 1, 'one warning for the one check they shared')
})

await t.test('the standalone server bounds how long a request may take to arrive, and answers CONNECT with the coded 405', async (t) => {
  const app = await buildGatewayServer(loadServerConfig({ ...baseEnv, LOG_LEVEL: 'silent' }))
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  // Fastify's default (0) switches Node's limit off, and a client sending half a body held its socket forever.
  t.equal(app.server.requestTimeout, 30_000, "Node's request timeout is on: a stalled body is answered 408 and closed")
  const port = (app.server.address() as { port: number }).port
  const answer = await rawExchange(port, 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n')
  t.match(answer, /^HTTP\/1\.1 405 Method Not Allowed\r\n/, 'CONNECT: 405, not a dropped socket')
  t.match(answer, /\r\nallow: POST\r\n/)
  const connectId = /\r\nx-request-id: ([0-9a-f-]{36})\r\n/.exec(answer)?.[1]
  t.ok(connectId, 'with a request id made for it')
  t.match(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { data: null, errors: [{ extensions: { code: 'METHOD_NOT_ALLOWED', requestId: connectId } }] })
  // An Expect other than 100-continue: Node's own answer was a bare 417 (no code, no request id); it is ignored.
  t.match(await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /, 'an unknown expectation is ignored: served')
  const expecting = await rawExchange(port, 'POST /graphql HTTP/1.1\r\nHost: x\r\nExpect: something\r\nContent-Type: application/json\r\nContent-Length: 26\r\nConnection: close\r\n\r\n{"query":"{ __typename }"}')
  t.match(expecting, /^HTTP\/1\.1 200 [^]*\r\nx-request-id: /, 'a GraphQL request with one: answered by the route')
  t.same(JSON.parse(expecting.slice(expecting.indexOf('\r\n\r\n') + 4)), { data: { __typename: 'Query' } })
})

await t.test("requests Node's parser refuses or its timeout cuts get the gateway's coded JSON, and nothing of their bytes is logged", async (t) => {
  const lines: string[] = []
  const logStream = new Writable({ write (chunk, _enc, done) { lines.push(String(chunk)); done() } })
  const app = await buildGatewayServer(loadServerConfig({ ...baseEnv, LOG_LEVEL: 'trace' }), { logStream })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  // The same check as at 30 s, sooner: Node looks every 2 s.
  app.server.requestTimeout = 1000
  app.server.headersTimeout = 1000
  const port = (app.server.address() as { port: number }).port
  const raw = async (bytes: string): Promise<{ head: string, body: unknown }> => {
    const answer = await rawExchange(port, bytes)
    const at = answer.indexOf('\r\n\r\n')
    return { head: answer.slice(0, at), body: JSON.parse(answer.slice(at + 4)) }
  }
  const secret = 'session=s3cr3t-cookie-value'
  const cases: Array<[string, string, number, string]> = [
    ['a header block over 16 KiB', `POST /graphql HTTP/1.1\r\nHost: x\r\nCookie: ${secret}\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ['bytes that are no HTTP', `NOT HTTP AT ALL ${secret}\r\n\r\n`, 400, 'BAD_REQUEST'],
    ['both Content-Length and Transfer-Encoding', `POST /graphql HTTP/1.1\r\nHost: x\r\nCookie: ${secret}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, 400, 'BAD_REQUEST'],
    ['headers that stall', `POST /graphql HTTP/1.1\r\nHost: x\r\nCookie: ${secret}\r\n`, 408, 'REQUEST_TIMEOUT'],
    ['a body that stalls', `POST /graphql HTTP/1.1\r\nHost: x\r\nCookie: ${secret}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":`, 408, 'REQUEST_TIMEOUT'],
    // Answered by Node itself with an empty 400, and by Fastify's router quoting the URL (query string included).
    ['an HTTP/1.1 request without Host', `POST /graphql HTTP/1.1\r\nCookie: ${secret}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`, 400, 'BAD_REQUEST'],
    ['a malformed escape in the path', `POST /graphql%zz?token=${secret} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`, 400, 'BAD_REQUEST'],
    ['a malformed escape elsewhere', `GET /%zz?token=${secret} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 400, 'BAD_REQUEST'],
  ]
  for (const [what, bytes, status, code] of cases) {
    const { head, body } = await raw(bytes)
    t.match(head, new RegExp(`^HTTP/1\\.1 ${status} `), `${what}: ${status}`)
    t.match(head, /\r\ncontent-type: application\/json; charset=utf-8/)
    const requestId = /\r\nx-request-id: ([0-9a-f-]{36})(?:\r\n|$)/.exec(head)?.[1]
    t.ok(requestId, `${what}: a request id in X-Request-Id`)
    t.same(body, { data: null, errors: [{ message: GATEWAY_ERRORS[code as keyof typeof GATEWAY_ERRORS].message, extensions: { code, requestId } }] }, `${what}: ${code}, the same id in the body`)
    t.match(head, /\r\ncache-control: no-store/i, `${what}: no-store`)
  }
  // HTTP/1.0 had no Host: such a request is still served.
  t.match(await rawExchange(port, 'GET /healthz HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 200 /, 'an HTTP/1.0 request without Host: served')
  t.ok(lines.some((l) => l.includes('"clientError":"HPE_HEADER_OVERFLOW"')), 'logged by its code')
  t.notMatch(lines.join(''), /s3cr3t/, 'never the bytes of the request, at any level')
})

/**
 * A standalone gateway, not yet listening, with a route `/t/slow` that answers once `release()` is called; `inFlight`
 * settles when a request reaches it.
 */
async function gatewayWithSlowRoute (): Promise<{ app: Awaited<ReturnType<typeof buildGatewayServer>>, inFlight: Promise<void>, release: () => void }> {
  const app = await buildGatewayServer(loadServerConfig({ ...baseEnv, LOG_LEVEL: 'silent' }))
  let arrived!: () => void
  const inFlight = new Promise<void>((resolve) => { arrived = resolve })
  let release!: () => void
  const released = new Promise<void>((resolve) => { release = resolve })
  app.get('/t/slow', async () => { arrived(); await released; return { ok: true } })
  return { app, inFlight, release }
}

await t.test('closing (SIGTERM): a request in flight gets its answer with Connection: close, so its keep-alive socket does not hold the process', async (t) => {
  const { app, inFlight, release } = await gatewayWithSlowRoute()
  // The answer goes out once the server is closing, as a slow Okta call's would.
  app.addHook('preClose', async () => { release() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const client = new Client(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, { keepAliveTimeout: 600_000 })
  t.teardown(() => client.destroy())
  const before = await client.request({ method: 'GET', path: '/healthz' })
  await before.body.dump()
  t.not(before.headers.connection, 'close', 'kept alive while the server runs')
  const answer = client.request({ method: 'GET', path: '/t/slow' })
  await inFlight
  const closed = app.close()
  const res = await answer
  t.equal(res.statusCode, 200, 'the request in flight is answered')
  t.same(await res.body.json(), { ok: true })
  t.equal(res.headers.connection, 'close', 'and told the connection ends')
  await closed // without it the socket stayed idle for the keep-alive timeout (72 s) and close() waited for it
  t.pass('the server closed with the client still holding its end')
})

await t.test('closing (SIGTERM): a request that arrives while another is still answered is the coded 503 SHUTTING_DOWN, with its request id', async (t) => {
  const { app, inFlight, release } = await gatewayWithSlowRoute()
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  const slow = request(`http://127.0.0.1:${port}/t/slow`)
  await inFlight
  // A connection whose request has begun to arrive (not idle, so not closed with the idle ones) and ends after close().
  const socket = connect(port, '127.0.0.1')
  let answer = ''
  socket.on('data', (d: Buffer) => { answer += d.toString() }).on('error', () => {})
  await new Promise<void>((resolve) => socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nX-Request-Id: client-id-12345\r\nContent-Type: application/json\r\n', () => { resolve() }))
  await new Promise((resolve) => setTimeout(resolve, 50))
  const closed = app.close()
  socket.write('Content-Length: 2\r\n\r\n{}')
  await new Promise((resolve) => socket.on('close', resolve))
  release()
  t.equal((await slow).statusCode, 200, 'the request in flight is answered')
  await closed
  const at = answer.indexOf('\r\n\r\n')
  const head = answer.slice(0, at)
  t.match(head, /^HTTP\/1\.1 503 /, 'the late request: 503')
  t.match(head, /\r\nx-request-id: client-id-12345\r\n/i, "with the client's request id")
  t.match(head, /\r\ncache-control: no-store\r\n/i, 'no-store')
  t.match(head, /\r\nconnection: close\r\n/i, 'and the connection ends')
  t.same(JSON.parse(answer.slice(at + 4)), { data: null, errors: [{ message: GATEWAY_ERRORS.SHUTTING_DOWN.message, extensions: { code: 'SHUTTING_DOWN', requestId: 'client-id-12345' } }] })
})

await t.test('the okta-mfa-gateway bin closes on SIGTERM and SIGINT and exits 0, not killed by the signal', async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const server = await startProcess(t, `gateway (${signal})`, 'packages/gateway/dist/bin.js', { ...baseEnv, LOG_LEVEL: 'silent' }, { readyPath: '/healthz' })
    const exited = new Promise<[number | null, string | null]>((resolve) => { server.child.once('exit', (code, sig) => { resolve([code, sig]) }) })
    server.child.kill(signal)
    t.same(await exited, [0, null], `${signal}: closed, exit 0`)
  }
})

await t.test('closing (SIGTERM) while a request body stalls: the connection is cut after the grace period, close() ends', async (t) => {
  const app = await buildGatewayServer(loadServerConfig({ ...baseEnv, LOG_LEVEL: 'silent' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const socket = connect((app.server.address() as AddressInfo).port, '127.0.0.1')
  t.teardown(() => socket.destroy())
  await new Promise((resolve) => socket.once('connect', resolve))
  const ended = new Promise((resolve) => socket.once('close', resolve))
  socket.on('error', () => {})
  // Node no longer enforces its request timeout once the server closes: this body never comes.
  socket.write('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"qu')
  await new Promise((resolve) => setTimeout(resolve, 50))
  await app.close() // without the cut, it never resolved (the test timed out)
  await ended
  t.pass('closed, the stalled connection cut')
})

await t.test('request ids: honored when sane, echoed, and forwarded to Okta', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com' }] })
  const seen: Array<string | undefined> = []
  const proxy = createServer((req, res) => {
    seen.push(req.headers['x-request-id'] as string | undefined)
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const headers: IncomingHttpHeaders = { ...req.headers }
      delete headers.host
      delete headers.connection
      request(`${emu.url}${req.url ?? '/'}`, { method: req.method as 'GET', headers: headers as Record<string, string>, body: chunks.length > 0 ? Buffer.concat(chunks) : null })
        .then(async (up) => {
          const out: Record<string, string | string[]> = {}
          for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) out[k] = v
          res.writeHead(up.statusCode, out).end(Buffer.from(await up.body.arrayBuffer()))
        }, () => { res.writeHead(502).end() })
    })
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => proxy.close(resolve)))
  const port = (proxy.address() as { port: number }).port
  const gw = await startGatewayApp(t, emu, { env: { OKTA_ORG_URL: `http://127.0.0.1:${port}` } })
  const ada = await gw.signedIn('ada@example.com')

  const mine = await gql(ada, OPS.factors, undefined, { 'x-request-id': 'frontend-req-0001' })
  t.equal(mine.status, 200)
  t.equal(mine.headers['x-request-id'], 'frontend-req-0001', 'a sane incoming id is echoed')
  t.ok(seen.length > 0 && seen.every((id) => id === 'frontend-req-0001'), 'and sent to Okta on every call')

  const forged = await gql(ada, OPS.factors, undefined, { 'x-request-id': 'x y' })
  t.match(forged.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'an odd incoming id is replaced by a UUID')
  t.equal(seen.at(-1), forged.headers['x-request-id'])
  // 8 to 128 characters: one shorter or longer is replaced too.
  for (const [id, kept] of [['req-0007', true], ['req-007', false], ['r'.repeat(128), true], ['r'.repeat(129), false]] as const) {
    const echoed = (await gql(ada, OPS.factors, undefined, { 'x-request-id': id })).headers['x-request-id']
    if (kept) t.equal(echoed, id, `an id of ${id.length} characters is kept`)
    else t.match(echoed, /^[0-9a-f-]{36}$/, `an id of ${id.length} characters is replaced by a UUID`)
  }

  // The health routes too, and the Okta check a /readyz starts (README: "on every call").
  seen.length = 0
  const health = await ada.fetch('/healthz', { headers: { 'x-request-id': 'probe-health-01' } })
  t.equal(health.headers['x-request-id'], 'probe-health-01', '/healthz echoes it')
  const ready = await ada.fetch('/readyz', { headers: { 'x-request-id': 'probe-ready-001' } })
  t.equal(ready.status, 200)
  t.equal(ready.headers['x-request-id'], 'probe-ready-001', '/readyz echoes it')
  t.same(seen, ['probe-ready-001'], 'and the Okta check it started carries it')
})

await t.test('logs carry request ids and no secrets', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com', factors: [{ factorType: 'token:software:totp', sharedSecret: SECRET }] }, { login: 'bob@example.com' }] })
  let logs = ''
  const stream = new Writable({ write (chunk: Buffer, _enc, done) { logs += chunk.toString(); done() } })
  const gw = await startGatewayApp(t, emu, { logStream: stream, env: { SESSION_KEY: KEY_HEX } })
  const ada = await gw.signedIn('ada@example.com')
  const factorId = (await gql(ada, OPS.factors)).body.data.factors[0].id as string
  const right = totp(SECRET, emu.clock.now())
  const wrong = right === '000000' ? '111111' : '000000'
  const credentialHeaders = {
    authorization: 'Bearer leaked-bearer-token', 'proxy-authorization': 'Basic leaked-proxy-credential', 'x-okta-api-token': 'SSWS leaked-api-token',
    'x-api-key': 'leaked-api-key', 'x-auth-token': 'leaked-auth-token', 'x-access-token': 'leaked-access-token', 'x-csrf-token': 'leaked-csrf-token',
    'x-xsrf-token': 'leaked-xsrf-token', dpop: 'leaked.dpop.proof',
  }
  t.equal((await gql(ada, OPS.verify, { factorId, passCode: wrong }, credentialHeaders)).status, 401)
  const ok = await gql(ada, OPS.verify, { factorId, passCode: right })
  t.equal(ok.body.data.verifyFactor.result, 'SUCCESS')
  await gql(ada, `mutation { verifyFactor(factorId: "${factorId}", answer: "inline answer") { result } }`)

  const bob = await gw.signedIn('bob@example.com')
  const enrolled = await gql(bob, OPS.enroll, { input: { factorType: 'TOTP' } })
  const secret = enrolled.body.data.enrollFactor.activation.sharedSecret as string
  const activationCode = totp(secret, emu.clock.now())
  const activated = await gql(bob, OPS.activate, { factorId: enrolled.body.data.enrollFactor.factor.id, passCode: activationCode })
  t.equal(activated.body.data.activateFactor.status, 'ACTIVE')
  await gql(await startGatewayApp(t, emu, { logStream: stream, env: { SESSION_KEY: KEY_HEX, OKTA_API_TOKEN: 'not-the-token' } }).then(async (bad) => await bad.signedIn('ada@example.com')), OPS.factors) // an INTERNAL error (Okta refuses the token), logged with its stack

  const cookieValue = [...ada.cookies.values()][0]!
  t.ok(logs.length > 0, 'something was logged')
  t.match(logs, ok.headers['x-request-id'] as string, 'the request id is in the logs')
  // The GraphQL routes bind the request id to their child logger without pino's redaction pass (logging.ts).
  const okId = ok.headers['x-request-id'] as string
  const okLines = logs.split('\n').filter((line) => line.includes(okId))
  t.ok(okLines.length >= 2, 'the verify request logged its lines')
  t.ok(okLines.every((line) => (JSON.parse(line) as { reqId?: unknown }).reqId === okId && line.split('"reqId"').length === 2),
    'each is JSON bound to the request id, once')
  t.match(logs, /"variableNames":\["factorId","passCode"\]/, "variables are logged by name only, never by value")
  t.match(logs, /"incoming request"/, 'the request lines are logged')
  t.notMatch(logs, /"(cookie|proxy-authorization|authorization|dpop)":/, 'credential headers are not logged at all (only the request line\'s few)')
  t.match(logs, /internal error in the GraphQL gateway/, 'the masked error is logged server-side')
  for (const [what, value] of [
    // Passcodes are looked for as JSON strings: six bare digits may occur inside a timestamp by chance.
    ['API token', emu.token], ['right passcode', `"${right}"`], ['wrong passcode', `"${wrong}"`], ['activation code', `"${activationCode}"`],
    ['shared secret', secret], ['inline answer', 'inline answer'],
    ['seeded secret', SECRET], ['session cookie', cookieValue], ['session key', KEY_HEX],
    ...Object.entries(credentialHeaders).map(([name, value]) => [`${name} header`, value] as const),
  ] as const) {
    t.notOk(logs.includes(value), `no ${what} in the logs`)
  }
})

await t.test('a Redis that answers but refuses the commands (an ACL user without the keys, a full Redis): STORE_UNAVAILABLE, logged with why, never the password', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com', factors: [{ factorType: 'token:software:totp', sharedSecret: SECRET }] }] })
  const redis = await withRedis(t)
  const admin = new Redis(redis.url)
  t.teardown(() => { admin.disconnect() })
  const PW = 'acl-Pw-LEAK-9183'
  // Reachable, authenticated, and refused every key of the gateway's: "store not reachable" said nothing of it.
  await admin.call('ACL', 'SETUSER', 'scoped', 'on', `>${PW}`, '~other:*', '+@all')
  let logs = ''
  const logStream = new Writable({ write (chunk: Buffer, _enc, done) { logs += chunk.toString(); done() } })
  const gw = await startGatewayApp(t, emu, { logStream, env: { REDIS_URL: `redis://scoped:${PW}@127.0.0.1:${redis.port}` } })
  const ready = await gw.jar().fetch('/readyz')
  t.same([ready.status, ready.json()], [503, { status: 'unavailable', failed: ['store'] }])
  const ada = await gw.signedIn('ada@example.com')
  const verify = await gql(ada, OPS.verify, { factorId: 'ostfake000000000000', passCode: totp(SECRET, emu.clock.now()) })
  t.same([verify.status, codeOf(verify)], [503, 'STORE_UNAVAILABLE'])
  const lines = logs.split('\n').filter((l) => l.includes('"reason"')).map((l) => JSON.parse(l) as { msg: string, reason?: unknown, upstream?: { reason?: unknown } })
  t.match(lines.find((l) => l.msg === 'store not ready'), { reason: 'NOPERM' }, '/readyz says why')
  t.match(lines.find((l) => l.msg === 'graphql error'), { upstream: { code: 'STORE_UNAVAILABLE', reason: 'NOPERM' } }, 'so does the refused verify')
  // Full: the same, with Redis's own word for it.
  await admin.call('ACL', 'SETUSER', 'scoped', '~*')
  await admin.config('SET', 'maxmemory-policy', 'noeviction')
  await admin.config('SET', 'maxmemory', '1')
  const full = await gql(ada, OPS.verify, { factorId: 'ostfake000000000000', passCode: '123456' })
  await admin.config('SET', 'maxmemory', '0')
  t.equal(codeOf(full), 'STORE_UNAVAILABLE')
  t.match(logs.split('\n').filter((l) => l.includes('"graphql error"')).at(-1), /"reason":"OOM"/)
  t.notOk(logs.includes(PW), 'no password in the logs, at trace')
  t.notMatch(logs, /no permissions|maxmemory/, "nothing of Redis's reply but its code")
})

await t.test('inside an app: its hooks\' own errors, its child loggers and its Referer stay the app\'s; buildGatewayServer checks its options', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com' }] })
  const lines: string[] = []
  const { gatewayLoggerOptions } = await import('@okta-mfa/gateway')
  const app = Fastify({ logger: gatewayLoggerOptions({ level: 'info', stream: new Writable({ write (c, _e, cb) { lines.push(String(c)); cb() } }) }) })
  t.teardown(() => app.close())
  app.setChildLoggerFactory(function (logger, bindings, opts) { return logger.child({ ...bindings, tenant: 'acme' }, opts) })
  app.setErrorHandler((err: Error & { statusCode?: number, code?: string }, _request, reply) => {
    void reply.code(err.statusCode ?? 500).header('retry-after', '7').send({ app: true, code: err.code })
  })
  app.addHook('onRequest', async (request) => {
    const blocked = request.headers['x-blocked']
    if (blocked !== undefined) throw Object.assign(new Error('slow down'), { statusCode: 429, code: blocked === 'plugin' ? 'FST_ERR_RATE_LIMIT' : 'APP_RATE_LIMIT' })
  })
  await app.register(secureSession, { key: Buffer.from(KEY_HEX, 'hex') })
  await app.register(oktaMfaGateway, { orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, resolveUser: () => null })
  const body = JSON.stringify({ query: OPS.viewer })
  const headers = { 'content-type': 'application/json' }
  const blocked = await app.inject({ method: 'POST', url: '/graphql', headers: { ...headers, 'x-blocked': '1' }, body })
  t.equal(blocked.statusCode, 429, "the app's own 429 on the gateway's path, as on its other routes")
  t.same(blocked.json(), { app: true, code: 'APP_RATE_LIMIT' }, "answered by the app's error handler")
  t.equal(blocked.headers['retry-after'], '7')
  const byPlugin = await app.inject({ method: 'POST', url: '/graphql', headers: { ...headers, 'x-blocked': 'plugin' }, body })
  t.same([byPlugin.statusCode, byPlugin.json()], [429, { app: true, code: 'FST_ERR_RATE_LIMIT' }], "a plugin's own FST_ code is the app's too")
  const big = await app.inject({ method: 'POST', url: '/graphql', headers, body: JSON.stringify({ query: OPS.viewer, pad: 'x'.repeat(20_000) }) })
  t.equal(big.json().errors?.[0]?.extensions.code, 'PAYLOAD_TOO_LARGE', "the gateway's own refusals stay coded")
  // The headers an auth proxy adds with its tokens, under names of its own, and the original URLs some pass on.
  const proxyHeaders = {
    'x-forwarded-access-token': 'SECRET-PROXY-1', 'x-forwarded-authorization': 'Bearer SECRET-PROXY-2', 'x-amzn-oidc-accesstoken': 'SECRET-PROXY-3',
    'cf-access-jwt-assertion': 'eyJ.SECRET-PROXY-4.sig', 'x-goog-iap-jwt-assertion': 'eyJ.SECRET-PROXY-5.sig', 'x-ms-token-aad-access-token': 'SECRET-PROXY-6',
    'x-refresh-token': 'SECRET-PROXY-7', 'x-original-uri': '/graphql?passCode=SECRET-PROXY-8', 'x-envoy-original-path': '/graphql?passCode=SECRET-PROXY-9',
    'x-forwarded-path': '/graphql?passCode=SECRET-PROXY-10', 'x-original-url': '/graphql?passCode=SECRET-PROXY-11',
  }
  const plain = await app.inject({ method: 'POST', url: '/graphql', headers: { ...headers, ...proxyHeaders, 'user-agent': 'Agent/1.0', referer: 'https://user:SECRET-REF-PW@app.example/reset-password/SECRET-REF-PATH;jsessionid=SECRET-REF-SID?token=SECRET-RESET-TOKEN-123#frag', origin: 'https://user:SECRET-ORIGIN-PW@app.example/SECRET-ORIGIN-PATH' }, body })
  t.equal(plain.json().errors?.[0]?.extensions.code, 'UNAUTHENTICATED')
  const log = lines.join('')
  t.notMatch(log, /SECRET-RESET-TOKEN|SECRET-REF|#frag/, "nothing of a Referer's path, query, fragment or user info is logged")
  t.match(log, /"referer":"https:\/\/app\.example"/, 'its origin is')
  t.notMatch(log, /SECRET-ORIGIN/, 'nor anything but the origin of an Origin header a script filled with a URL')
  t.notMatch(log, /SECRET-PROXY/, "no proxy's token or original URL is logged, whatever its header is called")
  const incoming = lines.map((l) => JSON.parse(l) as { msg?: string, req?: { headers?: Record<string, unknown> } }).filter((l) => l.msg === 'incoming request').at(-1)
  t.same(incoming?.req?.headers, { 'content-type': 'application/json', 'content-length': String(body.length), 'user-agent': 'Agent/1.0', referer: 'https://app.example', origin: 'https://app.example', host: 'localhost:80' }, 'the request line names only where the request came from and what it is')
  await app.inject({ method: 'POST', url: '/graphql', headers: { ...headers, origin: 'null' }, body })
  const opaque = lines.map((l) => JSON.parse(l) as { msg?: string, req?: { headers?: Record<string, unknown> } }).filter((l) => l.msg === 'incoming request').at(-1)
  t.equal(opaque?.req?.headers?.['origin'], 'null', 'an opaque origin (a sandboxed frame, a file) is logged as sent')
  // A method Fastify does not route on the GraphQL path, and any unknown path, reach the app's not-found handler
  // (README): Fastify's "Route …:<url> not found" line logs the URL, which loses its query as every logged URL does.
  for (const [method, url] of [['PROPFIND', '/graphql?query=SECRET-IN-QUERY-1'], ['GET', '/reset?token=SECRET-IN-QUERY-2']] as const) {
    t.equal((await app.inject({ method, url })).statusCode, 404, `${method} ${url}: the app's not found`)
  }
  const notFound = lines.join('')
  t.notMatch(notFound, /SECRET-IN-QUERY/, "a not-found URL's query string is not logged")
  t.match(notFound, /"msg":"Route PROPFIND:\/graphql not found"/, 'its method and path are')
  const gatewayLines = lines.map((l) => JSON.parse(l) as { reqId?: string, tenant?: string }).filter((l) => l.reqId !== undefined)
  t.ok(gatewayLines.length > 0 && gatewayLines.every((l) => l.tenant === 'acme'), "the gateway's request lines carry the app's child bindings")

  const { buildGatewayServer } = await import('@okta-mfa/gateway')
  const config = loadServerConfig({ ...baseEnv })
  await t.rejects(buildGatewayServer(config, { store: {} } as never), { code: 'OKTA_MFA_GATEWAY_INVALID_OPTION', message: /"store" is not an option of buildGatewayServer/ }, 'a misspelt "stores"')
})


await t.test('a remembered device does not stand in for the code of a user Okta suspended or deactivated', async (t) => {
  const emu = await withEmulator(t)
  const key = randomBytes(32).toString('hex')
  const app = await startGatewayApp(t, emu, { env: { SESSION_KEY: key, OKTA_PROVISION: 'true' } })
  const login = 'ivan@example.com'
  const made = await emuFetch(emu, 'POST', '/api/v1/users?activate=true', { profile: { login, email: login, firstName: 'Ivan', lastName: 'V' }, credentials: { password: { value: 'Correct-Horse-9' } } })
  const userId = made.body.id as string
  const factorId = (await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors`, { factorType: 'token:software:totp', provider: 'GOOGLE' })).body.id as string
  await emuFetch(emu, 'POST', `/api/v1/users/${userId}/factors/${factorId}/lifecycle/activate`, { passCode: emu.totpCode(factorId) })
  // The app sharing SESSION_KEY remembered this browser after a right code (its RememberedDevices, the same secret).
  const appDevices = new RememberedDevices({ secret: Buffer.from(key, 'hex'), clock: emu.clock.now, activeFactorIds: async () => [factorId] })
  const device = await appDevices.issue({ id: login, login }, factorId)
  const completed = async (): Promise<unknown> => {
    const jar = await app.signedIn(login)
    jar.cookies.set('okta_mfa_device', device)
    return (await gql(jar, OPS.viewer)).body.data?.viewer?.mfa?.completed
  }
  t.equal(await completed(), true, 'ACTIVE: the device stands in for the code')
  const lifecycle = async (step: string): Promise<void> => { t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}/lifecycle/${step}`)).status, 200, step) }
  await lifecycle('suspend')
  t.equal(await completed(), false, 'SUSPENDED: not remembered')
  await lifecycle('unsuspend')
  t.equal(await completed(), true, 'unsuspended: the device stands in again (nothing was forgotten)')
  // The login renamed by an administrator mid-session: the device is judged against the Okta user the session is
  // bound to (the one `factors` lists), and no other Okta user is made for the login.
  const jar = await app.signedIn(login)
  jar.cookies.set('okta_mfa_device', device)
  t.equal((await gql(jar, OPS.factors)).body.data?.factors?.length, 1, 'the session is bound to ivan')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}`, { profile: { login: 'ivan.old@example.com' } })).status, 200)
  t.equal((await gql(jar, OPS.viewer)).body.data?.viewer?.mfa?.completed, true, 'renamed mid-session: still remembered')
  t.equal((await emuFetch(emu, 'GET', `/api/v1/users/${login}`)).status, 404, 'and no Okta user was made for the login')
  t.equal((await emuFetch(emu, 'POST', `/api/v1/users/${userId}`, { profile: { login } })).status, 200)
  await lifecycle('deactivate')
  t.equal(await completed(), false, 'DEPROVISIONED: not remembered')
})

await t.test('an app on @fastify/passport with the strategy, beside the standalone server: the session user it set is still there after the code', async (t) => {
  const emu = await withEmulator(t, { seed: [{ login: 'ada@example.com', factors: [{ factorType: 'token:software:totp' as const, sharedSecret: SECRET }] }] })
  const key = randomBytes(32)
  // The app: a password login that puts its user where the gateway reads it (the README's step), then the strategy.
  const app = Fastify()
  await app.register(formbody)
  await app.register(secureSession, { key, cookieName: 'session', cookie: { path: '/', httpOnly: true } })
  const fp = new Authenticator()
  await app.register(fp.initialize())
  await app.register(fp.secureSession())
  const ada = { id: 'u1', email: 'ada@example.com' }
  fp.use('local', new LocalStrategy((username, password, done) => { done(null, username === 'ada' && password === 'pw' ? ada : false) }))
  fp.use('okta-mfa', new OktaMfaStrategy({ orgUrl: emu.url, token: emu.token, allowInsecureHttp: true, clock: emu.clock.now, resolveOktaUser: (u: typeof ada) => ({ login: u.email }) }))
  fp.registerUserSerializer(async (user: typeof ada) => user.id)
  fp.registerUserDeserializer(async (id: string) => id === ada.id ? ada : null)
  app.post('/login', { preValidation: fp.authenticate('local', { failureRedirect: '/login' }) as never }, async (request, reply) => {
    request.session.set('user', { id: ada.id, login: ada.email })
    return await reply.redirect('/mfa')
  })
  app.post('/mfa', fp.authenticate('okta-mfa', { successRedirect: '/account', failureRedirect: '/mfa' }))
  t.teardown(() => app.close())
  const appJar = new CookieJar(await app.listen({ port: 0, host: '127.0.0.1' }))
  const gateway = await buildGatewayServer(loadServerConfig({ OKTA_ORG_URL: emu.url, OKTA_API_TOKEN: emu.token, OKTA_ALLOW_INSECURE_HTTP: 'true', SESSION_KEY: key.toString('hex'), SESSION_COOKIE_SECURE: 'false', LOG_LEVEL: 'silent' }), { gateway: { clock: emu.clock.now } })
  t.teardown(() => gateway.close())
  const gatewayUrl = await gateway.listen({ port: 0, host: '127.0.0.1' })
  // The browser's cookie for this site, sent to the gateway as to the app.
  const viewer = async (): Promise<Awaited<ReturnType<typeof gql>>> => {
    const jar = new CookieJar(gatewayUrl)
    jar.cookies.set('session', appJar.cookies.get('session')!)
    return await gql(jar, OPS.viewer)
  }

  t.equal((await appJar.fetch('/login', { form: { username: 'ada', password: 'pw' } })).location, '/mfa')
  t.match((await viewer()).body.data.viewer, { userKey: 'u1', mfa: { completed: false } }, 'after the password: the gateway sees the user')
  t.equal((await appJar.fetch('/mfa', { form: { passCode: totp(SECRET, emu.clock.now()) } })).location, '/account', 'the code, through the strategy')
  const after = await viewer()
  t.equal(after.body.errors, undefined, 'not UNAUTHENTICATED: the login after the code kept the session user')
  t.match(after.body.data.viewer, { userKey: 'u1', mfa: { completed: true, method: 'FORM' } }, 'and the MFA step is there')
})

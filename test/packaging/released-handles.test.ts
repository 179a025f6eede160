// Every package lets Node exit on its own once its documented close() has run: a fresh node process imports the
// built packages as an app would, starts the emulator, uses the client with an SSWS token and with an OAuth 2.0
// service app (DPoP, a 429 waited out), builds the gateway server with its memory stores and with Redis, creates
// the core Redis stores against a port where nothing answers, closes each, and then just returns. A timer, socket or
// connection left behind keeps that process alive, and tap's timeout fails the test.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import t from 'tap'
import { freePort, REPO_ROOT } from '../helpers/processes.js'
import { withRedis } from '../helpers/redis.js'

t.setTimeout(120_000)

const dist = (pkg: string): string => pathToFileURL(join(REPO_ROOT, 'packages', pkg, 'dist', 'index.js')).href

/** The app: top-level code that closes what it opened and never calls process.exit. */
function script (redisUrl: string, deadPort: number): string {
  return `
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { startEmulator } from ${JSON.stringify(dist('okta-emulator'))}
import { createOktaClient, totpActivation } from ${JSON.stringify(dist('okta-client'))}
import { buildGatewayServer, loadServerConfig } from ${JSON.stringify(dist('gateway'))}
import { createRedisStores } from ${JSON.stringify(dist('mfa-core'))}

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1' }
const emu = await startEmulator({
  port: 0, token: 'test-token', quiet: true,
  rateLimits: { windowMs: 1000, limits: { user: 1 } },
  serviceApps: [{ clientId: '0oa-handles', jwks: jwk, scopes: ['okta.users.read', 'okta.users.manage'] }],
})

const ssws = createOktaClient({ orgUrl: emu.url, token: 'test-token', allowInsecureHttp: true })
const user = await ssws.createUser({ profile: { login: 'exit@example.com', email: 'exit@example.com', firstName: 'E', lastName: 'X' } }, { activate: true })
const factor = await ssws.enrollFactor(user.id, { factorType: 'token:software:totp', provider: 'GOOGLE' })
const secret = totpActivation(factor).sharedSecret
await ssws.activateFactor(user.id, factor.id, { passCode: emu.totpCode(factor.id) })
await ssws.close()

const oauth = createOktaClient({
  orgUrl: emu.url, allowInsecureHttp: true,
  auth: { clientId: '0oa-handles', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }), keyId: 'k1', scopes: ['okta.users.read', 'okta.users.manage'], dpop: true },
})
await oauth.getUser(user.id) // the OAuth token first (its own bucket)
// At the start of a one-second window: one call takes the user bucket's only slot, the next is refused (429), and the
// one after waits out that 429 (its timer is what close() must not leave behind).
await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20))
const first = await oauth.getUser(user.id)
const refused = await oauth.getUser(user.id, { waitOnRateLimit: false }).then(() => undefined, (err) => err.code)
if (refused !== 'OKTA_RATE_LIMITED') throw new Error('no 429 to wait out: ' + refused)
const second = await oauth.getUser('exit@example.com')
if (first.id !== second.id || secret === undefined) throw new Error('unexpected answers')
await oauth.close()

const sessionKey = randomBytes(32).toString('hex')
for (const redis of [undefined, ${JSON.stringify(redisUrl)}]) {
  const env = { OKTA_ORG_URL: emu.url, OKTA_API_TOKEN: 'test-token', OKTA_ALLOW_INSECURE_HTTP: 'true', SESSION_KEY: sessionKey, LOG_LEVEL: 'silent' }
  if (redis !== undefined) env.REDIS_URL = redis
  const app = await buildGatewayServer(loadServerConfig(env))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const res = await fetch('http://127.0.0.1:' + app.server.address().port + '/readyz')
  if (res.status !== 200) throw new Error('readyz answered ' + res.status + (redis === undefined ? '' : ' with Redis'))
  await res.text()
  await app.close()
}

const dead = createRedisStores('redis://127.0.0.1:${deadPort}', { commandTimeoutMs: 200 })
const failed = await dead.attempts.increment('k', 60_000, Date.now()).then(() => false, (err) => err.code === 'STORE_UNAVAILABLE')
if (!failed) throw new Error('a Redis that is not there took a write')
await dead.close()

await emu.close()
console.log('closed')
`
}

void t.test('after close(), nothing keeps Node alive: emulator, client (SSWS, OAuth), gateway (memory, Redis), Redis stores', async (t) => {
  const redis = await withRedis(t)
  const dir = mkdtempSync(join(tmpdir(), 'okta-mfa-handles-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'app.mjs')
  writeFileSync(file, script(redis.url, await freePort()))
  const child = spawn(process.execPath, [file], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const [code, signal] = await once(child, 'exit') as [number | null, NodeJS.Signals | null]
  t.same({ code, signal }, { code: 0, signal: null }, `exits 0 on its own (its output: ${JSON.stringify(out)})`)
  t.match(out, /^closed$/m, 'the app ran to its end')
})

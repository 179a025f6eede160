// Runs the example: `pnpm example:express` at the repository root. Without OKTA_ORG_URL it starts the
// Okta emulator in-process and seeds a demo user whose TOTP factor is already active.
import { randomBytes } from 'node:crypto'
import { startEmulator, type Emulator } from '@okta-mfa/emulator'
import { buildApp, type OktaConnection } from './app.js'
import { oktaConnectionFromEnv } from './okta-env.js'
import { OktaAuthEnvError } from 'passport-okta-mfa'
import { redisStores, type RedisSetup } from './redis.js'
import { createExampleServer } from './server.js'
import { ConfigError, readSettings, type Settings } from './config.js'
import type { UserSeed } from './users.js'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const DEMO_FACTOR_ID = 'ostdemo0express0app1'

function randomBase32 (length: number): string {
  return [...randomBytes(length)].map((b) => BASE32[b % 32]).join('')
}

/** The demo user's well-known password, used (and printed) only in the default local mode without DEMO_PASSWORD. */
const WELL_KNOWN_PASSWORD = 'lovelace-1815'

/** Why the HTTP server could not listen, naming PORT and HOST (never a password): one line for stderr. */
function listenProblem (err: unknown, port: number, host: string): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  const where = `Port ${port} on ${host}`
  if (code === 'EADDRINUSE') return `${where} is already in use: set PORT to a free port (or HOST to another address), e.g. PORT=3002 pnpm example:express.`
  if (code === 'EACCES') return `${where} needs privileges: set PORT to a port above 1023.`
  if (code === 'EADDRNOTAVAIL') return `${where} cannot be used: HOST is not an address of this machine; set HOST to one (or unset it for 127.0.0.1).`
  return `${where} cannot be used (${typeof code === 'string' ? code : 'listen failed'}): check PORT and HOST.`
}

/** Why the in-process emulator could not listen, naming EMULATOR_PORT: one line for stderr; undefined for other errors. */
function emulatorListenProblem (err: unknown, port: number): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  const where = `Port ${port} on 127.0.0.1 (the Okta emulator, OKTA_ORG_URL unset)`
  if (code === 'EADDRINUSE') return `${where} is already in use: set EMULATOR_PORT to a free port, or unset it for any free port.`
  if (code === 'EACCES') return `${where} needs privileges: set EMULATOR_PORT to a port above 1023, or unset it for any free port.`
  return undefined
}

async function main (): Promise<void> {
  // Every setting is checked before anything starts: a bad one is one line naming the variable, then exit 1.
  let settings: Settings
  let fromEnv: ReturnType<typeof oktaConnectionFromEnv>
  try {
    settings = readSettings(process.env)
    // OKTA_ORG_URL with OKTA_API_TOKEN or the OAuth 2.0 settings (OKTA_CLIENT_ID, ...); unset: the emulator.
    fromEnv = oktaConnectionFromEnv(process.env)
  } catch (err) {
    if (!(err instanceof ConfigError) && !(err instanceof OktaAuthEnvError)) throw err
    console.error(`Configuration error: ${err.message}`)
    process.exit(1)
  }
  const { host, port, localMode } = settings
  const demoUser: UserSeed = {
    id: 'u1',
    username: 'ada',
    // Bound elsewhere without DEMO_PASSWORD: a random password that nobody knows (never printed).
    password: settings.demoPassword ?? (localMode ? WELL_KNOWN_PASSWORD : randomBytes(18).toString('base64url')),
    email: 'ada@example.com',
    displayName: 'Ada Lovelace',
  }
  let emulator: Emulator | undefined
  let okta: OktaConnection
  let demoHint: string | undefined
  let emulatorBanner: (() => void) | undefined
  if (fromEnv === undefined) {
    const sharedSecret = randomBase32(16)
    try {
      emulator = await startEmulator({
        port: settings.emulatorPort,
        quiet: true,
        seed: [{
          login: demoUser.email,
          firstName: 'Ada',
          lastName: 'Lovelace',
          factors: [{ id: DEMO_FACTOR_ID, factorType: 'token:software:totp', provider: 'GOOGLE', sharedSecret }],
        }],
      })
    } catch (err) {
      // A busy EMULATOR_PORT is a setting to change, like a busy PORT: one line, exit 1, no stack.
      const problem = emulatorListenProblem(err, settings.emulatorPort)
      if (problem === undefined) throw err
      console.error(problem)
      process.exit(1)
    }
    okta = { orgUrl: emulator.url, token: emulator.token, allowInsecureHttp: true }
    const uri = `otpauth://totp/${encodeURIComponent(`okta-mfa demo:${demoUser.email}`)}?secret=${sharedSecret}&issuer=${encodeURIComponent('okta-mfa demo')}&digits=6&period=30`
    demoHint = 'Demo: the current code is printed in the terminal every 30 seconds.'
    const em = emulator
    // Printed once the server listens (a busy PORT or a bad HOST prints one line and no banner, no secret).
    emulatorBanner = () => {
      // Each instance started so is an org of its own (its own users, factors and secrets): several instances need one.
      console.log(`Okta emulator on ${em.url} (OKTA_ORG_URL unset: an org of this process only; for several instances start one and set OKTA_ORG_URL, see the README)`)
      console.log('Add the demo factor to an authenticator app with this URI (or type the secret):')
      console.log(`  ${uri}`)
      const printCode = (): void => { console.log(`  current code: ${em.totpCode(DEMO_FACTOR_ID)}`) }
      printCode()
      setTimeout(() => { printCode(); setInterval(printCode, 30_000).unref() }, 30_000 - (Date.now() % 30_000)).unref()
    }
  } else {
    okta = fromEnv
  }

  const sessionSecret = settings.sessionSecret ?? randomBytes(32).toString('hex')
  const { mfaMaxAgeSeconds, rememberDeviceDays, redisUrl } = settings
  // With REDIS_URL: sessions, attempt counters and revocations in Redis, shared by every instance. Without: in memory.
  // Once per outage, not at every reconnect attempt.
  const redis: RedisSetup | undefined = redisUrl === undefined
    ? undefined
    : redisStores(redisUrl, (status) => {
      if (status === 'down') console.error('Redis unreachable: pages answer 503 and no sign-in or passcode is checked until it is back')
      else console.error('Redis reachable again')
    })
  let built: ReturnType<typeof buildApp>
  try {
    built = buildApp({
      okta,
      users: [demoUser],
      sessionSecret,
      oldSessionSecrets: settings.oldSessionSecrets,
      trustProxy: settings.trustProxy,
      ...(mfaMaxAgeSeconds === undefined ? {} : { mfaMaxAgeSeconds }),
      ...(rememberDeviceDays === undefined ? {} : { rememberDeviceDays }),
      ...(demoHint === undefined ? {} : { demoHint }),
      ...(redis === undefined ? {} : { attemptStore: redis.attemptStore, revocations: redis.revocations, sessionStore: redis.sessionStore }),
    })
  } catch (err) {
    await redis?.close() // a live client would keep the process from exiting
    await emulator?.close()
    throw err
  }
  const { app, close } = built
  // The first requests wait for nothing: listening before the Redis client's first connection made them 503.
  await redis?.ready()
  // Node's limits on a slow client and coded answers to what its parser refuses (app.listen would set neither).
  const server = createExampleServer(app)
  // A listen error (a busy PORT, a HOST not of this machine) is the server's 'error' event.
  server.once('error', (err: Error) => {
    console.error(listenProblem(err, port, host))
    process.exit(1)
  })
  server.listen(port, host, () => {
    emulatorBanner?.()
    const address = server.address()
    const bound = typeof address === 'object' && address !== null ? address.port : port
    console.log(`Express example on http://${host.includes(':') ? `[${host}]` : host}:${bound}`)
    console.log(redis === undefined ? 'Sessions, attempt counters and revocations: in this process (set REDIS_URL to share them)' : 'Sessions, attempt counters and revocations: in Redis (REDIS_URL)')
    // Only the built-in, well-known password is ever printed; one chosen in DEMO_PASSWORD never is.
    if (settings.demoPassword !== undefined) console.log(`Sign in as "${demoUser.username}" with the password in DEMO_PASSWORD (not printed), then enter the 6-digit code.`)
    else if (localMode) console.log(`Sign in as "${demoUser.username}" with password "${WELL_KNOWN_PASSWORD}", then enter the 6-digit code.`)
    else console.log(`Listening on ${host} (HOST is set): "${demoUser.username}" has a random password that nobody knows; set DEMO_PASSWORD to choose one.`)
  })
  const stop = (): void => {
    server.close()
    // Node stops enforcing its request timeout once the server closes: a socket that sends nothing, or a body that
    // stalls, would keep the process alive for good. Idle ones go now; whatever is left 10 s later is cut.
    server.closeIdleConnections()
    setTimeout(() => { server.closeAllConnections() }, 10_000).unref()
    void close().then(async () => { await redis?.close(); await emulator?.close() })
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((err: unknown) => {
  // A configuration error is one line that names the variables (never a key or token); anything else in full.
  // process.exit: the emulator or the Redis client may already be running and would keep the process alive.
  if (err instanceof OktaAuthEnvError || err instanceof ConfigError) console.error(`Configuration error: ${err.message}`)
  else console.error(err)
  process.exit(1)
})

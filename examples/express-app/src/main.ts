// Runs the example: `pnpm example:express` at the repository root. Without OKTA_ORG_URL it starts the
// Okta emulator in-process and seeds a demo user whose TOTP factor is already active.
import { randomBytes } from 'node:crypto'
import { startEmulator, type Emulator } from '@okta-mfa/emulator'
import { buildApp, type OktaConnection } from './app.js'
import { oktaConnectionFromEnv } from './okta-env.js'
import { OktaAuthEnvError } from 'passport-okta-mfa'
import { redisStores, redisUrlProblem, type RedisSetup } from './redis.js'
import type { UserSeed } from './users.js'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const DEMO_FACTOR_ID = 'ostdemo0express0app1'

function randomBase32 (length: number): string {
  return [...randomBytes(length)].map((b) => BASE32[b % 32]).join('')
}

/** Where the example listens unless HOST says otherwise: this machine only. */
const DEFAULT_HOST = '127.0.0.1'
const host = process.env.HOST === undefined || process.env.HOST === '' ? DEFAULT_HOST : process.env.HOST
/**
 * The default local mode: bound to loopback. Only then does the demo account keep its well-known password and is
 * the password printed; bound elsewhere, it is DEMO_PASSWORD or a random one that is never printed.
 */
const localMode = host === DEFAULT_HOST

const demoUser: UserSeed = {
  id: 'u1',
  username: 'ada',
  password: process.env.DEMO_PASSWORD ?? (localMode ? 'lovelace-1815' : randomBytes(18).toString('base64url')),
  email: 'ada@example.com',
  displayName: 'Ada Lovelace',
}

async function main (): Promise<void> {
  const port = Number(process.env.PORT ?? 3001)
  const redisUrl = process.env.REDIS_URL === undefined || process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL
  const redisProblem = redisUrl === undefined ? undefined : redisUrlProblem(redisUrl)
  if (redisProblem !== undefined) {
    console.error(`Configuration error: ${redisProblem}`)
    process.exitCode = 1
    return
  }
  let emulator: Emulator | undefined
  let okta: OktaConnection
  let demoHint: string | undefined
  // OKTA_ORG_URL with OKTA_API_TOKEN or the OAuth 2.0 settings (OKTA_CLIENT_ID, ...); unset: the emulator.
  const fromEnv = oktaConnectionFromEnv(process.env)
  if (fromEnv === undefined) {
    const sharedSecret = randomBase32(16)
    emulator = await startEmulator({
      port: Number(process.env.EMULATOR_PORT ?? 0),
      quiet: true,
      seed: [{
        login: demoUser.email,
        firstName: 'Ada',
        lastName: 'Lovelace',
        factors: [{ id: DEMO_FACTOR_ID, factorType: 'token:software:totp', provider: 'GOOGLE', sharedSecret }],
      }],
    })
    okta = { orgUrl: emulator.url, token: emulator.token, allowInsecureHttp: true }
    const uri = `otpauth://totp/${encodeURIComponent(`okta-mfa demo:${demoUser.email}`)}?secret=${sharedSecret}&issuer=${encodeURIComponent('okta-mfa demo')}&digits=6&period=30`
    demoHint = 'Demo: the current code is printed in the terminal every 30 seconds.'
    console.log(`Okta emulator on ${emulator.url} (OKTA_ORG_URL unset)`)
    console.log('Add the demo factor to an authenticator app with this URI (or type the secret):')
    console.log(`  ${uri}`)
    const em = emulator
    const printCode = (): void => { console.log(`  current code: ${em.totpCode(DEMO_FACTOR_ID)}`) }
    printCode()
    setTimeout(() => { printCode(); setInterval(printCode, 30_000).unref() }, 30_000 - (Date.now() % 30_000)).unref()
  } else {
    okta = fromEnv
  }

  const sessionSecret = process.env.SESSION_SECRET ?? randomBytes(32).toString('hex')
  const maxAge = process.env.MFA_MAX_AGE_SECONDS
  const rememberDays = process.env.REMEMBER_DEVICE_DAYS
  // With REDIS_URL: sessions, attempt counters and revocations in Redis, shared by every instance. Without: in memory.
  // Once per outage, not at every reconnect attempt.
  const redis: RedisSetup | undefined = redisUrl === undefined
    ? undefined
    : redisStores(redisUrl, (status) => {
      if (status === 'down') console.error('Redis unreachable: sign-in and passcode attempts are refused until it is back')
      else console.error('Redis reachable again')
    })
  let built: ReturnType<typeof buildApp>
  try {
    built = buildApp({
    okta,
    users: [demoUser],
    sessionSecret,
    ...(maxAge === undefined ? {} : { mfaMaxAgeSeconds: Number(maxAge) }),
    ...(rememberDays === undefined || rememberDays === '' ? {} : { rememberDeviceDays: Number(rememberDays) }),
    ...(demoHint === undefined ? {} : { demoHint }),
    ...(redis === undefined ? {} : { attemptStore: redis.attemptStore, revocations: redis.revocations, sessionStore: redis.sessionStore }),
    })
  } catch (err) {
    await redis?.close() // a live client would keep the process from exiting
    await emulator?.close()
    throw err
  }
  const { app, close } = built
  const server = app.listen(port, host, () => {
    console.log(`Express example on http://${host.includes(':') ? `[${host}]` : host}:${port}`)
    console.log(redis === undefined ? 'Sessions, attempt counters and revocations: in this process (set REDIS_URL to share them)' : 'Sessions, attempt counters and revocations: in Redis (REDIS_URL)')
    if (localMode) console.log(`Sign in as "${demoUser.username}" with password "${demoUser.password}", then enter the 6-digit code.`)
    else console.log(`Listening on ${host} (HOST is set): sign in as "${demoUser.username}" with the password in DEMO_PASSWORD (not printed).`)
  })
  const stop = (): void => {
    server.close()
    void close().then(async () => { await redis?.close(); await emulator?.close() })
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((err: unknown) => {
  // A configuration error is one line that names the variables (never a key or token); anything else in full.
  if (err instanceof OktaAuthEnvError) console.error(`Configuration error: ${err.message}`)
  else console.error(err)
  process.exitCode = 1
})

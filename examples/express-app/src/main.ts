// Runs the example: `pnpm example:express` at the repository root. Without OKTA_ORG_URL it starts the
// Okta emulator in-process and seeds a demo user whose TOTP factor is already active.
import { randomBytes } from 'node:crypto'
import { startEmulator, type Emulator } from '@okta-mfa/emulator'
import { buildApp, type OktaConnection } from './app.js'
import type { UserSeed } from './users.js'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const DEMO_FACTOR_ID = 'ostdemo0express0app1'

function randomBase32 (length: number): string {
  return [...randomBytes(length)].map((b) => BASE32[b % 32]).join('')
}

const demoUser: UserSeed = {
  id: 'u1',
  username: 'ada',
  password: process.env.DEMO_PASSWORD ?? 'lovelace-1815',
  email: 'ada@example.com',
  displayName: 'Ada Lovelace',
}

async function main (): Promise<void> {
  const port = Number(process.env.PORT ?? 3001)
  let emulator: Emulator | undefined
  let okta: OktaConnection
  let demoHint: string | undefined
  if (process.env.OKTA_ORG_URL === undefined || process.env.OKTA_ORG_URL === '') {
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
    const token = process.env.OKTA_API_TOKEN
    if (token === undefined || token === '') throw new Error('OKTA_API_TOKEN must be set with OKTA_ORG_URL')
    okta = { orgUrl: process.env.OKTA_ORG_URL, token }
  }

  const sessionSecret = process.env.SESSION_SECRET ?? randomBytes(32).toString('hex')
  const maxAge = process.env.MFA_MAX_AGE_SECONDS
  const { app, close } = buildApp({
    okta,
    users: [demoUser],
    sessionSecret,
    ...(maxAge === undefined ? {} : { mfaMaxAgeSeconds: Number(maxAge) }),
    ...(demoHint === undefined ? {} : { demoHint }),
  })
  const server = app.listen(port, () => {
    console.log(`Express example on http://localhost:${port}`)
    console.log(`Sign in as "${demoUser.username}" with password "${demoUser.password}", then enter the 6-digit code.`)
  })
  const stop = (): void => {
    server.close()
    void close().then(async () => await emulator?.close())
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})

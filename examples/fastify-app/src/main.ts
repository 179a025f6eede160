// `pnpm start`: reads the environment, builds the app (starting the emulator in-process when no Okta org is
// configured), listens, and prints the URL and how to sign in with the demo accounts.
import { randomBytes } from 'node:crypto'
import { isLoopbackHost } from '@okta-mfa/client'
import { buildApp } from './app.js'
import { ConfigError, readConfig, type AppConfig } from './config.js'
import { HIDDEN_DEMO_PASSWORD, RANDOM_DEMO_PASSWORD, type DemoAccounts, type DemoInfo } from './demo.js'
import { DEMO_USERS } from './users.js'

function groupKey (secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret
}

/**
 * The text printed at start (no secrets but the demo's own, which exist only in the emulator). Every http link in it
 * opens in a browser: the emulator's own URLs are an API that needs its token (never printed), so only its port is named.
 */
export function banner (config: AppConfig, url: string, emulatorUrl: string | undefined, demo: DemoInfo | undefined, accounts: DemoAccounts | undefined): string {
  const lines = ['', 'okta-mfa example app']
  if (emulatorUrl !== undefined) {
    lines.push(`  Okta:  the local emulator, started in-process (its API on port ${new URL(emulatorUrl).port}; OKTA_ORG_URL is not set)`)
    if (config.emulatorAuth === 'oauth') lines.push('         over OAuth 2.0 with DPoP: a service app was registered there at start (DEMO_OKTA_AUTH=oauth)')
  } else {
    lines.push(`  Okta:  ${config.okta?.orgUrl ?? ''}${config.okta !== undefined && 'auth' in config.okta ? ` (OAuth 2.0 service app ${config.okta.auth.clientId})` : ''}`)
  }
  lines.push(config.redisUrl === undefined
    ? '  Stores: attempt counters and session revocations in this process (set REDIS_URL to share them between instances)'
    : '  Stores: attempt counters and session revocations in Redis (REDIS_URL), shared by every instance')
  if (emulatorUrl !== undefined && config.redisUrl !== undefined) {
    // Redis is shared, the in-process emulator is not: two such instances are two Okta orgs, each its users' factors.
    lines.push("  NOTE:  the in-process emulator is this instance's own Okta org: instances that serve one app need one",
      '         OKTA_ORG_URL as well (a real org, or one emulator they all use: `npx okta-emulator`)')
  }
  if (config.sessionKeyGenerated) {
    lines.push('  WARNING: SESSION_KEY is not set, so a random session key was generated for this run:',
      '           sessions end when the app stops. In production set SESSION_KEY (e.g. `openssl rand -hex 32`).')
  }
  lines.push('', `  Open ${url}`, '')
  if (accounts !== undefined && accounts.list.length > 0) {
    const width = Math.max(...accounts.list.map((a) => a.username.length))
    lines.push(accounts.okta === 'emulator'
      ? '  Demo sign-in (these accounts exist only in the emulator):'
      : "  Demo sign-in (the app's own accounts; their Okta users are looked up by login, and made at the first sign-in):")
    for (const a of accounts.list) lines.push(`    username ${a.username.padEnd(width)}  password ${a.password}  ${a.note}`)
    lines.push('')
  }
  if (demo !== undefined) {
    lines.push(
      `  ${demo.totpUser.username}'s authenticator: add it to Google Authenticator (or any TOTP app) by hand with`,
      `    key      ${groupKey(demo.totpUser.sharedSecret)}   (time-based, 6 digits, every 30 s)`,
      `    or URI   ${demo.totpUser.otpauthUri}`,
      `    no phone? node examples/fastify-app/dist/totp-cli.js ${demo.totpUser.sharedSecret}   prints the current code`,
      '',
      `  ${demo.smsUser.username}'s text messages go to the emulator's outbox: they are printed below as they are sent,`,
      `    and shown to the signed-in user at ${url}/dev/outbox`,
      '')
  } else if (emulatorUrl !== undefined) {
    lines.push('')
  }
  return lines.join('\n')
}

async function main (): Promise<void> {
  let config: AppConfig
  try {
    // `--oauth` is the same switch as DEMO_OKTA_AUTH=oauth.
    config = readConfig(process.argv.includes('--oauth') ? { ...process.env, DEMO_OKTA_AUTH: 'oauth' } : process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`)
      process.exit(1)
    }
    throw err
  }
  // Bound to loopback (the default) and without DEMO_PASSWORD, the demo accounts keep their well-known password,
  // printed and shown on the sign-in page. DEMO_PASSWORD (anywhere) is never printed nor shown; reachable from
  // elsewhere without it, the password is random: nobody knows it, and the banner and the page say so. Loopback is
  // the org URL's rule: 127.0.0.0/8, `localhost` in any case, `::1`.
  const localMode = isLoopbackHost(config.host)
  const password = config.demoPassword ?? (localMode ? undefined : randomBytes(18).toString('base64url'))
  const { app, emulator, demo, accounts } = await buildApp({
    ...(password === undefined ? {} : { users: DEMO_USERS.map((u) => ({ ...u, password })) }),
    showDemoPasswords: password === undefined,
    hiddenPasswordNote: config.demoPassword === undefined ? RANDOM_DEMO_PASSWORD : HIDDEN_DEMO_PASSWORD,
    sessionKey: config.sessionKey,
    oldSessionKeys: config.sessionKeys.slice(1),
    ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
    ...(config.okta === undefined ? {} : config.okta),
    ...(config.emulatorAuth === undefined ? {} : { emulatorAuth: config.emulatorAuth }),
    trustProxy: config.trustProxy,
    rememberDeviceDays: config.rememberDeviceDays,
    logger: { level: config.logLevel },
  })
  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      const why = code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges'
      console.error(`Port ${config.port} on ${config.host} ${why}: set PORT to another port (e.g. PORT=3001 pnpm start).`)
    } else if (typeof code === 'string') {
      // Anything else the system says about the address (ENOTFOUND, EADDRNOTAVAIL, EAI_AGAIN…) is HOST's fault.
      console.error(`Configuration error: HOST must be an address of this machine to listen on (e.g. 127.0.0.1 or 0.0.0.0), got ${JSON.stringify(config.host)} (${code})`)
    } else {
      throw err
    }
    process.exit(1)
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  console.log(banner(config, `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`, emulator?.url, demo, accounts))

  let closing = false
  const stop = (signal: string): void => {
    if (closing) return
    closing = true
    console.log(`\n${signal}: shutting down`)
    app.close().then(() => process.exit(0), (err: unknown) => {
      console.error(err)
      process.exit(1)
    })
  }
  process.once('SIGINT', () => { stop('SIGINT') })
  process.once('SIGTERM', () => { stop('SIGTERM') })
}

main().catch((err: unknown) => {
  console.error('The app could not start:', err instanceof Error ? err.message : err)
  process.exit(1)
})

// The Okta side of the example: the org it talks to (an Okta org when `orgUrl` is given, else the emulator started
// in-process and seeded with the demo users), the client for it, and the accounts the banner and sign-in page list.
import { createOktaClient, type OktaClient } from '@okta-mfa/client'
import { startEmulator, type Emulator } from '@okta-mfa/emulator'
import { DEMO_ISSUER, demoSeed, HIDDEN_DEMO_PASSWORD, orgAccounts, type DemoAccounts, type DemoInfo } from './demo.js'
import { registerDemoServiceApp } from './okta-auth.js'
import type { BuildAppOptions } from './options.js'
import type { UserSeed } from './users.js'

/**
 * How long a read that meets Okta's rate limit (429) waits for its reset: not at all. The client would otherwise wait
 * up to 10 s for a reset that is a few seconds away, holding a page that should answer at once with "Okta is busy"
 * and when to try again (Retry-After).
 */
const PAGE_RATE_LIMIT_WAIT_MS = 0

/** What {@link connectOkta} sets up. */
export interface OktaSetup {
  client: OktaClient
  /** The in-process emulator, when no `orgUrl` was given (the caller closes it). */
  emulator: Emulator | undefined
  /** The demo accounts (emulator only). */
  demo: DemoInfo | undefined
  /** The accounts the banner and the sign-in page list, with the emulator or an Okta org (undefined: custom seed). */
  accounts: DemoAccounts | undefined
}

/** The client for `options.orgUrl`, or for an emulator it starts (seeded with `seeds` unless the options give a seed). */
export async function connectOkta (options: BuildAppOptions, clock: () => number, seeds: readonly UserSeed[]): Promise<OktaSetup> {
  // As the banner and the sign-in page list them: the password replaced by a note when it is not shown.
  const hidden = <T extends { password: string }>(list: T[]): T[] => options.showDemoPasswords !== false
    ? list
    : list.map((a) => ({ ...a, password: options.hiddenPasswordNote ?? HIDDEN_DEMO_PASSWORD }))
  if (options.orgUrl === undefined) {
    const seeded = options.emulator?.seed === undefined ? demoSeed(seeds) : undefined
    const demo = seeded === undefined ? undefined : { ...seeded.info, accounts: hidden(seeded.info.accounts) }
    const emulator = await startEmulator({
      port: 0,
      issuer: DEMO_ISSUER,
      ...options.emulator,
      ...(seeded === undefined ? {} : { seed: seeded.seed }),
      ...(options.clock === undefined ? {} : { clock }),
    })
    // With 'oauth' the app never holds the emulator's API token: every call it makes carries a DPoP-bound token.
    const auth = options.emulatorAuth === 'oauth' ? registerDemoServiceApp(emulator) : emulator.token
    const client = createOktaClient({ orgUrl: emulator.url, auth, allowInsecureHttp: true, rateLimitMaxWaitMs: PAGE_RATE_LIMIT_WAIT_MS })
    return { client, emulator, demo, accounts: demo === undefined ? undefined : { okta: 'emulator', list: demo.accounts } }
  }
  // The built-in demo users (or any list whose passwords are hidden): an app's own users are not listed.
  let accounts: DemoAccounts | undefined
  if (options.users === undefined || options.showDemoPasswords === false) {
    const org = orgAccounts(seeds)
    accounts = { ...org, list: hidden(org.list) }
  }
  const client = createOktaClient({
    orgUrl: options.orgUrl,
    ...(options.auth === undefined ? { token: options.token! } : { auth: options.auth }),
    allowInsecureHttp: options.allowInsecureHttp ?? false,
    rateLimitMaxWaitMs: PAGE_RATE_LIMIT_WAIT_MS,
  })
  return { client, emulator: undefined, demo: undefined, accounts }
}

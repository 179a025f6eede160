// The demo data the emulator starts with: alice with no factor (her first sign-in enrolls one), bob with an
// active TOTP factor whose key is printed so a person can add it to an authenticator app, and carol with an
// active sms factor whose codes land in the emulator's outbox.
import { randomBytes } from 'node:crypto'
import type { SeedUser } from '@okta-mfa/emulator'
import type { UserSeed } from './users.js'

/** Issuer shown by authenticator apps for this demo. */
export const DEMO_ISSUER = 'okta-mfa demo'
/** What stands for a demo password set in DEMO_PASSWORD: it is never shown. */
export const HIDDEN_DEMO_PASSWORD = 'the one in DEMO_PASSWORD (not shown)'
/** What stands for the random demo password of an app reachable beyond loopback without DEMO_PASSWORD. */
export const RANDOM_DEMO_PASSWORD = 'random for this run, known to nobody (set DEMO_PASSWORD to choose one)'

/** carol's (fictional, 555) phone number. */
export const DEMO_PHONE = '+15555550103'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/** A random base32 TOTP secret of 16 characters (80 bits), the length Okta hands out. */
export function newBase32Secret (): string {
  return [...randomBytes(16)].map((b) => ALPHABET[b & 31]).join('')
}

/** The otpauth:// URI an authenticator app reads from a QR code (Key Uri Format). */
export function otpauthUri (issuer: string, account: string, secret: string): string {
  const label = encodeURIComponent(`${issuer}:${account}`)
  return `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`
}

/** What main.ts prints about the demo accounts. */
export interface DemoInfo {
  /** Sign-in of each demo account, with what it shows. */
  accounts: Array<{ username: string, password: string, note: string }>
  totpUser: { username: string, sharedSecret: string, otpauthUri: string }
  smsUser: { username: string, phoneNumber: string }
}

/** The demo accounts as the banner and the sign-in page list them, and where their Okta users are. */
export interface DemoAccounts {
  /** The in-process emulator (seeded, with factors), or the Okta org configured (users made at first sign-in). */
  okta: 'emulator' | 'org'
  list: Array<{ username: string, password: string, note: string }>
}

/**
 * The demo accounts against a real Okta org: the app's own users, whose Okta users are looked up by login and made at
 * the first sign-in, without a factor (everyone starts with enrollment).
 * @example
 * orgAccounts(DEMO_USERS).list[0] // { username: 'alice', password: 'correct-horse-battery', note: '…' }
 */
export function orgAccounts (users: readonly UserSeed[]): DemoAccounts {
  return { okta: 'org', list: users.map((u) => ({ username: u.username, password: u.password, note: `Okta user ${u.oktaLogin}: the first sign-in sets up a factor` })) }
}

/**
 * The emulator seed for the demo users and what to print about them.
 * @example
 * const { seed, info } = demoSeed(DEMO_USERS)
 * await startEmulator({ seed })
 */
export function demoSeed (users: readonly UserSeed[]): { seed: SeedUser[], info: DemoInfo } {
  const [alice, bob, carol] = users
  if (alice === undefined || bob === undefined || carol === undefined) throw new TypeError('"users" option must list at least three demo users')
  const sharedSecret = newBase32Secret()
  const profile = (u: UserSeed): SeedUser => {
    const [firstName, ...rest] = u.displayName.split(' ')
    return { login: u.oktaLogin, email: u.oktaLogin, firstName: firstName ?? u.username, lastName: rest.join(' ') || u.username }
  }
  const seed: SeedUser[] = [
    profile(alice),
    { ...profile(bob), factors: [{ factorType: 'token:software:totp', provider: 'GOOGLE', sharedSecret }] },
    { ...profile(carol), factors: [{ factorType: 'sms', phoneNumber: DEMO_PHONE }] },
  ]
  return {
    seed,
    info: {
      accounts: [
        { username: alice.username, password: alice.password, note: 'no factor yet: the first sign-in sets one up' },
        { username: bob.username, password: bob.password, note: 'authenticator app already set up (key printed in the console)' },
        { username: carol.username, password: carol.password, note: 'text message: codes go to the emulator outbox' },
      ],
      totpUser: { username: bob.username, sharedSecret, otpauthUri: otpauthUri(DEMO_ISSUER, bob.oktaLogin, sharedSecret) },
      smsUser: { username: carol.username, phoneNumber: DEMO_PHONE },
    },
  }
}

// What the route modules share: the Okta client, the user store, the guards. Built once in app.ts.
import type { Authenticator } from '@fastify/passport'
import type { OktaClient } from '@okta-mfa/client'
import type { Emulator } from '@okta-mfa/emulator'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { AttemptLimiter, RememberedDevices, RevocationStore } from 'passport-okta-mfa'
import type { OktaDirectory } from './directory.js'
import type { UserStore, AppUser } from './users.js'
import type { DemoAccounts, DemoInfo } from './demo.js'

/** A Fastify hook function (preValidation / preHandler). */
export type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>

/** Shared by every route module. */
export interface AppContext {
  passport: Authenticator
  client: OktaClient
  directory: OktaDirectory
  /** "Remember this device" (undefined when turned off). */
  devices: RememberedDevices | undefined
  users: UserStore
  /** The in-process emulator, when the app started one. */
  emulator: Emulator | undefined
  demo: DemoInfo | undefined
  /** The accounts the sign-in page lists. */
  accounts: DemoAccounts | undefined
  clock: () => number
  graphqlPath: string
  /** Password attempts per username (the MFA limiter lives in the strategy and the gateway). */
  loginLimiter: AttemptLimiter
  /** A reader of the strategy's and the gateway's passcode counters (same store): "paused until" before any code. */
  mfaLimiter: AttemptLimiter
  /** Revoked sessions: logout revokes the session, the security page's "sign out of all sessions" the user. */
  revocations: RevocationStore
  /** preValidation: refuses a POST without the session's CSRF token. */
  csrf: Hook
  /** preHandler: a signed-out visitor goes to /login (and comes back after). */
  requireLogin: Hook
  /** preHandler: requireMfaFastify, a user without MFA goes to /mfa (and comes back after). */
  requireMfa: Hook
}

/** Whether a user is signed in (passport leaves `null` when the session's user no longer exists). */
export function isSignedIn (request: FastifyRequest): boolean {
  return request.user !== undefined && request.user !== null
}

/** The signed-in user (call after `requireLogin`). */
export function currentUser (request: FastifyRequest): AppUser {
  const user = request.user as AppUser | undefined
  if (user === undefined) throw new Error('currentUser() called on a route without requireLogin')
  return user
}

/** The user's active factors changed: every browser that remembered them asks for a code again (best effort). */
export async function forgetDevicesOf (ctx: AppContext, request: FastifyRequest, user: AppUser): Promise<void> {
  await ctx.devices?.forgetAll(user).catch(() => { request.log.warn('remembered devices not forgotten after a factor change') })
}

// The slice of @okta-mfa/client the MFA rules call, named so that the core is honest about what it needs from
// Okta (and an app may pass any OktaClient, e.g. one with its own dispatcher).
import type { OktaClient } from '@okta-mfa/client'

/** The parts of an Okta factor the rules read. */
export interface OktaFactorLike {
  /** Okta's factor id. */
  id: string
  /** Okta's factor type, e.g. `token:software:totp` or `sms`. */
  factorType: string
  /** Okta's factor status, e.g. `ACTIVE`. */
  status: string
  /** Okta's provider, e.g. `OKTA` or `GOOGLE`. */
  provider?: string | undefined
}

/** The methods of `@okta-mfa/client`'s `OktaClient` the rules use. */
export type MfaOktaClient = Pick<OktaClient, 'getUser' | 'createUser' | 'listFactors' | 'verifyFactor' | 'close'>

/** The `code` of an error, or undefined for anything else. */
export function errorCode (err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/** The client's codes it gives an Okta answer by its HTTP status alone when the answer has no Okta `errorCode`. */
const BY_STATUS: Readonly<Record<string, number>> = { OKTA_VALIDATION: 400, OKTA_AUTHENTICATION: 401, OKTA_NOT_FOUND: 404 }

/**
 * The `code` of a client error as the rules read it (internal). Every refusal of Okta's carries an `errorCode`: a 400,
 * 401 or 404 without one is a page of a proxy's or a firewall's in front of Okta, which the client classes by its
 * status alone. It reads as `OKTA_API_ERROR` (an error status that is not Okta's answer), never as Okta saying the
 * input was invalid or the user or factor does not exist (which would count the attempt, or provision a user).
 */
export function clientCode (err: unknown): string | undefined {
  const code = errorCode(err)
  if (code === undefined || !Object.hasOwn(BY_STATUS, code)) return code
  const { errorCode: oktaCode, status } = err as { errorCode?: unknown, status?: unknown }
  return oktaCode === undefined && status === BY_STATUS[code] ? 'OKTA_API_ERROR' : code
}

/**
 * What Okta's 404 (`OKTA_NOT_FOUND`) says it did not find, from the end of its summary: `Not found: Resource not
 * found: <id> (User)` or `(UserFactor)`; undefined for another error or another wording.
 */
export function notFoundResource (err: unknown): 'User' | 'UserFactor' | undefined {
  if (clientCode(err) !== 'OKTA_NOT_FOUND') return undefined
  const summary = (err as { errorSummary?: unknown }).errorSummary
  if (typeof summary !== 'string') return undefined
  return summary.endsWith('(User)') ? 'User' : summary.endsWith('(UserFactor)') ? 'UserFactor' : undefined
}

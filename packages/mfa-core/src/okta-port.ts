// The slice of @okta-mfa/client the MFA rules call, named so that the core is honest about what it needs from
// Okta (and an app may pass any OktaClient, e.g. one with its own dispatcher).
import type { OktaClient } from '@okta-mfa/client'

/** The parts of an Okta factor the rules read. */
export interface OktaFactorLike {
  id: string
  factorType: string
  status: string
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

/**
 * What Okta's 404 (`OKTA_NOT_FOUND`) says it did not find, from the end of its summary: `Not found: Resource not
 * found: <id> (User)` or `(UserFactor)`; undefined for another error or another wording.
 */
export function notFoundResource (err: unknown): 'User' | 'UserFactor' | undefined {
  if (errorCode(err) !== 'OKTA_NOT_FOUND') return undefined
  const summary = (err as { errorSummary?: unknown }).errorSummary
  if (typeof summary !== 'string') return undefined
  return summary.endsWith('(User)') ? 'User' : summary.endsWith('(UserFactor)') ? 'UserFactor' : undefined
}

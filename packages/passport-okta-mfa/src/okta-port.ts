// The slice of @okta-mfa/client the strategy calls, named so that the strategy is honest about what
// it needs from Okta (and an app may pass any OktaClient, e.g. one with its own dispatcher).
import type { OktaClient } from '@okta-mfa/client'

/** The parts of an Okta factor the strategy reads. */
export interface OktaFactorLike { id: string, factorType: string, status: string, provider?: string }

/** The methods of `@okta-mfa/client`'s `OktaClient` the strategy uses. */
export type MfaOktaClient = Pick<OktaClient, 'getUser' | 'createUser' | 'listFactors' | 'verifyFactor' | 'close'>

/** The `code` of a client error, or undefined for anything else. */
export function errorCode (err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

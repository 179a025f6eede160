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

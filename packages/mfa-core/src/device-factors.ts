// What a remembered device is bound to: the user's active factors, and none while Okta would refuse the user's
// sign-in. Okta lists the factors of a suspended, deactivated or locked-out user as before, so a fingerprint of the
// list alone would let such a user skip the code that Okta itself would refuse (E0000038, E0000069).
import type { RequestOptions } from '@okta-mfa/client'
import type { MfaOktaClient } from './okta-port.js'

/**
 * The Okta user statuses in which a verify is answered (so a remembered device may stand in for one): `ACTIVE`, the
 * statuses of a user created without credentials (`STAGED`, `PROVISIONED`), and those of a password being recovered
 * or expired. `SUSPENDED`, `DEPROVISIONED`, `LOCKED_OUT` and any status Okta may add are not.
 */
export const SIGN_IN_STATUSES: ReadonlySet<string> = new Set(['ACTIVE', 'STAGED', 'PROVISIONED', 'RECOVERY', 'PASSWORD_EXPIRED'])

/**
 * The ids of the user's ACTIVE factors, for {@link RememberedDevices}'s `activeFactorIds`; none while the user's
 * status is not one of {@link SIGN_IN_STATUSES} (suspended, deactivated, locked out), so no device cookie matches
 * and the person is asked for a code, which Okta then refuses as it should (`LOCKED_OUT`). Two Okta calls, made
 * together: the user and their factors.
 *
 * @example
 * new RememberedDevices({ secret, store, activeFactorIds: async (user) => await activeFactorIdsOf(client, oktaIdOf(user)) })
 */
export async function activeFactorIdsOf (client: Pick<MfaOktaClient, 'getUser' | 'listFactors'>, oktaUserId: string, options?: RequestOptions): Promise<string[]> {
  const [user, factors] = await Promise.all([client.getUser(oktaUserId, options), client.listFactors(oktaUserId, options)])
  if (!SIGN_IN_STATUSES.has(user.status)) return []
  return factors.filter((f) => f.status === 'ACTIVE').map((f) => f.id)
}

// The one error of a caller's mistake in using the strategy, the guards or signOutRevoked: a bad option or argument.

/**
 * A bad option of `OktaMfaStrategy`, `requireMfa`/`requireMfaFastify` or `signOutRevoked` (also one the client or the
 * limiter the strategy builds from its options refuses: the original is the `cause`), or a bad argument or use of a
 * call (a middleware given to the wrong framework, `safeReturnTo`'s fallback): a programmer's mistake. It is a
 * `TypeError` whose message names the option or argument (never a secret value), with the stable `code`
 * `OKTA_MFA_PASSPORT_INVALID_OPTION`; its `name` stays `TypeError`, as with Node's own coded errors
 * (`ERR_INVALID_ARG_TYPE`), so a check of the name or of `instanceof TypeError` that held before still holds.
 *
 * @example
 * try { new OktaMfaStrategy({ resolveOktaUser }) } catch (err) { if (err instanceof InvalidOptionError) console.error(err.code, err.message) }
 */
export class InvalidOptionError extends TypeError {
  /** Always `OKTA_MFA_PASSPORT_INVALID_OPTION`: a bad option or argument of this package. */
  readonly code = 'OKTA_MFA_PASSPORT_INVALID_OPTION'
  constructor (message: string, options?: {
    /** The error that led to this one (the standard `cause`). */
    cause?: unknown
  }) {
    super(message, options)
  }
}

/** The codes of @okta-mfa/client's and @okta-mfa/core's InvalidOptionError. */
const PASSED_ON = new Set<unknown>(['OKTA_CLIENT_INVALID_OPTION', 'OKTA_MFA_INVALID_OPTION'])

/**
 * Builds what the strategy makes from its options (the client, the default limiter), or runs a check of core's on an
 * options object of ours (`refuseUnknownOptions`): a refusal of an option passed on becomes this package's
 * {@link InvalidOptionError}, with the same message and the original as its `cause`.
 */
export function refusedAsOurs<T> (build: () => T): T {
  try {
    return build()
  } catch (err) {
    if (err instanceof TypeError && PASSED_ON.has((err as { code?: unknown }).code)) throw new InvalidOptionError(err.message, { cause: err })
    throw err
  }
}

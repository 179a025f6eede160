// The one error of a caller's mistake in using the core: a bad option or a bad argument, coded.

/**
 * A bad option (of `AttemptLimiter`, the memory and Redis stores, `createRedisStores`, `RememberedDevices`, ...) or a
 * bad argument of a call (`recordMfa`'s input, a `RequestDeadline`'s ms, an attempt key, ...): a programmer's mistake,
 * thrown before anything is done. It is a `TypeError` whose message names the option or argument (never a secret
 * value), with the stable `code` `OKTA_MFA_INVALID_OPTION`; its `name` stays `TypeError`, as with Node's own coded
 * errors (`ERR_INVALID_ARG_TYPE`), so a check of the name or of `instanceof TypeError` that held before still holds.
 *
 * @example
 * try { new AttemptLimiter({ maxAttempts: 0 }) } catch (err) { if (err instanceof InvalidOptionError) console.error(err.code, err.message) }
 */
export class InvalidOptionError extends TypeError {
  /** Always `OKTA_MFA_INVALID_OPTION`: a bad option or argument of this package. */
  readonly code = 'OKTA_MFA_INVALID_OPTION'
  constructor (message: string, options?: {
    /** The error that led to this one (the standard `cause`). */
    cause?: unknown
  }) {
    super(message, options)
  }
}

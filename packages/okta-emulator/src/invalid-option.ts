// The one error of a caller's mistake in using the emulator: a bad option or a bad argument, coded.

/**
 * A bad option of `startEmulator`/`buildEmulator`/`validateOptions` (the seed and the service apps included), a bad
 * `--service-app` argument of the command line, or a bad argument of a call (`messages`' filter, `totpCodeOf`'s secret
 * or time): a programmer's mistake, thrown before anything starts. It is a `TypeError` whose message names the option
 * or argument (never a secret or a key), with the stable `code` `OKTA_EMULATOR_INVALID_OPTION`; its `name` stays
 * `TypeError`, as with Node's own coded errors (`ERR_INVALID_ARG_TYPE`), so a check of the name or of `instanceof
 * TypeError` that held before still holds. What a request sends the emulator is answered as Okta would, never with this
 * error.
 *
 * @example
 * try { buildEmulator({ token: '' }) } catch (err) { if (err instanceof InvalidOptionError) console.error(err.code, err.message) }
 */
export class InvalidOptionError extends TypeError {
  /** Always `OKTA_EMULATOR_INVALID_OPTION`: a bad option or argument of this package. */
  readonly code = 'OKTA_EMULATOR_INVALID_OPTION'
  constructor (message: string, options?: {
    /** The error that led to this one (the standard `cause`). */
    cause?: unknown
  }) {
    super(message, options)
  }
}

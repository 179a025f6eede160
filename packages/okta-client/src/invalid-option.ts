// The one error of a caller's mistake in using the client: a bad option or a bad argument, coded.

/**
 * A bad option of `createOktaClient` (or of its `auth`) or a bad argument of a method (an empty or `..` id, a body or
 * query of the wrong shape, a request option that is not one, an `auth.header()` that returns no header value): a
 * programmer's mistake, thrown before anything is sent. It is a `TypeError` whose message names the option or argument
 * (never a token or a key), with the stable `code` `OKTA_CLIENT_INVALID_OPTION`; its `name` stays `TypeError`, as with
 * Node's own coded errors (`ERR_INVALID_ARG_TYPE`), so a check of the name or of `instanceof TypeError` that held
 * before still holds. It is not an `OktaClientError`: nothing was asked of Okta.
 *
 * @example
 * try { createOktaClient({ orgUrl: 'ftp://x', token }) } catch (err) { if (err instanceof InvalidOptionError) console.error(err.code, err.message) }
 */
export class InvalidOptionError extends TypeError {
  /** Always `OKTA_CLIENT_INVALID_OPTION`: a bad option or argument of this package. */
  readonly code = 'OKTA_CLIENT_INVALID_OPTION'
  constructor (message: string, options?: {
    /** The error that led to this one (the standard `cause`). */
    cause?: unknown
  }) {
    super(message, options)
  }
}

/**
 * The version of this package, sent in the `User-Agent` header as `okta-mfa-client/<version>`.
 * A test keeps it equal to `package.json`'s version.
 *
 * @example
 * ```ts
 * import { VERSION } from '@okta-mfa/client'
 * console.log(`client ${VERSION}`)
 * ```
 */
export const VERSION = '0.1.0'

// The country calling codes the server's phone mask keeps whole, for public/enroll.js: a number typed on the
// text-message setup page is shown masked by the same table as every number the server writes.
import { maskPhoneNumber } from '@okta-mfa/core'

/**
 * The country calling codes that `maskPhoneNumber` (@okta-mfa/core) keeps whole, read from it once: a code `c` is one
 * when the mask of `+c` and ten digits starts with `+c•`. Read, not copied, so the page and the server never differ.
 */
export const COUNTRY_CALLING_CODES: readonly string[] = Array.from({ length: 999 }, (_, i) => String(i + 1))
  .filter((code) => maskPhoneNumber(`+${code}0000000000`).startsWith(`+${code}•`))

/**
 * Small accessors for data that sits deep in Okta's HAL responses.
 *
 * @module
 */
import type { HalLink, UserFactor, VerifyFactorResult } from './types.js'

/**
 * The TOTP enrollment data a user needs to set up an authenticator app.
 *
 * @example
 * ```ts
 * const { sharedSecret, qrCodeHref } = totpActivation(factor)!
 * ```
 */
export interface TotpActivation {
  /** Base32 shared secret (the "manual key"). A secret: do not log it. */
  sharedSecret: string
  /** Seconds per code. */
  timeStep: number
  /** Digits per code as Okta reports it. */
  keyLength: number
  /** Encoding of `sharedSecret` (`base32`). */
  encoding: string
  /** Okta's link to a PNG of the `otpauth://` QR code, when present. */
  qrCodeHref: string | undefined
}

function link (v: unknown): HalLink | undefined {
  const l = Array.isArray(v) ? v[0] : v
  return l !== null && typeof l === 'object' && typeof (l as HalLink).href === 'string' ? l as HalLink : undefined
}

/**
 * The activation data of a freshly enrolled TOTP factor (`_embedded.activation`), or undefined for any
 * other factor or once the factor is active.
 *
 * @example
 * ```ts
 * const factor = await client.enrollFactor(userId, { factorType: 'token:software:totp', provider: 'GOOGLE' })
 * const activation = totpActivation(factor)
 * if (activation) showQr(activation.qrCodeHref, activation.sharedSecret)
 * ```
 */
export function totpActivation (factor: UserFactor): TotpActivation | undefined {
  if (factor.factorType !== 'token:software:totp') return undefined
  const a: unknown = factor._embedded?.activation
  if (a === null || typeof a !== 'object') return undefined
  const act = a as Record<string, unknown>
  if (typeof act['sharedSecret'] !== 'string') return undefined
  return {
    sharedSecret: act['sharedSecret'],
    timeStep: typeof act['timeStep'] === 'number' ? act['timeStep'] : 30,
    keyLength: typeof act['keyLength'] === 'number' ? act['keyLength'] : 6,
    encoding: typeof act['encoding'] === 'string' ? act['encoding'] : 'base32',
    qrCodeHref: qrCodeHref(factor, act),
  }
}

// Okta's documents put the QR code link in three places: `_embedded.activation._links` (the Google Authenticator
// example), `_embedded._links` (the Okta Verify TOTP example) and the factor's own `_links` (`UserFactorLinks`).
function qrCodeHref (factor: UserFactor, activation: Record<string, unknown>): string | undefined {
  const embeddedLinks = (factor._embedded as Record<string, unknown> | undefined)?.['_links']
  for (const links of [activation['_links'], embeddedLinks, factor._links]) {
    if (links === null || typeof links !== 'object') continue
    const href = link((links as Record<string, unknown>)['qrcode'])?.href
    if (href !== undefined) return href
  }
  return undefined
}

/**
 * The transaction id of a push verification that is `WAITING` (the last segment of `_links.poll.href`),
 * to pass to `getFactorTransaction`.
 *
 * @example
 * ```ts
 * const r = await client.verifyFactor(userId, pushFactorId)
 * const tx = pollTransactionId(r)
 * if (tx) setTimeout(() => client.getFactorTransaction(userId, pushFactorId, tx), 4000)
 * ```
 */
export function pollTransactionId (result: VerifyFactorResult): string | undefined {
  const href = link(result._links?.['poll'])?.href
  if (href === undefined) return undefined
  const id = /\/transactions\/([^/?#]+)/.exec(href)?.[1]
  if (id === undefined) return undefined
  try {
    // A dot-segment is no transaction id: getFactorTransaction refuses one (it would address another resource).
    const decoded = decodeURIComponent(id)
    return decoded === '.' || decoded === '..' ? undefined : decoded
  } catch {
    return undefined
  }
}

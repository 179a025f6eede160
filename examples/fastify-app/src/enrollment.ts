// Authenticator-app enrollment on the server: the factor is created only when the person presses "Show my QR code",
// and a pending one is reused on every later visit (same key, same QR code) until it is activated, removed or expired,
// so a QR code already scanned keeps working after a reload. Okta lists a pending TOTP factor with its activation
// (`_embedded.activation.sharedSecret`); a pending factor without one has expired and is replaced.
import { totpActivation, type OktaClient, type UserFactor } from '@okta-mfa/client'
import { MfaError, outcomeOfError } from '@okta-mfa/core'
import { otpauthUri } from '@okta-mfa/gateway'
import QRCode from 'qrcode'

/** Okta's factor type of an authenticator app. */
export const TOTP_TYPE = 'token:software:totp'

/** Okta's factor type of text messages. */
export const SMS_TYPE = 'sms'

/** What the enrollment page shows for a pending authenticator factor. */
export interface PendingTotp {
  factorId: string
  /** Base32, shown in groups of four. */
  sharedSecret: string
  otpauthUri: string
  /** PNG data: URI of the QR code. */
  qrCodeDataUri: string
}

/** "ABCDEFGHIJKLMNOP" -> "ABCD EFGH IJKL MNOP". */
export function groupKey (secret: string): string {
  return (secret.replace(/\s+/g, '').match(/.{1,4}/g) ?? []).join(' ')
}

async function render (factor: UserFactor, issuer: string, label: string): Promise<PendingTotp | undefined> {
  const activation = totpActivation(factor)
  if (activation === undefined) return undefined
  let uri: string
  let qrCodeDataUri: string
  try {
    // The passcodes the demo takes are 6 digits, as Okta's are: an app showing codes of another length could never activate.
    if (activation.keyLength !== 6) throw new RangeError('keyLength must be 6')
    uri = otpauthUri({ issuer, label, secret: activation.sharedSecret, digits: activation.keyLength, period: activation.timeStep })
    qrCodeDataUri = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 256, type: 'image/png' })
  } catch (err) {
    // A keyLength other than 6 or a timeStep no authenticator app can use, or more than a QR code holds (an outsized shared secret):
    // only an Okta answer gets there. Okta's fault, a 503 page.
    throw new MfaError('UPSTREAM_UNAVAILABLE', {}, undefined, { cause: err })
  }
  return { factorId: factor.id, sharedSecret: activation.sharedSecret, otpauthUri: uri, qrCodeDataUri }
}

/** The pending authenticator factor of a user, with its key and QR code; undefined when there is none (or it expired). */
export async function pendingTotp (factors: UserFactor[], issuer: string, label: string): Promise<PendingTotp | undefined> {
  const pending = factors.find((f) => f.factorType === TOTP_TYPE && f.status === 'PENDING_ACTIVATION')
  return pending === undefined ? undefined : await render(pending, issuer, label)
}

/**
 * Starts (or resumes) an authenticator enrollment: the pending factor when it still has its key, else a new one
 * (an expired pending factor is removed first, since Okta allows one factor of a type).
 */
export async function startTotp (client: OktaClient, oktaUserId: string, issuer: string, label: string): Promise<PendingTotp> {
  const factors = await client.listFactors(oktaUserId)
  const resumed = await pendingTotp(factors, issuer, label)
  if (resumed !== undefined) return resumed
  for (const f of factors) {
    if (f.factorType === TOTP_TYPE && f.status === 'PENDING_ACTIVATION') await client.deleteFactor(oktaUserId, f.id)
  }
  let enrolled: UserFactor
  try {
    enrolled = await client.enrollFactor(oktaUserId, { factorType: TOTP_TYPE, provider: 'GOOGLE' })
  } catch (err) {
    // Another tab started the same setup at the same moment, and Okta refused this one as a second factor of the
    // type: resume the one that tab made (the same key in both tabs).
    if (outcomeOfError(err)?.code !== 'ALREADY_ENROLLED') throw err
    const theirs = await pendingTotp(await client.listFactors(oktaUserId), issuer, label)
    if (theirs === undefined) throw err
    return theirs
  }
  const created = await render(enrolled, issuer, label)
  if (created === undefined) throw new Error('Okta enrolled an authenticator without its activation')
  return created
}

/**
 * The gateway's GraphQL schema (SDL). Its type and field names are a public contract: frontends code against them.
 *
 * No field takes a user id: every operation acts for the user of the current session.
 *
 * @example
 * ```ts
 * import { buildSchema } from 'graphql'
 * import { gatewaySchema } from '@okta-mfa/gateway'
 * const schema = buildSchema(gatewaySchema)
 * ```
 */
export const gatewaySchema = /* GraphQL */ `
"Kinds of factor the gateway can enroll and show. OTHER stands for any Okta factor type this version does not know."
enum FactorType {
  "Time-based one-time passcode app (Okta: token:software:totp)."
  TOTP
  SMS
  CALL
  EMAIL
  "Security question."
  QUESTION
  "Okta Verify push (listed, not enrollable or verifiable through the gateway)."
  PUSH
  OTHER
}

"Who issues a TOTP factor."
enum TotpProvider {
  GOOGLE
  OKTA
}

"Status of a factor, as Okta reports it."
enum FactorStatus {
  ACTIVE
  DISABLED
  ENROLLED
  EXPIRED
  INACTIVE
  NOT_SETUP
  PENDING_ACTIVATION
}

"Whether the org's enrollment policy requires a factor type."
enum EnrollmentRequirement {
  OPTIONAL
  REQUIRED
}

"Outcome of a verification."
enum VerifyResult {
  "The passcode (or answer) was accepted; the MFA step is recorded in the session."
  SUCCESS
  "A code was sent (sms, call, email verified without a passcode); verify again with it."
  CHALLENGE
  "A push was sent and is not answered yet (not answered by this gateway, which verifies no push factor)."
  WAITING
  REJECTED
  TIMEOUT
  "Any other unsuccessful outcome Okta reports."
  FAILED
}

"How an MFA step was completed."
enum MfaMethod {
  "Through the Passport strategy's form."
  FORM
  "Through this GraphQL gateway."
  GRAPHQL
  "By a remembered device's cookie: no code in this session (never fresh)."
  REMEMBERED
}

"A factor of the session user."
type Factor {
  id: ID!
  factorType: FactorType!
  "Okta's own factor type string, e.g. token:software:totp."
  oktaFactorType: String!
  provider: String!
  vendorName: String
  status: FactorStatus!
  "Phone number of an sms or call factor."
  phoneNumber: String
  "Address of an email factor."
  email: String
  "Question key of a security-question factor (never the answer)."
  question: String
  "ISO 8601."
  created: String
  "ISO 8601."
  lastUpdated: String
}

"What a TOTP app needs to be set up. Shown once, right after enrollFactor."
type TotpActivation {
  "Base32 shared secret, for manual entry."
  sharedSecret: String!
  "otpauth://totp/... URI carrying the secret, issuer and parameters."
  otpauthUri: String!
  "Okta's link to a PNG of the QR code."
  qrCodeHref: String
  "The QR code of otpauthUri as a data:image/png;base64 URI a page can show directly."
  qrCodeDataUri: String!
  "Seconds per code."
  timeStep: Int!
  "Digits per code."
  keyLength: Int!
}

"Result of enrollFactor."
type EnrollFactorPayload {
  factor: Factor!
  "Present for TOTP factors."
  activation: TotpActivation
}

"Result of verifyFactor."
type VerifyFactorPayload {
  result: VerifyResult!
  "The session's MFA state after this call."
  mfa: MfaStatus!
}

"Result of resendChallenge."
type ResendChallengePayload {
  factor: Factor!
}

"Result of removeFactor."
type RemoveFactorPayload {
  removedFactorId: ID!
}

"A factor type the user may enroll."
type CatalogEntry {
  factorType: FactorType!
  oktaFactorType: String!
  provider: String!
  vendorName: String
  enrollment: EnrollmentRequirement
  "NOT_SETUP; PENDING_ACTIVATION while the user's enrollment of it awaits its first code; ACTIVE when the user has it."
  status: FactorStatus
}

"MFA state of the session."
type MfaStatus {
  "True when the session user completed an MFA step."
  completed: Boolean!
  "ISO 8601 time of the last MFA step."
  completedAt: String
  factorId: ID
  method: MfaMethod
  "True when the last MFA step is recent enough for sensitive operations such as removeFactor."
  fresh: Boolean!
}

"The session user."
type Viewer {
  "The app's stable key for the user."
  userKey: String!
  "The user's Okta login (looked up in Okta when asked for)."
  login: String
  mfa: MfaStatus!
}

"Enrollment request. factorType decides which other fields are required."
input EnrollFactorInput {
  factorType: FactorType!
  "TOTP only; default GOOGLE."
  provider: TotpProvider
  "SMS and CALL: E.164 number, e.g. +15555550123."
  phoneNumber: String
  "EMAIL: the address codes go to: the user's primary or secondary email in Okta (Okta refuses any other)."
  email: String
  "QUESTION: the question key (see Okta's security questions)."
  question: String
  "QUESTION: the answer."
  answer: String
}

type Query {
  "The session user and whether MFA is done."
  viewer: Viewer!
  "The session user's factors."
  factors: [Factor!]!
  "The factor types the session user may enroll."
  factorCatalog: [CatalogEntry!]!
}

type Mutation {
  "Enrolls a factor for the session user. TOTP returns its activation (secret, otpauth URI, QR codes)."
  enrollFactor(input: EnrollFactorInput!): EnrollFactorPayload!
  "Activates a pending factor with its first passcode."
  activateFactor(factorId: ID!, passCode: String!): Factor!
  "Verifies a factor. Without passCode (sms, call, email) a code is sent and the result is CHALLENGE. answer is for QUESTION factors."
  verifyFactor(factorId: ID!, passCode: String, answer: String): VerifyFactorPayload!
  "Sends the code of an sms, call or email factor again."
  resendChallenge(factorId: ID!): ResendChallengePayload!
  "Removes a factor. Once the user has an active factor, requires a fresh MFA step (MFA_REQUIRED otherwise)."
  removeFactor(factorId: ID!): RemoveFactorPayload!
}
`

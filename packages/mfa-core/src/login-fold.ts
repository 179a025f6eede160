// Whether the user Okta answers for a login is the user with that login. Okta finds a user by its login without case
// and without diacritical marks ("not unique if they differ only in case and/or diacritical marks", UserProfile.login),
// so `zoë@example.com` finds `zoe@example.com`: another person for an app that keeps both as accounts. Only case and
// the Unicode form of the same characters (composed or decomposed) are taken as the same login here.

/** A login as this package compares logins: NFC, lower case (diacritical marks kept). */
export function foldLogin (login: string): string {
  // ASCII, the common case, needs no normalization.
  return /^[\x20-\x7e]*$/.test(login) ? login.toLowerCase() : login.normalize('NFC').toLowerCase()
}

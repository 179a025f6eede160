// Logins compared as Okta compares them ("not unique if they differ only in case and/or diacritical marks",
// UserProfile.login): used to pick the user a search for a login returns.

/** The combining diacritical marks (U+0300–036F and their extended, supplement, symbol and half-mark blocks). */
const DIACRITICS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g

/** A login as Okta compares logins: lower case, without diacritical marks. */
export function foldLogin (login: string): string {
  // ASCII, the common case, needs no normalization.
  return /^[\x20-\x7e]*$/.test(login) ? login.toLowerCase() : login.normalize('NFD').replace(DIACRITICS, '').toLowerCase()
}

// The account a typed name (a username, a login, an e-mail address) names, one form per account: what the password
// sign-in's limiter, its user store and the default user key all go by, so that `Ada` and `ada` are one account.

/**
 * Characters that change nothing a person sees: format characters (zero-width spaces and joiners, soft hyphens, bidi
 * marks) and every other default-ignorable code point (variation selectors, the combining grapheme joiner, Hangul
 * fillers).
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu

/**
 * The account a username names: Unicode NFKC (full-width and compatibility forms fold to plain ones), invisible
 * format characters removed, trimmed, lower-cased. Okta too looks logins up without regard to case.
 *
 * @example
 * normalizeUsername(' ＡＬＩＣＥ\u200b ') // 'alice'
 */
export function normalizeUsername (raw: string): string {
  return raw.normalize('NFKC').replace(INVISIBLE, '').trim().toLowerCase().normalize('NFKC')
}

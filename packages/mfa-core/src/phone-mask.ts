// How a phone number shows before the MFA step: its country calling code kept whole (looked up in E.164's table, not
// guessed from the number's length), the national digits masked but the last 4.

/**
 * The country calling codes of ITU-T E.164 in use (assigned to a country, an area or a global service), by length.
 * They are prefix-free (no code starts another), so a number's code is the one of these that begins it: no guess from
 * the number's length. Spare and reserved codes (+0, +28x, +83x, +89x…) are not here: such a number is malformed.
 */
const COUNTRY_CODES: ReadonlySet<string> = new Set([
  '1', '7',
  ...'20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(' '),
  ...('211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 ' +
    '243 244 245 246 247 248 249 250 251 252 253 254 255 256 257 258 260 261 262 263 264 265 266 267 268 269 290 291 ' +
    '297 298 299 350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 379 380 381 382 383 385 ' +
    '386 387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595 596 597 598 599 670 672 ' +
    '673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692 800 808 850 852 853 855 856 870 878 ' +
    '880 881 882 883 886 888 960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 979 992 993 994 995 ' +
    '996 998').split(' '),
])

/** The country calling code that begins `digits` (an E.164 number without its "+"), or undefined when none does. */
function countryCodeOf (digits: string): string | undefined {
  for (let length = 1; length <= 3; length++) {
    const code = digits.slice(0, length)
    if (COUNTRY_CODES.has(code)) return code
  }
  return undefined
}

/** How many of a national number's last digits a mask shows: 4, and always at least 3 hidden (short numbers). */
function shownDigits (national: number): number {
  return Math.max(0, Math.min(4, national - 3))
}

/**
 * A phone number as shown before the MFA step: its whole country calling code, then the national digits masked except the
 * last 4 ("+44 7700 900123" → "+44••••••0123", "+1 (415) 555-2671" → "+1••••••2671"): enough to recognise the phone,
 * not enough to harvest it. A number that is not E.164 ("+" then a known country code and 4 to 14 more digits, spaces,
 * dashes, dots and brackets aside) shows no code and at most its last 4 digits, none when it has fewer than 8.
 */
export function maskPhoneNumber (phone: string): string {
  const cleaned = phone.slice(0, 64).replace(/[\s().-]/g, '')
  const digits = cleaned.replace(/\D/g, '')
  const code = /^\+[1-9]\d+$/.test(cleaned) && digits.length <= 15 ? countryCodeOf(digits) : undefined
  const national = code === undefined ? '' : digits.slice(code.length)
  if (code !== undefined && national.length >= 4) {
    const shown = shownDigits(national.length)
    return `+${code}${'•'.repeat(national.length - shown)}${national.slice(national.length - shown)}`
  }
  // Malformed: no country code to trust, so nothing but the last 4 digits of a number long enough to hide the rest.
  const shown = digits.length >= 8 && digits.length <= 15 ? 4 : 0
  return '•'.repeat(Math.min(Math.max(digits.length - shown, 4), 11)) + digits.slice(digits.length - shown)
}

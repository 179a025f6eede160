// `If-Match` (RFC 9110 §13.1.1) on a user's update and replace: `*` or a list of entity tags, one of
// which must be the user's current ETag. Compared weakly (the `W/` prefix aside), as Okta's own ETags
// are weak and it documents sending them back in `If-Match`. A value that is not that grammar is
// Okta's 400 E0000242; one that names no current tag is 412 E0000231.

import { OktaError } from './errors.js'

/**
 * One list member: optional whitespace, then an entity tag (`W/"…"` or `"…"`) and its optional whitespace, or nothing,
 * then a comma or the end. The whitespace after a tag is inside the tag's group: two runs side by side, with no tag
 * between, would be tried at every split of a run of spaces that ends in something else (quadratic).
 */
const MEMBER = /[ \t]*(?:(?:W\/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*)?(,|$)/y

/** The opaque tags (between the quotes) an `If-Match` value lists, or `undefined` when it is not that grammar. Linear in its length. */
function opaqueTags (value: string): string[] | undefined {
  const tags: string[] = []
  MEMBER.lastIndex = 0
  while (MEMBER.lastIndex < value.length) {
    const start = MEMBER.lastIndex
    const m = MEMBER.exec(value)
    if (m === null) return undefined
    if (m[1] !== undefined) tags.push(m[1])
    if (m[2] === '') break // the end of the value
    if (MEMBER.lastIndex === start) return undefined
  }
  return tags
}

/**
 * Throws unless the `If-Match` header (absent: no condition) admits the resource whose ETag is
 * `current`: 400 E0000242 for a value that is not `*` or a list of entity tags, 412 E0000231 when
 * no tag it lists is the current one.
 */
export function checkIfMatch (header: string | undefined, current: string): void {
  if (header === undefined || header.trim() === '*') return
  const tags = opaqueTags(header)
  if (tags === undefined) throw new OktaError(400, 'E0000242', 'ETag syntax is invalid.')
  const opaque = current.replace(/^W\//, '').slice(1, -1)
  if (!tags.includes(opaque)) throw new OktaError(412, 'E0000231', "ETag value doesn't match.")
}

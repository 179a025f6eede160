// The `search` and `filter` expression languages of GET /api/v1/users, as Okta documents them: `attr op value`
// joined by and/or, with parentheses; property names are case-sensitive, operators are not.
//   search  eq, sw, co, gt, ge, lt, le, pr on any property (co only on profile.firstName, lastName, email and
//           login; ne is not supported); string values compare case-insensitively.
//   filter  status, lastUpdated, id, profile.login, profile.email, profile.firstName and profile.lastName only;
//           eq only, except lastUpdated, which also takes gt, ge, lt and le; values compare case-sensitively.
// Timestamps (created, lastUpdated, ...) compare as instants with eq, gt, ge, lt and le: the value must be a date of
// Okta's form, yyyy-MM-dd'T'HH:mm:ss.SSS with `Z` or an offset (400 E0000030 otherwise); sw and co read the ISO text.
import { invalidDate, invalidSearch } from './errors.js'

type Token = { t: 'word', v: string } | { t: 'str', v: string } | { t: '(' } | { t: ')' }
type Value = string | number | boolean | null
type Cmp = { kind: 'cmp', attr: string, op: string, value: Value, fold: boolean, time?: true }
type Node = Cmp | { kind: 'and' | 'or', left: Node, right: Node }

/** A compiled expression: tests one flattened record (attr path -> value). */
export type Predicate = (get: (attr: string) => unknown) => boolean

/** Which query parameter an expression came from: their rules differ. */
export type ExpressionKind = 'search' | 'filter'

const SEARCH_OPS = new Set(['eq', 'sw', 'gt', 'ge', 'lt', 'le', 'pr', 'co'])
const CONTAINS_ATTRS = new Set(['profile.firstName', 'profile.lastName', 'profile.email', 'profile.login'])
const FILTER_ATTRS = new Set(['status', 'lastUpdated', 'id', 'profile.login', 'profile.email', 'profile.firstName', 'profile.lastName'])
const RANGE_OPS = new Set(['eq', 'gt', 'ge', 'lt', 'le'])
/** The user's timestamp properties: rendered as ISO strings in UTC, compared as instants. */
const TIME_ATTRS = new Set(['created', 'activated', 'statusChanged', 'lastUpdated', 'lastLogin', 'passwordChanged'])
/** Okta's date form (its E0000030 text): yyyy-MM-dd'T'HH:mm:ss.SSS, then `Z` or an offset (`-07:00`, `-0700`). */
const OKTA_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})(Z|[+-]\d{2}:?\d{2})$/

/** The instant (ms) a date of Okta's form names; throws 400 E0000030 for anything else. */
function instantOf (value: Value): number {
  const m = typeof value === 'string' ? OKTA_DATE.exec(value) : null
  if (m === null) throw invalidDate()
  const [y, mo, d, h, mi, sec, ms] = m.slice(1, 8).map(Number) as [number, number, number, number, number, number, number]
  const zone = m[8]!
  const offsetMin = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(-2)))
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 || Number(zone.slice(-2)) > 59 || Math.abs(offsetMin) > 18 * 60) throw invalidDate()
  const at = new Date(Date.UTC(2000, mo - 1, d, h, mi, sec, ms))
  at.setUTCFullYear(y) // Date.UTC reads the years 0 to 99 as 1900 to 1999
  // A day the month does not have (2026-02-29, 04-31) would roll into the next month: not a date.
  if (at.getUTCDate() !== d) throw invalidDate()
  return at.getTime() - offsetMin * 60_000
}

/** Throws 400 E0000031 when `attr op` is outside what Okta supports for this kind of expression. */
function checkOperator (kind: ExpressionKind, attr: string, op: string): void {
  if (kind === 'search') {
    if (!SEARCH_OPS.has(op)) throw invalidSearch(op === 'ne' ? 'The ne operator is not supported.' : `Unsupported operator after ${attr}.`)
    if (op === 'co' && !CONTAINS_ATTRS.has(attr)) throw invalidSearch(`The co operator is not supported for ${attr}.`)
    return
  }
  if (!FILTER_ATTRS.has(attr)) throw invalidSearch(`Filtering on ${attr} is not supported.`)
  if (!(attr === 'lastUpdated' ? RANGE_OPS : new Set(['eq'])).has(op)) throw invalidSearch(`Unsupported operator after ${attr}.`)
}

function tokenize (src: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const c = src[i]!
    if (c === ' ' || c === '\t' || c === '\n' || c === '+') { i++; continue }
    if (c === '(' || c === ')') { out.push({ t: c }); i++; continue }
    if (c === '"') {
      let v = ''
      i++
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\' && i + 1 < src.length) i++
        v += src[i]
        i++
      }
      if (i >= src.length) throw invalidSearch('Unterminated string literal.')
      i++
      out.push({ t: 'str', v })
      continue
    }
    let v = ''
    while (i < src.length && !' \t\n+()"'.includes(src[i]!)) v += src[i++]
    out.push({ t: 'word', v })
  }
  return out
}

/** How deep parentheses may nest in one expression (a person writes two or three). */
const MAX_PARENTHESES_DEPTH = 100

/** Parses `src` as a `search` or a `filter`; throws 400 E0000031 on anything it does not understand or support. */
export function compile (src: string, kind: ExpressionKind): Predicate {
  const fold = kind === 'search'
  const toks = tokenize(src)
  let pos = 0
  const peekWord = (): string | undefined => {
    const t = toks[pos]
    return t?.t === 'word' ? t.v.toLowerCase() : undefined
  }
  let depth = 0
  const primary = (): Node => {
    const t = toks[pos++]
    if (t === undefined) throw invalidSearch('Unexpected end of expression.')
    if (t.t === '(') {
      // The parser recurses once per parenthesis: a bound keeps a hostile expression from its stack's end.
      if (++depth > MAX_PARENTHESES_DEPTH) throw invalidSearch(`Parentheses nested more than ${MAX_PARENTHESES_DEPTH} deep.`)
      const n = expr()
      if (toks[pos++]?.t !== ')') throw invalidSearch('Missing closing parenthesis.')
      depth--
      return n
    }
    if (t.t !== 'word') throw invalidSearch('Expected an attribute name.')
    const op = peekWord()
    if (op === undefined) throw invalidSearch(`Unsupported operator after ${t.v}.`)
    checkOperator(kind, t.v, op)
    pos++
    if (op === 'pr') return { kind: 'cmp', attr: t.v, op, value: null, fold }
    const vt = toks[pos++]
    if (vt === undefined || vt.t === '(' || vt.t === ')') throw invalidSearch('Expected a value.')
    let value: Value = vt.v
    if (vt.t === 'word') {
      if (vt.v === 'true' || vt.v === 'false') value = vt.v === 'true'
      else if (vt.v === 'null') value = null
      else if (/^-?\d+(\.\d+)?$/.test(vt.v)) value = Number(vt.v)
      else throw invalidSearch(`Unquoted value ${vt.v}.`)
    }
    // A timestamp compared with a date: as instants (a value of another form is Okta's E0000030).
    if (TIME_ATTRS.has(t.v) && RANGE_OPS.has(op) && value !== null) return { kind: 'cmp', attr: t.v, op, value: instantOf(value), fold: false, time: true }
    return { kind: 'cmp', attr: t.v, op, value, fold }
  }
  const conj = (): Node => {
    let left = primary()
    while (peekWord() === 'and') { pos++; left = { kind: 'and', left, right: primary() } }
    return left
  }
  const expr = (): Node => {
    let left = conj()
    while (peekWord() === 'or') { pos++; left = { kind: 'or', left, right: conj() } }
    return left
  }
  if (toks.length === 0) throw invalidSearch('Empty expression.')
  const root = expr()
  if (pos !== toks.length) throw invalidSearch('Unexpected token after expression.')
  return (get) => evaluate(root, get)
}

function norm (v: unknown, fold: boolean): unknown {
  return fold && typeof v === 'string' ? v.toLowerCase() : v
}

function evaluate (n: Node, get: (attr: string) => unknown): boolean {
  if (n.kind === 'cmp') return compare(n, get)
  return n.kind === 'and' ? evaluate(n.left, get) && evaluate(n.right, get) : evaluate(n.left, get) || evaluate(n.right, get)
}

function compare (n: Cmp, get: (attr: string) => unknown): boolean {
  const raw = get(n.attr)
  // A timestamp (an ISO string, or null when unset) against an instant.
  const actual = n.time === true ? (typeof raw === 'string' ? Date.parse(raw) : null) : norm(raw, n.fold)
  const want = norm(n.value, n.fold)
  switch (n.op) {
    case 'pr': return actual !== undefined && actual !== null
    case 'eq': return actual === want
    case 'sw': return typeof actual === 'string' && typeof want === 'string' && actual.startsWith(want)
    case 'co': return typeof actual === 'string' && typeof want === 'string' && actual.includes(want)
    default: {
      if (actual === undefined || actual === null || want === null) return false
      const a = actual as string | number
      const w = want as string | number
      return n.op === 'gt' ? a > w : n.op === 'ge' ? a >= w : n.op === 'lt' ? a < w : a <= w
    }
  }
}

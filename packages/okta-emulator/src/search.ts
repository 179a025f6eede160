// The `search` and `filter` expression language of GET /api/v1/users, the subset real callers
// use: `attr op value` with eq, ne, sw, gt, ge, lt, le, pr, joined by and/or, with parentheses.
// Strings compare case-insensitively (Okta's search does); timestamps compare as ISO strings.
import { invalidSearch } from './errors.js'

type Token = { t: 'word', v: string } | { t: 'str', v: string } | { t: '(' } | { t: ')' }
type Value = string | number | boolean | null
type Cmp = { kind: 'cmp', attr: string, op: string, value: Value }
type Node = Cmp | { kind: 'and' | 'or', left: Node, right: Node }

/** A compiled expression: tests one flattened record (attr path -> value). */
export type Predicate = (get: (attr: string) => unknown) => boolean

const OPS = new Set(['eq', 'ne', 'sw', 'gt', 'ge', 'lt', 'le', 'pr', 'co'])

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

/** Parses `src`; throws 400 E0000031 on anything it does not understand. */
export function compile (src: string): Predicate {
  const toks = tokenize(src)
  let pos = 0
  const peekWord = (): string | undefined => {
    const t = toks[pos]
    return t?.t === 'word' ? t.v.toLowerCase() : undefined
  }
  const primary = (): Node => {
    const t = toks[pos++]
    if (t === undefined) throw invalidSearch('Unexpected end of expression.')
    if (t.t === '(') {
      const n = expr()
      if (toks[pos++]?.t !== ')') throw invalidSearch('Missing closing parenthesis.')
      return n
    }
    if (t.t !== 'word') throw invalidSearch('Expected an attribute name.')
    const op = peekWord()
    if (op === undefined || !OPS.has(op)) throw invalidSearch(`Unsupported operator after ${t.v}.`)
    pos++
    if (op === 'pr') return { kind: 'cmp', attr: t.v, op, value: null }
    const vt = toks[pos++]
    if (vt === undefined || vt.t === '(' || vt.t === ')') throw invalidSearch('Expected a value.')
    let value: Value = vt.v
    if (vt.t === 'word') {
      if (vt.v === 'true' || vt.v === 'false') value = vt.v === 'true'
      else if (vt.v === 'null') value = null
      else if (/^-?\d+(\.\d+)?$/.test(vt.v)) value = Number(vt.v)
      else throw invalidSearch(`Unquoted value ${vt.v}.`)
    }
    return { kind: 'cmp', attr: t.v, op, value }
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

function norm (v: unknown): unknown {
  return typeof v === 'string' ? v.toLowerCase() : v
}

function evaluate (n: Node, get: (attr: string) => unknown): boolean {
  if (n.kind === 'cmp') return compare(n, get)
  return n.kind === 'and' ? evaluate(n.left, get) && evaluate(n.right, get) : evaluate(n.left, get) || evaluate(n.right, get)
}

function compare (n: Cmp, get: (attr: string) => unknown): boolean {
  const actual = norm(get(n.attr))
  const want = norm(n.value)
  switch (n.op) {
    case 'pr': return actual !== undefined && actual !== null
    case 'eq': return actual === want
    case 'ne': return actual !== want
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

// What one GraphQL document may cost, computed in time linear in the document: each fragment's totals (fields,
// aliases, depth, top-level fields) are computed once and reused at every spread, the walk stops at the first
// limit passed, and a fragment cycle is refused instead of followed. Walking spreads naively is exponential: a
// 1 KB document whose fragments each spread the next one twice expands to 2^N fields.
import { Kind, Location, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql'

/** The limits {@link documentCostError} checks (a subset of the gateway's QueryLimits). */
export interface CostLimits {
  maxDepth: number
  maxAliases: number
  maxFields: number
  /** List-valued introspection fields (`types`, `fields`, `args`…) nested in one another; unchecked when absent. */
  maxListDepth?: number | undefined
}

/** Introspection's list fields: each multiplies what the fields below it cost by the size of the schema. */
const INTROSPECTION_LISTS: ReadonlySet<string> = new Set(['types', 'fields', 'inputFields', 'interfaces', 'possibleTypes', 'enumValues', 'args', 'directives'])

/**
 * Whether `doc` came from graphql's parser: mercurius hands a `query` that is not text (a number, a boolean, a JSON
 * AST) on as it is.
 */
function isParsedDocument (doc: DocumentNode): boolean {
  return typeof doc === 'object' && doc !== null && doc.loc instanceof Location && Array.isArray(doc.definitions)
}

/**
 * Whether every operation of `doc` is a query of introspection only (`__schema`, `__type`, `__typename` at its root,
 * directly or in inline fragments). False for anything but a parsed document, which {@link documentCostError} refuses.
 */
export function isIntrospectionOnly (doc: DocumentNode): boolean {
  if (!isParsedDocument(doc)) return false
  const rootOnly = (set: SelectionSetNode): boolean => set.selections.every((sel) =>
    sel.kind === Kind.FIELD ? sel.name.value.startsWith('__') : sel.kind === Kind.INLINE_FRAGMENT && rootOnly(sel.selectionSet))
  let operations = 0
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue
    operations++
    if (def.operation !== 'query' || !rootOnly(def.selectionSet)) return false
  }
  return operations > 0
}

/** The totals of a selection set, expanded through its fragments (each saturating just past its limit). */
interface Cost {
  /** Fields selected, at any depth. */
  fields: number
  /** Aliased fields, at any depth. */
  aliases: number
  /** Deepest field nesting below this set (a set of leaves is 1; an empty set 0). */
  depth: number
  /** Fields directly in this set (through inline fragments and spreads): the root fields of an operation. */
  top: number
  /** Deepest nesting of introspection list fields below this set. */
  lists: number
}

/** Thrown inside the walk to stop it at the first limit passed. */
class Refusal {
  constructor (readonly message: string) {}
}

const VISITING = Symbol('visiting')

/** Selection sets nested in one another (fields and inline fragments alike) beyond this are refused: the walk's stack stays small. */
export const MAX_SELECTION_NESTING = 64

/**
 * Checks a parsed document against `limits` in linear time and returns the first problem as a message, or
 * `undefined` when the document is within every limit. Every operation and every fragment definition (used or not)
 * is measured; the mutation operations of the document may select at most `maxMutations` root fields in all.
 *
 * Refused: a document that did not come from graphql's parser (mercurius falls back to reading the query as a JSON
 * AST, which skips the parser's token limit), a fragment that spreads itself (directly or not), and any limit passed.
 *
 * @example
 * ```ts
 * const problem = documentCostError(parse(query, { maxTokens: 1000 }), { maxDepth: 6, maxAliases: 5, maxFields: 100 }, 1)
 * ```
 */
export function documentCostError (doc: DocumentNode, limits: Readonly<CostLimits>, maxMutations: number): string | undefined {
  if (!isParsedDocument(doc)) return 'The query must be a GraphQL document.'
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const def of doc.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION && !fragments.has(def.name.value)) fragments.set(def.name.value, def)
  }
  const memo = new Map<string, Cost | typeof VISITING>()
  // Saturate counts just past their limit: the answer is the same, and numbers stay small whatever the expansion.
  const cap = (n: number, limit: number): number => Math.min(n, limit + 1)

  const check = (cost: Cost, where: string): void => {
    if (cost.depth > limits.maxDepth) throw new Refusal(`${where} is nested more than ${limits.maxDepth} levels deep; the limit is ${limits.maxDepth}.`)
    if (cost.aliases > limits.maxAliases) throw new Refusal(`${where} uses more than ${limits.maxAliases} aliases; the limit is ${limits.maxAliases}.`)
    if (cost.fields > limits.maxFields) throw new Refusal(`${where} selects more than ${limits.maxFields} fields; the limit is ${limits.maxFields}.`)
    if (limits.maxListDepth !== undefined && cost.lists > limits.maxListDepth) {
      throw new Refusal(`${where} nests introspection lists more than ${limits.maxListDepth} levels deep; the limit is ${limits.maxListDepth}.`)
    }
  }

  const fragmentCost = (name: string, where: string): Cost | undefined => {
    const known = memo.get(name)
    if (known === VISITING) throw new Refusal(`Fragment ${name} spreads itself.`)
    if (known !== undefined) return known
    const def = fragments.get(name)
    if (def === undefined) return undefined // KnownFragmentNames reports it.
    memo.set(name, VISITING)
    const cost = setCost(def.selectionSet, where)
    memo.set(name, cost)
    return cost
  }

  const setCost = (set: SelectionSetNode, where: string, maxTop = Infinity, level = 0, nesting = 0): Cost => {
    // Nesting is refused on the way down too, so the walk never recurses deeper than the limits allow.
    if (level > limits.maxDepth) throw new Refusal(`${where} is nested more than ${limits.maxDepth} levels deep; the limit is ${limits.maxDepth}.`)
    if (nesting > MAX_SELECTION_NESTING) throw new Refusal(`${where} nests selections more than ${MAX_SELECTION_NESTING} levels deep.`)
    const total: Cost = { fields: 0, aliases: 0, depth: 0, top: 0, lists: 0 }
    const add = (c: Cost, nested: boolean): void => {
      total.lists = Math.max(total.lists, c.lists)
      total.fields = cap(total.fields + c.fields + (nested ? 1 : 0), limits.maxFields)
      total.aliases = cap(total.aliases + c.aliases, limits.maxAliases)
      total.depth = cap(Math.max(total.depth, c.depth + (nested ? 1 : 0)), limits.maxDepth)
      total.top = nested ? cap(total.top + 1, limits.maxFields) : cap(total.top + c.top, limits.maxFields)
      if (total.top > maxTop) throw new Refusal(`${where} runs more than ${maxTop} mutation; one per request is allowed.`)
      check(total, where)
    }
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const sub = sel.selectionSet === undefined ? { fields: 0, aliases: 0, depth: 0, top: 0, lists: 0 } : setCost(sel.selectionSet, where, Infinity, level + 1, nesting + 1)
        const lists = sub.lists + (INTROSPECTION_LISTS.has(sel.name.value) ? 1 : 0)
        add({ ...sub, aliases: sub.aliases + (sel.alias === undefined ? 0 : 1), lists: Math.min(lists, MAX_SELECTION_NESTING) }, true)
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        add(setCost(sel.selectionSet, where, Infinity, level, nesting + 1), false)
      } else {
        const c = fragmentCost(sel.name.value, where)
        if (c !== undefined) add(c, false)
      }
    }
    return total
  }

  try {
    // Counted across the document too: two mutation operations in one document (one run by `operationName`) are
    // refused as two mutations in one, whichever is named.
    let mutations = 0
    for (const def of doc.definitions) {
      if (def.kind === Kind.OPERATION_DEFINITION) {
        const where = `Operation ${def.name?.value ?? 'anonymous'}`
        const cost = setCost(def.selectionSet, where, def.operation === 'mutation' ? maxMutations : Infinity)
        if (def.operation === 'mutation' && (mutations = cap(mutations + cost.top, maxMutations)) > maxMutations) {
          throw new Refusal(`The document runs more than ${maxMutations} mutation across its operations; one per request is allowed.`)
        }
      } else if (def.kind === Kind.FRAGMENT_DEFINITION) {
        fragmentCost(def.name.value, `Fragment ${def.name.value}`)
      }
    }
  } catch (err) {
    if (err instanceof Refusal) return err.message
    throw err
  }
  return undefined
}

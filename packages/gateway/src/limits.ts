// Validation rules that bound what one GraphQL document may cost, run before any resolver. The rule that matters
// most is ONE_MUTATION_PER_DOCUMENT: without it, aliases turn one HTTP request into a brute force of passcodes.
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql'

/** Query-shape limits. Defaults fit every operation a sign-in screen needs, several times over. */
export interface QueryLimits {
  /**
   * Deepest selection nesting (`factors { id }` is 2).
   * @default 6
   */
  maxDepth: number
  /**
   * Aliased fields per document.
   * @default 5
   */
  maxAliases: number
  /**
   * Selected fields per document, counted through fragments.
   * @default 100
   */
  maxFields: number
  /**
   * Lexical tokens per document (enforced by the parser, before validation).
   * @default 1000
   */
  maxTokens: number
}

/** Default {@link QueryLimits}. */
export const DEFAULT_LIMITS: Readonly<QueryLimits> = Object.freeze({ maxDepth: 6, maxAliases: 5, maxFields: 100, maxTokens: 1000 })

/**
 * Every mutation of this schema enrolls, activates, verifies, resends or removes: one per document, so a request
 * makes at most one attempt at a passcode.
 */
export const MAX_MUTATION_FIELDS_PER_DOCUMENT = 1

/** Walks a selection set through fragments, calling `visit` for each field with its depth. */
function walk (
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  depth: number,
  seen: Set<string>,
  visit: (field: { alias: boolean }, depth: number) => void,
): void {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      visit({ alias: sel.alias !== undefined }, depth)
      if (sel.selectionSet !== undefined) walk(sel.selectionSet, fragments, depth + 1, seen, visit)
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      walk(sel.selectionSet, fragments, depth, seen, visit)
    } else {
      const name = sel.name.value
      const frag = fragments.get(name)
      // A cycle is reported by the standard NoFragmentCycles rule; stop here so this rule terminates.
      if (frag === undefined || seen.has(name)) continue
      seen.add(name)
      walk(frag.selectionSet, fragments, depth, seen, visit)
      seen.delete(name)
    }
  }
}

/**
 * Builds the validation rules enforcing `limits` and {@link MAX_MUTATION_FIELDS_PER_DOCUMENT}.
 *
 * @example
 * ```ts
 * app.register(mercurius, { schema, validationRules: limitRules(DEFAULT_LIMITS) })
 * ```
 */
export function limitRules (limits: Readonly<QueryLimits>): ValidationRule[] {
  const shape: ValidationRule = (context: ValidationContext): ASTVisitor => ({
    Document (doc) {
      const fragments = new Map<string, FragmentDefinitionNode>()
      for (const def of doc.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def)
      for (const def of doc.definitions) {
        if (def.kind !== Kind.OPERATION_DEFINITION) continue
        let fields = 0
        let aliases = 0
        let depth = 0
        let mutations = 0
        walk(def.selectionSet, fragments, 1, new Set(), (field, d) => {
          fields++
          if (field.alias) aliases++
          if (d > depth) depth = d
          if (d === 1 && def.operation === 'mutation') mutations++
        })
        const name = def.name?.value ?? 'anonymous'
        if (depth > limits.maxDepth) context.reportError(new GraphQLError(`Operation ${name} is nested ${depth} levels deep; the limit is ${limits.maxDepth}.`, { nodes: def }))
        if (aliases > limits.maxAliases) context.reportError(new GraphQLError(`Operation ${name} uses ${aliases} aliases; the limit is ${limits.maxAliases}.`, { nodes: def }))
        if (fields > limits.maxFields) context.reportError(new GraphQLError(`Operation ${name} selects ${fields} fields; the limit is ${limits.maxFields}.`, { nodes: def }))
        if (mutations > MAX_MUTATION_FIELDS_PER_DOCUMENT) {
          context.reportError(new GraphQLError(`Operation ${name} runs ${mutations} mutations; one per request is allowed.`, { nodes: def }))
        }
      }
      return false
    },
  })
  return [shape]
}

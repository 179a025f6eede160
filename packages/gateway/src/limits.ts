// Validation rules that bound what one GraphQL document may cost, run before any resolver. The rule that matters
// most is ONE_MUTATION_PER_DOCUMENT: without it, aliases turn one HTTP request into a brute force of passcodes.
import { GraphQLError, type ASTVisitor, type DocumentNode, type ValidationContext, type ValidationRule } from 'graphql'
import { documentCostError, isIntrospectionOnly, type CostLimits } from './cost.js'
import { GatewayError } from './errors.js'

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
   * Selected fields per document, counted through fragments (a fragment spread twice counts twice).
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
 * Parsed documents mercurius keeps (valid and refused ones, each in its own LRU, each holding up to twice this).
 * A parsed document of 1000 tokens keeps about 350 KB (graphql keeps every token for locations), so mercurius's
 * default of 1024 lets a flood of distinct documents pin hundreds of MB; a sign-in screen needs a handful.
 */
export const DOCUMENT_CACHE_SIZE = 32

/** graphql-js stops validating a document after this many errors (each error pins part of the document). */
export const MAX_VALIDATION_ERRORS = 10

/**
 * Every mutation of this schema enrolls, activates, verifies, resends or removes: one per document, so a request
 * makes at most one attempt at a passcode.
 */
export const MAX_MUTATION_FIELDS_PER_DOCUMENT = 1

/**
 * In development only (GraphiQL on), an introspection-only query is measured against these instead: GraphiQL's own
 * introspection query nests `ofType` 15 levels deep and selects about 230 fields. Its list fields (`types`, `fields`,
 * `args`…) may nest 3 deep, as that query's do, so what it costs stays polynomial in this small, fixed schema.
 */
export const DEVELOPMENT_INTROSPECTION_LIMITS = Object.freeze({ maxDepth: 16, maxFields: 300, maxListDepth: 3 })

/** The limits a document is measured against: introspection in development gets {@link DEVELOPMENT_INTROSPECTION_LIMITS}. */
function limitsFor (doc: DocumentNode, limits: Readonly<QueryLimits>, development: boolean): Readonly<CostLimits> {
  return development && isIntrospectionOnly(doc) ? { maxAliases: limits.maxAliases, ...DEVELOPMENT_INTROSPECTION_LIMITS } : limits
}

/**
 * Builds the validation rules enforcing `limits` and {@link MAX_MUTATION_FIELDS_PER_DOCUMENT} (with `development`, an
 * introspection-only query is measured against {@link DEVELOPMENT_INTROSPECTION_LIMITS}).
 *
 * @example
 * ```ts
 * app.register(mercurius, { schema, validationRules: limitRules(DEFAULT_LIMITS) })
 * ```
 */
export function limitRules (limits: Readonly<QueryLimits>, development = false): ValidationRule[] {
  const shape: ValidationRule = (context: ValidationContext): ASTVisitor => ({
    Document (doc) {
      // Linear in the document (see cost.ts): fragments are measured once, the walk stops at the first limit passed.
      const problem = documentCostError(doc, limitsFor(doc, limits, development), MAX_MUTATION_FIELDS_PER_DOCUMENT)
      if (problem !== undefined) context.reportError(new GraphQLError(problem, { nodes: doc }))
      return false
    },
  })
  return [shape]
}

/**
 * Refuses a parsed document that exceeds `limits` (or did not come from graphql's parser) with a coded
 * GRAPHQL_VALIDATION_FAILED error. Registered as a mercurius `preValidation` hook, it runs before graphql's own
 * validation rules, so those only ever see documents of bounded size.
 */
export function costGuard (limits: Readonly<QueryLimits>, development = false): (schema: unknown, document: DocumentNode) => Promise<void> {
  return async function graphqlCostGuard (_schema, document) {
    const problem = documentCostError(document, limitsFor(document, limits, development), MAX_MUTATION_FIELDS_PER_DOCUMENT)
    if (problem !== undefined) throw new GatewayError('GRAPHQL_VALIDATION_FAILED', {}, problem)
  }
}

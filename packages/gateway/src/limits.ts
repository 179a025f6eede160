// Validation rules that bound what one GraphQL document may cost, run before any resolver. The rule that matters
// most is ONE_MUTATION_PER_DOCUMENT: without it, aliases turn one HTTP request into a brute force of passcodes.
import { GraphQLError, type ASTVisitor, type DocumentNode, type ValidationContext, type ValidationRule } from 'graphql'
import { documentCostError } from './cost.js'
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
      // Linear in the document (see cost.ts): fragments are measured once, the walk stops at the first limit passed.
      const problem = documentCostError(doc, limits, MAX_MUTATION_FIELDS_PER_DOCUMENT)
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
export function costGuard (limits: Readonly<QueryLimits>): (schema: unknown, document: DocumentNode) => Promise<void> {
  return async function graphqlCostGuard (_schema, document) {
    const problem = documentCostError(document, limits, MAX_MUTATION_FIELDS_PER_DOCUMENT)
    if (problem !== undefined) throw new GatewayError('GRAPHQL_VALIDATION_FAILED', {}, problem)
  }
}

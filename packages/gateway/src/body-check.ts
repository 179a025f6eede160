// The GraphQL POST body, checked as it was sent. Mercurius describes it with a JSON schema, and Fastify's ajv coerces
// types to fit one: `{"query":["{ factors { id } }"]}` ran as the text inside, `{"query":null}` as an empty document,
// `{"operationName":["A"]}` as "A". Here nothing is coerced: each member has its type or is absent.

/** A validator of one part of a request, as Fastify's `validatorCompiler` returns it. */
type PartValidator = (data: unknown) => true | { error: Error }

const accept: PartValidator = () => true

/** What a body that is not a single GraphQL request object gets (the error formatter answers BAD_REQUEST). */
function refused (): { error: Error } {
  return { error: new Error('The body must be a single GraphQL request object.') }
}

/**
 * Fastify's `validatorCompiler` for the GraphQL routes: the POST body is a JSON object whose `query` and
 * `operationName` are strings (`operationName` may be null), whose `variables` is an object or null and whose
 * `extensions` an object, each when present. Other parts (the GET route's query string, refused before it is read)
 * are not looked at. Constant time and memory: only the four members are read.
 */
export function graphqlBodyValidator ({ httpPart }: { httpPart?: string | undefined }): PartValidator {
  return httpPart === 'body' ? checkBody : accept
}

function checkBody (body: unknown): true | { error: Error } {
  if (!isObject(body)) return refused()
  const { query, operationName, variables, extensions } = body as Record<string, unknown>
  const ok = (query === undefined || typeof query === 'string') &&
    (operationName === undefined || operationName === null || typeof operationName === 'string') &&
    (variables === undefined || variables === null || isObject(variables)) &&
    (extensions === undefined || isObject(extensions))
  return ok ? true : refused()
}

function isObject (value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// What counts as a JSON response, for the API and the token endpoint alike.

/** `application/json` or any `application/…+json`, parameters (`; charset=utf-8`) allowed. */
const JSON_TYPE = /^application\/(?:[a-z0-9.+-]*\+)?json\s*(?:;|$)/i

/** True when a `Content-Type` header value names JSON. */
export function isJsonType (contentType: string | undefined): boolean {
  return contentType !== undefined && JSON_TYPE.test(contentType)
}

/** A `Content-Type` value fit for an error message: quoted, at most 100 characters. */
export function quoteType (contentType: string): string {
  return JSON.stringify(contentType.slice(0, 100))
}

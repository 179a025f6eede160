/**
 * `Link` header parsing (RFC 8288) for Okta's cursor pagination:
 * `Link: <https://org/api/v1/users?limit=2>; rel="self", <https://org/api/v1/users?after=00u…&limit=2>; rel="next"`.
 *
 * @module
 */

/**
 * One link of a `Link` header.
 *
 * @example
 * ```ts
 * const link: ParsedLink = { url: 'https://o/api/v1/users?after=x', rel: ['next'], params: { rel: 'next' } }
 * ```
 */
export interface ParsedLink {
  /** The target URL, between `<` and `>`. */
  url: string
  /** The link's relation types, lower-cased (`rel="next self"` gives `['next', 'self']`; `[]` without `rel`). */
  rel: string[]
  /** Every parameter of the link, unquoted (the first of a parameter given twice). */
  params: Record<string, string>
}

/**
 * One link: its URL between `<` and `>` (`[^<>]`: a `<` without its `>` ends the scan at the next `<`, so a hostile
 * header costs linear time, not quadratic), then its parameters, each `; name` or `; name=value`, where a value is a
 * token or a quoted string that may hold `,` and `;` (RFC 8288: `title="page 2, of 3"`).
 */
const LINK = /<([^<>]*)>((?:\s*;\s*[^;,=\s"]+(?:\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,]*))?)*)/g
/** One parameter of a link's tail: its name and its value as written (quoted or not), if it has one. */
const PARAM = /;\s*([^;,=\s"]+)(?:\s*=\s*("(?:[^"\\]|\\.)*"|[^;,]*))?/g

/**
 * Parses every link of one or more `Link` header values. Malformed entries are skipped.
 *
 * @example
 * ```ts
 * parseLinkHeader('<https://x/api/v1/users?after=a>; rel="next"')[0]?.url // 'https://x/api/v1/users?after=a'
 * ```
 */
export function parseLinkHeader (header: string | string[] | undefined): ParsedLink[] {
  if (header === undefined) return []
  const values = Array.isArray(header) ? header : [header]
  const links: ParsedLink[] = []
  for (const value of values) {
    for (const m of value.matchAll(LINK)) {
      const params: Record<string, string> = {}
      for (const p of (m[2] ?? '').matchAll(PARAM)) {
        const raw = p[2]
        const name = p[1]!.toLowerCase()
        // A parameter given twice (`rel="next"; rel="self"`): the first counts, the others are ignored (RFC 8288 §3.3).
        if (raw === undefined || Object.hasOwn(params, name)) continue
        const quoted = raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2
        params[name] = quoted ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw.trim()
      }
      links.push({ url: m[1] ?? '', rel: (params['rel'] ?? '').split(/\s+/).filter(Boolean).map((r) => r.toLowerCase()), params })
    }
  }
  return links
}

/**
 * The URL of the `rel="next"` link, or undefined on the last page.
 *
 * @example
 * ```ts
 * nextLink(response.headers.link) // 'https://dev-1.okta.com/api/v1/users?after=00u…&limit=200'
 * ```
 */
export function nextLink (header: string | string[] | undefined): string | undefined {
  return parseLinkHeader(header).find((l) => l.rel.includes('next'))?.url
}

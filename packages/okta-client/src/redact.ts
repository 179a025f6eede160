// Okta's error text may quote the request back (a proxy, a misconfigured or hostile org): whatever secret the client
// sent is cut out of an error answer before any of it becomes an error's message or fields.

/** Body fields whose string values are secrets: passcodes, answers, passwords, client assertions. */
const SECRET_FIELDS = new Set(['passCode', 'answer', 'password', 'value', 'client_assertion'])
/** Shorter strings are not looked for: they would cut ordinary words and numbers out of Okta's text. */
const MIN_SECRET_LENGTH = 4
/** Request bodies are the client's own, a few levels deep (`credentials.password.value`). */
const MAX_DEPTH = 4

/**
 * The secrets one request carried: the whole Authorization value and its credential, the DPoP proof, and the
 * passcodes, answers and passwords in its JSON body.
 */
export function sentSecrets (headers: Readonly<Record<string, string>>, body: unknown): string[] {
  const out: string[] = []
  const auth = headers['authorization']
  if (auth !== undefined) {
    out.push(auth)
    const space = auth.indexOf(' ')
    if (space !== -1) out.push(auth.slice(space + 1).trim())
  }
  if (headers['dpop'] !== undefined) out.push(headers['dpop'])
  collect(body, out, 0)
  return out
}

function collect (value: unknown, out: string[], depth: number): void {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') {
      if (SECRET_FIELDS.has(key)) out.push(v)
    } else {
      collect(v, out, depth + 1)
    }
  }
}

/**
 * `text` with every occurrence of each secret replaced by `[redacted]`: as sent, and as a JSON string escapes it
 * (the form it has inside an error body's raw text). Longest first, so a token is never left half-cut.
 */
export function redactSecrets (text: string, secrets: readonly string[]): string {
  const forms = new Set<string>()
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue
    forms.add(secret)
    forms.add(JSON.stringify(secret).slice(1, -1))
  }
  let out = text
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (out.includes(form)) out = out.split(form).join('[redacted]')
  }
  return out
}

// JSON read from a file the emulator is given (a seed, a data file, a JWK file), whose text may hold secrets: TOTP
// keys, answers, private key members. V8's SyntaxError quotes the text around the mistake; these errors never do.
import { readFileSync } from 'node:fs'

/**
 * `text` parsed as JSON; on a syntax error, a SyntaxError that says where (V8's "at position N (line L column C)")
 * or what ("Unexpected end of JSON input") but quotes nothing of the text.
 */
export function parseJsonText (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    const message = err instanceof Error ? err.message : ''
    // V8's messages without a quote of the text are kept whole; of the others, only where the mistake is.
    const where = message.includes('"') ? /at position \d+(?: \(line \d+ column \d+\))?/.exec(message)?.[0] : message
    // eslint-disable-next-line no-restricted-syntax -- always caught and kept as the cause of a coded InvalidOptionError or DataFileError
    throw new SyntaxError(where === undefined || where === '' ? 'not valid JSON' : `not valid JSON: ${where}`)
  }
}

/** The JSON of the file at `path` (see {@link parseJsonText}); a file that cannot be read throws Node's error (path and code). */
export function readJsonFile (path: string): unknown {
  return parseJsonText(readFileSync(path, 'utf8'))
}

// The one error of an environment the emulator cannot keep its state in: a data file it cannot use, coded.

/**
 * A data file (`dataFile`, the command line's `--data`) the emulator cannot use, found as it starts: one that cannot be
 * read or is not an okta-emulator state file, is not a regular file, whose directory is missing or not writable, that
 * belongs to another user in a sticky directory, that another emulator holds (its lock file), whose lock file cannot be
 * made, or that an older version wrote and cannot be written again in this version's form. `buildEmulator` throws
 * it and `startEmulator` rejects with it; the command line prints its message and exits 1. The message names the file
 * (never a value from it), the stable `code` is `OKTA_EMULATOR_DATA_FILE`, and `cause` is the underlying error where
 * there is one (Node's, with its own `code`). Its `name` stays `Error`, as with Node's own coded errors. A write that
 * fails later is not this error: it is undone and answered 500 E0000009.
 *
 * @example
 * try { await startEmulator({ dataFile: 'state.json' }) } catch (err) { if (err instanceof DataFileError) console.error(err.code, err.message) }
 */
export class DataFileError extends Error {
  /** Always `OKTA_EMULATOR_DATA_FILE`: a data file the emulator cannot use. */
  readonly code = 'OKTA_EMULATOR_DATA_FILE'
  constructor (message: string, options?: {
    /** The error that led to this one (the standard `cause`). */
    cause?: unknown
  }) {
    super(message, options)
  }
}

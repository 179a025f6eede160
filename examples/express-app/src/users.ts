// The example's user list: in memory, passwords kept as scrypt hashes and compared in constant time. A sign-in hashes
// on libuv's thread pool: scrypt takes tens of milliseconds, which on the event loop would stall every other request.
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { normalizeUsername } from 'passport-okta-mfa'

const scryptAsync = promisify(scrypt) as (password: Buffer, salt: Buffer, keylen: number) => Promise<Buffer>

/**
 * A password as scrypt is given it: its SHA-256, always 32 bytes. scrypt keys an HMAC with the password, and HMAC pads
 * a short key with zero bytes, so given as typed "secret" and "secret\0" would be one password.
 */
function passwordKey (password: string): Buffer {
  return createHash('sha256').update(password, 'utf8').digest()
}

/** A user as the app's own login sees it. `email` doubles as the Okta login. */
export interface AppUser {
  id: string
  username: string
  email: string
  displayName: string
}

/** A user to create, with a clear-text password (hashed at once). */
export interface UserSeed extends AppUser {
  password: string
}

interface StoredUser extends AppUser {
  salt: Buffer
  hash: Buffer
}

/** An in-memory user directory for passport-local. */
export class UserDirectory {
  readonly #byId = new Map<string, StoredUser>()
  readonly #byName = new Map<string, StoredUser>()
  /** The salt an unknown name is hashed with, so that timing does not tell which names exist. */
  readonly #decoySalt = randomBytes(16)

  constructor (seeds: readonly UserSeed[]) {
    for (const { password, ...user } of seeds) {
      const salt = randomBytes(16)
      const stored: StoredUser = { ...user, salt, hash: scryptSync(passwordKey(password), salt, 32) }
      this.#byId.set(user.id, stored)
      this.#byName.set(normalizeUsername(user.username), stored)
    }
  }

  /** The user with these credentials, or undefined. */
  async authenticate (username: string, password: string): Promise<AppUser | undefined> {
    const stored = this.#byName.get(normalizeUsername(username))
    // Hash even for an unknown name so that timing does not tell which names exist.
    const hash = await scryptAsync(passwordKey(password), stored?.salt ?? this.#decoySalt, 32)
    if (stored === undefined || !timingSafeEqual(hash, stored.hash)) return undefined
    return this.find(stored.id)
  }

  /** The public view of a user by id. */
  find (id: string): AppUser | undefined {
    const stored = this.#byId.get(id)
    if (stored === undefined) return undefined
    return { id: stored.id, username: stored.username, email: stored.email, displayName: stored.displayName }
  }
}

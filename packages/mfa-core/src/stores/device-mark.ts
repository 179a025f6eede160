// The key of RememberedDevices' "forget remembered devices" mark in a RevocationStore, and how a store tells such a
// mark from a user's "sign out of all sessions" (which the memory store keeps apart: they live 400 days, not a day).
import { MAX_USER_KEY_LENGTH } from '../session-state.js'

/**
 * The user mark of "forget remembered devices" in the revocation store: longer than any user key (at most
 * MAX_USER_KEY_LENGTH), so no user's "sign out of all sessions" can hit another user's devices, and length-prefixed,
 * so two users never share one.
 */
export function deviceMarkKey (userKey: string): string {
  return `device:${userKey.length}:${userKey}:`.padEnd(MAX_USER_KEY_LENGTH + 16, '#')
}

/** Whether a user mark's key is a device mark: no user key is that long. */
export function isDeviceMarkKey (key: string): boolean {
  return key.length > MAX_USER_KEY_LENGTH
}

// Wires the emulator's authorization server: the state, its service apps (option and seed file),
// and the handle tests use to count token requests, end tokens and rotate nonces.
import { addAppRecords, seedServiceApps, toAppRecord } from './apps.js'
import { OAuthState } from './state.js'
import type { EmulatorOAuth, EmulatorOptions, ServiceApp } from '../types.js'
import { InvalidOptionError } from '../invalid-option.js'

/**
 * Builds the OAuth state from the options and the seed's JSON (read already: the file is read once); throws TypeError
 * on a bad service app.
 */
export function createOAuthState (options: EmulatorOptions, clock: () => number, seedJson: unknown): OAuthState {
  if (options.dpopApiNonce !== undefined && typeof options.dpopApiNonce !== 'boolean') {
    throw new InvalidOptionError('"dpopApiNonce" option must be a boolean')
  }
  if (options.serviceApps !== undefined && !Array.isArray(options.serviceApps)) {
    throw new InvalidOptionError('"serviceApps" option must be an array of service apps')
  }
  const state = new OAuthState(clock, options.dpopApiNonce ?? false, options.maxOAuthRecords)
  // A client id registered twice is refused: only one of the two apps could get tokens.
  addAppRecords(state.apps, options.serviceApps ?? [], '"serviceApps" option')
  if (options.seed !== undefined) {
    addAppRecords(state.apps, seedServiceApps(seedJson), '"seed" option serviceApps', 'the "serviceApps" option')
  }
  return state
}

/** The test handle of the authorization server. */
export function oauthHandle (state: OAuthState): EmulatorOAuth {
  return {
    tokenRequests: () => state.tokenRequests,
    sswsRequests: () => state.sswsRequests,
    registerServiceApp: (app: ServiceApp) => {
      const r = toAppRecord(app, 'registerServiceApp')
      state.apps.set(r.clientId, r)
    },
    expireTokens: (clientId?: string) => state.endTokens(clientId, true),
    revokeTokens: (clientId?: string) => state.endTokens(clientId, false),
    rotateDpopNonces: () => { state.rotateNonces() },
  }
}

// Wires the emulator's authorization server: the state, its service apps (option and seed file),
// and the handle tests use to count token requests, end tokens and rotate nonces.
import { seedServiceApps, toAppRecord } from './apps.js'
import { OAuthState } from './state.js'
import type { EmulatorOAuth, EmulatorOptions, ServiceApp } from '../types.js'

/** Builds the OAuth state from the options; throws TypeError on a bad service app. */
export function createOAuthState (options: EmulatorOptions, clock: () => number): OAuthState {
  if (options.dpopApiNonce !== undefined && typeof options.dpopApiNonce !== 'boolean') {
    throw new TypeError('"dpopApiNonce" option must be a boolean')
  }
  if (options.serviceApps !== undefined && !Array.isArray(options.serviceApps)) {
    throw new TypeError('"serviceApps" option must be an array of service apps')
  }
  const state = new OAuthState(clock, options.dpopApiNonce ?? false)
  for (const app of options.serviceApps ?? []) {
    const r = toAppRecord(app)
    state.apps.set(r.clientId, r)
  }
  if (options.seed !== undefined) {
    for (const app of seedServiceApps(options.seed)) {
      const r = toAppRecord(app, '"seed" option serviceApps')
      if (!state.apps.has(r.clientId)) state.apps.set(r.clientId, r)
    }
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

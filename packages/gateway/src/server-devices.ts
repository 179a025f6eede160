// "Remember this device" for the standalone server (buildGatewayServer): the device cookies of the app that shares
// its SESSION_KEY, judged against the Okta user bound in the session being served.
import type { FastifyInstance } from 'fastify'
import { activeFactorIdsOf, getOktaUserBinding, RememberedDevices, resolveOktaUserId, userKeyOf, type RevocationStore } from '@okta-mfa/core'
import type { GatewayServerConfig } from './config.js'
import { defaultResolveOktaUser } from './scope.js'
import type { BuildGatewayServerOptions } from './server.js'

/**
 * "Remember this device" for the standalone server: cookies signed with a key derived from SESSION_KEY (so the app
 * that shares the session key honours the same cookies), bound to the user's active factors read from Okta (none while
 * Okta would refuse the user's sign-in: suspended, deactivated, locked out).
 */
export function rememberedDevicesOf (app: FastifyInstance, config: GatewayServerConfig, options: BuildGatewayServerOptions, revocations: RevocationStore): RememberedDevices {
  const resolve = options.gateway?.resolveOktaUser ?? defaultResolveOktaUser
  const clock = options.gateway?.clock
  return new RememberedDevices({
    // Every key of SESSION_KEY, newest first, as for the session cookie: a rotation keeps the devices remembered.
    secret: config.sessionKeys ?? [config.sessionKey],
    maxAgeDays: config.rememberDeviceDays,
    store: options.gateway?.revocations ?? revocations,
    // The plugin's own user key: the step a device records is the one every operation reads.
    userKey: options.gateway?.userKey,
    ...(clock === undefined ? {} : { clock }),
    activeFactorIds: async (user, request) => {
      const client = app.oktaMfaGateway.client
      // The Okta user bound in the session being served (the one `viewer`, `factors` and the mutations act on), so a
      // login renamed in Okta mid-session neither provisions another user here nor judges the device against it.
      const bound = request === undefined ? undefined : getOktaUserBinding(request, userKeyOf(user, options.gateway?.userKey))
      const id = bound?.oktaUserId ?? await resolveOktaUserId(client, resolve, user, undefined, { provision: config.provision })
      return await activeFactorIdsOf(client, id)
    },
  })
}

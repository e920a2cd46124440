// What `leadgraph start` / `server` say when they listen beyond this machine
// outside production (HOST=0.0.0.0 without NODE_ENV=production): the README's
// "0.0.0.0 to expose it" is meant for a server in production mode.
import type { Config } from "./config.ts";
import { anonymousIsDefaultUser } from "./auth.ts";

/** The warning to print, or undefined when the API listens on loopback only or runs in production. */
export function exposedInDevelopmentWarning(config: Pick<Config, "host" | "production" | "jwtSecret">): string | undefined {
  if (config.production || anonymousIsDefaultUser(config.production, config.host)) return undefined;
  const tokens = config.jwtSecret
    ? "every request needs a token (the no-token default user is only served on 127.0.0.1)"
    : "JWT_SECRET is not set, so no token can be verified and every GraphQL request and upload is refused (401); the no-token default user is only served on 127.0.0.1";
  return [
    `WARNING: HOST=${config.host} makes the API reachable from the network, in development mode (NODE_ENV is not production):`,
    `  ${tokens};`,
    "  GraphiQL, introspection and full error messages are served to anyone who can reach this port.",
    "  For a server: NODE_ENV=production and JWT_SECRET (README: Configuration). For this machine only: HOST=127.0.0.1 (the default).",
  ].join("\n");
}

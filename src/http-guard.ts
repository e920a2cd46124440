// Who may reach the API at all, before any route runs (mounted first in
// src/server.ts):
// - In the local mode (src/auth.ts anonymousIsDefaultUser: not production,
//   listening on loopback) a request without a token acts as the default
//   user. Any web page the user opens could then use it: by DNS rebinding (its
//   own name pointed at 127.0.0.1, so the browser sends `Host: evil.example`)
//   or by posting a form or a text/plain body cross-site (CORS stops the
//   reading, not the sending). So in that mode every request must name a
//   loopback host, and a browser's `Origin`, when it sends one, must be this
//   server or one of CORS_ORIGINS. The port is not checked: a rebinding page
//   has to use ours anyway, and an SSH tunnel may use another.
// - Webhooks (/webhooks/...) are exempt: they come from Instantly's and
//   VAPI's servers (through a tunnel, under its name, when run locally), act
//   as nobody, and carry their own secret, which no cross-site form can send.
// - A Bearer token on the paths that act as a user (/graphql, /imports) must
//   have a lifetime within JWT_MAX_AGE, name a user that exists, and carry
//   that user's current token version (`leadgraph token --revoke`).
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type pg from "pg";
import { anonymousIsDefaultUser, AUTHENTICATION_REQUIRED, AuthError, TokenUsers, verifyToken } from "./auth.ts";
import { DEFAULT_JWT_MAX_AGE_SECONDS, type Config } from "./config.ts";

/** The paths where a token names the user a request acts as (webhooks' Bearer is their secret, not a token). */
const USER_PATHS = ["/graphql", "/imports"];
const WEBHOOK_PATHS = "/webhooks/";

export type HttpGuardOptions = Pick<Config, "host" | "production" | "jwtSecret" | "corsOrigins"> &
  Partial<Pick<Config, "jwtMaxAgeSeconds">> & { pool: pg.Pool };

/** A host name that can only mean this machine: a DNS-rebinding page cannot use it. */
function isLoopbackName(hostname: string, configuredHost: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return (
    name === "localhost" ||
    name.endsWith(".localhost") || // RFC 6761: browsers resolve these to loopback themselves
    name === "[::1]" ||
    /^127(\.\d{1,3}){3}$/.test(name) ||
    name === configuredHost.toLowerCase() ||
    `[${configuredHost.toLowerCase()}]` === name
  );
}

/** The host name of a Host header value ("localhost:5678" -> "localhost", "[::1]:5678" -> "[::1]"). */
function hostnameOf(host: string): string {
  return host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d*$/, "");
}

function refuse(req: Request, res: Response, status: number, code: string, message: string) {
  // GraphQL clients read `errors`; the other endpoints answer `{"error": ...}` (docs/error-codes.md).
  if (req.path === "/graphql") res.status(status).json({ errors: [{ message, extensions: { code } }] });
  else res.status(status).json({ error: message, code });
}

export function httpGuard(options: HttpGuardOptions): RequestHandler {
  const localMode = anonymousIsDefaultUser(options.production, options.host);
  const tokenUsers = new TokenUsers(options.pool);
  const allowedOrigins = new Set(options.corsOrigins);
  const maxAge = options.jwtMaxAgeSeconds ?? DEFAULT_JWT_MAX_AGE_SECONDS;

  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path.startsWith(WEBHOOK_PATHS)) return next();
    if (localMode) {
      const host = req.headers.host ?? "";
      if (!isLoopbackName(hostnameOf(host), options.host)) {
        refuse(
          req,
          res,
          421,
          "HOST_NOT_ALLOWED",
          `This server runs in local mode (no token needed: requests act as the default user), so it answers only to localhost, 127.0.0.1 and [::1], not to Host "${host}" (a guard against DNS rebinding). Open it as http://localhost:<port>; to serve it under another name, listen on that address (HOST) with JWT_SECRET set: every request then needs a token.`,
        );
        return;
      }
      const origin = req.headers.origin;
      if (origin !== undefined && !allowedOrigins.has(origin) && !sameOrigin(origin, host)) {
        refuse(
          req,
          res,
          403,
          "ORIGIN_NOT_ALLOWED",
          `Cross-origin request refused: in local mode (no token needed) only this server's own pages (http://${host}) and CORS_ORIGINS may call it, and Origin "${origin}" is neither. If that site is yours, add it to CORS_ORIGINS.`,
        );
        return;
      }
    }
    const authorization = req.headers.authorization;
    // GraphQL without a token outside local mode: refused here, not by the
    // request's context callback, where grafserv prints the error with its
    // stack for every such request (a flood of stack traces from any client).
    // (A CORS preflight carries no token.)
    if (!authorization && !localMode && req.path === "/graphql" && req.method !== "OPTIONS") {
      refuse(req, res, 401, "UNAUTHENTICATED", AUTHENTICATION_REQUIRED);
      return;
    }
    if (!authorization || !USER_PATHS.some((path) => req.path === path || req.path.startsWith(`${path}/`))) return next();
    let claims;
    try {
      claims = verifyToken(authorization, { jwtSecret: options.jwtSecret, maxAgeSeconds: maxAge });
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      refuse(req, res, 401, "UNAUTHENTICATED", error.message);
      return;
    }
    tokenUsers.check(claims).then(
      () => next(),
      (error: unknown) => {
        if (error instanceof AuthError) refuse(req, res, 401, "UNAUTHENTICATED", error.message);
        else next(error);
      },
    );
  };
}

/** Whether `origin` is the origin of a page of this server as the browser reached it (Host), by http or https. */
function sameOrigin(origin: string, host: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

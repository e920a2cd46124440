// Who is asking: a Bearer JWT (HS256, signed with JWT_SECRET, with an expiry)
// names a user by its users.id in `sub`. On a laptop (not production, bound
// to loopback) a request without a token acts as the default user, so
// GraphiQL just works.
import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import { SafeError } from "postgraphile/grafast";
import { isUuid } from "./uuid.ts";

export const DEFAULT_USER_ID = "00000000-0000-0000-0000-000000000001";
const AUDIENCE = "leadgraph";

export interface AuthOptions {
  jwtSecret: string | undefined;
  /** A request without a token acts as the default user (local development only). */
  anonymousIsDefaultUser: boolean;
}

/** Local development: not production, and reachable from this machine only. */
export function anonymousIsDefaultUser(production: boolean, host: string): boolean {
  return !production && ["127.0.0.1", "::1", "localhost"].includes(host);
}

/** An authentication failure: HTTP 401 with a message that says what to fix (safe to show, not logged as a crash). */
export class AuthError extends SafeError {
  readonly statusCode = 401;
}

export function signToken(userId: string, secret: string, expiresIn: string): string {
  return jwt.sign({}, secret, {
    algorithm: "HS256",
    subject: userId,
    audience: AUDIENCE,
    expiresIn: expiresIn as jwt.SignOptions["expiresIn"],
  });
}

// jsonwebtoken turns a string secret into a key on every verify, first by
// trying it as a public key, which throws (bench:graphql's profile: ~3% of a
// lead-timeline request's CPU). The key is made once per secret instead.
const secretKeys = new Map<string, KeyObject>();
function secretKey(secret: string): KeyObject {
  let key = secretKeys.get(secret);
  if (!key) secretKeys.set(secret, (key = createSecretKey(Buffer.from(secret, "utf8"))));
  return key;
}

/** The id of the user a request acts as, from its Authorization header. Throws AuthError. */
export function authenticate(authorization: string | undefined, options: AuthOptions): string {
  if (!authorization) {
    if (options.anonymousIsDefaultUser) return DEFAULT_USER_ID;
    throw new AuthError(
      "Authentication required: send `Authorization: Bearer <token>` (mint one with `leadgraph token --email you@example.com`).",
    );
  }
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) throw new AuthError("Malformed Authorization header: expected `Bearer <token>`.");
  if (!options.jwtSecret) throw new AuthError("Tokens are not accepted: JWT_SECRET is not set on this server.");
  let claims: jwt.JwtPayload;
  try {
    claims = jwt.verify(match[1], secretKey(options.jwtSecret), { algorithms: ["HS256"], audience: AUDIENCE }) as jwt.JwtPayload;
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError)
      throw new AuthError(`Token expired at ${error.expiredAt.toISOString()}.`, undefined, { cause: error });
    throw new AuthError(`Invalid token: ${(error as Error).message}.`, undefined, { cause: error });
  }
  if (typeof claims.exp !== "number") throw new AuthError("Invalid token: it has no expiry (`exp`).");
  if (!isUuid(claims.sub)) throw new AuthError("Invalid token: `sub` must be a user id.");
  return claims.sub;
}

// Who is asking: a Bearer JWT (HS256, signed with JWT_SECRET) names a user by
// its users.id in `sub`. Outside production a request without a token acts as
// the default user, so GraphiQL on a laptop just works.
import jwt from "jsonwebtoken";

export const DEFAULT_USER_ID = "00000000-0000-0000-0000-000000000001";
const AUDIENCE = "leadgraph";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AuthOptions {
  jwtSecret: string | undefined;
  production: boolean;
}

/** An authentication failure: HTTP 401 with a message that says what to fix. */
export class AuthError extends Error {
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

/** The id of the user a request acts as, from its Authorization header. Throws AuthError. */
export function authenticate(authorization: string | undefined, options: AuthOptions): string {
  if (!authorization) {
    if (!options.production) return DEFAULT_USER_ID;
    throw new AuthError("Authentication required: send `Authorization: Bearer <token>` (mint one with `leadgraph token --email you@example.com`).");
  }
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) throw new AuthError("Malformed Authorization header: expected `Bearer <token>`.");
  if (!options.jwtSecret) throw new AuthError("Tokens are not accepted: JWT_SECRET is not set on this server.");
  let claims: jwt.JwtPayload;
  try {
    claims = jwt.verify(match[1], options.jwtSecret, { algorithms: ["HS256"], audience: AUDIENCE }) as jwt.JwtPayload;
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) throw new AuthError(`Token expired at ${error.expiredAt.toISOString()}.`);
    throw new AuthError(`Invalid token: ${(error as Error).message}.`);
  }
  if (typeof claims.sub !== "string" || !UUID.test(claims.sub)) throw new AuthError("Invalid token: `sub` must be a user id.");
  return claims.sub;
}

// Who is asking: a Bearer JWT (HS256, signed with JWT_SECRET, with an expiry)
// names a user by its users.id in `sub` and the user's token version in
// `ver` (`leadgraph token --revoke` moves the version on, which voids every
// token minted before). On a laptop (not production, bound to loopback) a
// request without a token acts as the default user, so GraphiQL just works;
// src/http-guard.ts keeps other sites and DNS-rebound names out of that mode.
import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";
import type pg from "pg";
import { SafeError } from "postgraphile/grafast";
import { isUuid } from "./uuid.ts";

export const DEFAULT_USER_ID = "00000000-0000-0000-0000-000000000001";
const AUDIENCE = "leadgraph";

export interface AuthOptions {
  jwtSecret: string | undefined;
  /** A request without a token acts as the default user (local development only). */
  anonymousIsDefaultUser: boolean;
  /** JWT_MAX_AGE: refuse tokens whose expiry is further than this from their issue (or from now). */
  maxAgeSeconds?: number;
}

/** What a verified token says. */
export interface TokenClaims {
  userId: string;
  /** The user's token version when it was minted (0 before any revocation). */
  version: number;
}

/** Local development: not production, and reachable from this machine only. */
export function anonymousIsDefaultUser(production: boolean, host: string): boolean {
  return !production && ["127.0.0.1", "::1", "localhost"].includes(host);
}

/** An authentication failure: HTTP 401 with a message that says what to fix (safe to show, not logged as a crash). */
export class AuthError extends SafeError {
  readonly statusCode = 401;
  constructor(...args: ConstructorParameters<typeof SafeError>) {
    super(...args);
    // SafeError resets the prototype to its own: without this, `instanceof AuthError` is false.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** A token for `userId` with the user's current token version (users.ts tokenVersion). */
export function signToken(userId: string, secret: string, expiresIn: string, version = 0): string {
  return jwt.sign({ ver: version }, secret, {
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

/** What a request without a token hears where one is needed. */
export const AUTHENTICATION_REQUIRED =
  "Authentication required: send `Authorization: Bearer <token>` (mint one with `leadgraph token --email you@example.com`).";

/** The id of the user a request acts as, from its Authorization header. Throws AuthError. */
export function authenticate(authorization: string | undefined, options: AuthOptions): string {
  if (!authorization) {
    if (options.anonymousIsDefaultUser) return DEFAULT_USER_ID;
    throw new AuthError(AUTHENTICATION_REQUIRED);
  }
  return verifyToken(authorization, options).userId;
}

/** The claims of the Bearer token in `authorization` (signature, audience, expiry, lifetime). Throws AuthError. */
export function verifyToken(authorization: string, options: Pick<AuthOptions, "jwtSecret" | "maxAgeSeconds">): TokenClaims {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) throw new AuthError("Malformed Authorization header: expected `Bearer <token>`.");
  if (!options.jwtSecret) throw new AuthError("Tokens are not accepted: JWT_SECRET is not set on this server.");
  let claims: jwt.JwtPayload;
  try {
    claims = jwt.verify(match[1]!, secretKey(options.jwtSecret), { algorithms: ["HS256"], audience: AUDIENCE }) as jwt.JwtPayload;
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError)
      throw new AuthError(`Token expired at ${error.expiredAt.toISOString()}.`, undefined, { cause: error });
    throw new AuthError(`Invalid token: ${(error as Error).message}.`, undefined, { cause: error });
  }
  if (typeof claims.exp !== "number") throw new AuthError("Invalid token: it has no expiry (`exp`).");
  if (!isUuid(claims.sub)) throw new AuthError("Invalid token: `sub` must be a user id.");
  // A leaked token must not outlive the ceiling, whatever it says.
  if (options.maxAgeSeconds !== undefined) {
    const from = typeof claims.iat === "number" ? claims.iat : Math.floor(Date.now() / 1000);
    if (claims.exp - from > options.maxAgeSeconds)
      throw new AuthError(
        `Token lifetime too long: it expires ${Math.round((claims.exp - from) / 86400)} days after it was issued, over this server's JWT_MAX_AGE of ${Math.round(options.maxAgeSeconds / 86400)} days. Mint a shorter one (\`leadgraph token --expires 30d\`).`,
      );
  }
  const version = claims.ver ?? 0;
  if (!Number.isInteger(version) || version < 0) throw new AuthError("Invalid token: `ver` must be a token version.");
  return { userId: claims.sub, version };
}

/** How long the API trusts what it read about a token's user: a revocation or a deleted user takes effect within this. */
export const TOKEN_USER_CACHE_MS = 10_000;

/**
 * Whether a token's user still exists and the token is not revoked (its
 * version is the user's current one). One query per user per
 * TOKEN_USER_CACHE_MS and process; token_user_version() is the API login's
 * only view of users outside a request (migrations/current.sql).
 */
export class TokenUsers {
  readonly #pool: pg.Pool;
  readonly #cache = new Map<string, { version: number | null; until: number }>();
  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Throws AuthError when the user is gone or the token revoked. */
  async check(claims: TokenClaims): Promise<void> {
    const now = Date.now();
    let entry = this.#cache.get(claims.userId);
    if (!entry || entry.until <= now) {
      const { rows } = await this.#pool.query<{ version: number | null }>("select token_user_version($1) as version", [claims.userId]);
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(claims.userId, (entry = { version: rows[0]?.version ?? null, until: now + TOKEN_USER_CACHE_MS }));
    }
    if (entry.version === null)
      throw new AuthError("Invalid token: its user does not exist (any more). Mint a new one with `leadgraph token`.");
    if (claims.version !== entry.version)
      throw new AuthError("Token revoked (`leadgraph token --revoke`): mint a new one with `leadgraph token --email ...`.");
  }
}

// leadgraph's users (the people tokens are minted for: `leadgraph token`).
import pg from "pg";

export interface User {
  id: string;
  email: string;
  /** It did not exist before this call. */
  created: boolean;
  /** The version its tokens carry (`ver`): tokens of an older one were revoked. */
  tokenVersion: number;
}

/**
 * The user with this email (in its normal form, leadgraph_rules.normalize_email),
 * created if new with `fullName` (default: the email's local part).
 */
export async function ensureUser(databaseUrl: string, email: string, fullName?: string): Promise<User> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; email: string; created: boolean }>(
      `insert into users (email, full_name)
       select address, coalesce($2, split_part(address, '@', 1)) from leadgraph_rules.normalize_email($1) address
       on conflict (email) do update set email = excluded.email
       returning id, email, (xmax = 0) as created`,
      [email, fullName ?? null],
    );
    const { id, created } = rows[0]!;
    const version = await client.query<{ version: number }>("select token_user_version($1) as version", [id]);
    return { id, email: rows[0]!.email, created, tokenVersion: version.rows[0]!.version };
  } finally {
    await client.end();
  }
}

/**
 * Voids every token minted so far for the user with this email (the API
 * refuses them within src/auth.ts TOKEN_USER_CACHE_MS); tokens minted
 * afterwards work. Throws if there is no such user.
 */
export async function revokeTokens(databaseUrl: string, email: string): Promise<{ id: string; email: string; tokenVersion: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; email: string; version: number }>(
      `select u.id, u.email, leadgraph_private.revoke_tokens(u.id) as version
       from users u where u.email = leadgraph_rules.normalize_email($1)`,
      [email],
    );
    if (!rows[0]) throw new Error(`no user with the email ${email}: nothing to revoke`);
    return { id: rows[0].id, email: rows[0].email, tokenVersion: rows[0].version };
  } finally {
    await client.end();
  }
}

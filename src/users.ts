// leadgraph's users (the people tokens are minted for: `leadgraph token`).
import pg from "pg";

export interface User {
  id: string;
  email: string;
  /** It did not exist before this call. */
  created: boolean;
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
    return { id: rows[0]!.id, email: rows[0]!.email, created: rows[0]!.created };
  } finally {
    await client.end();
  }
}

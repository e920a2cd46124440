// leadgraph's users (the people tokens are minted for: `leadgraph token`).
import pg from "pg";

export interface User {
  id: string;
  email: string;
  /** It did not exist before this call. */
  created: boolean;
}

/**
 * The user with this email (trimmed, lower-cased), created if new with
 * `fullName` (default: the email's local part).
 */
export async function ensureUser(databaseUrl: string, email: string, fullName?: string): Promise<User> {
  const address = email.trim().toLowerCase();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; created: boolean }>(
      `insert into users (email, full_name) values ($1, $2)
       on conflict (email) do update set email = excluded.email
       returning id, (xmax = 0) as created`,
      [address, fullName ?? address.split("@")[0]],
    );
    return { id: rows[0]!.id, email: address, created: rows[0]!.created };
  } finally {
    await client.end();
  }
}

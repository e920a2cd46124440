// The database roles GraphQL requests run as. Roles belong to the whole
// PostgreSQL cluster, not to one database, so they are created here, before
// the migrations that grant them rights (as graphile/starter does).
//
//   owner            the DATABASE_URL user: owns the tables, runs migrations and the worker
//   authenticator    leadgraph_authenticator: the API's login; no rights of its own
//   visitor          leadgraph_visitor: what every GraphQL request switches to
//                    (`set role` through pgSettings); grants + RLS policies apply
import pg from "pg";
import { pgCode, SQLSTATE } from "./errors.ts";

export const AUTHENTICATOR_ROLE = "leadgraph_authenticator";
export const VISITOR_ROLE = "leadgraph_visitor";

/** Creates the roles if missing; sets the authenticator's password when given. */
export async function ensureRoles(ownerUrl: string, authenticatorPassword?: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ rolname: string }>("select rolname from pg_roles where rolname = any($1)", [
      [AUTHENTICATOR_ROLE, VISITOR_ROLE],
    ]);
    const existing = new Set(rows.map((r) => r.rolname));
    try {
      if (!existing.has(VISITOR_ROLE)) await client.query(`create role ${VISITOR_ROLE} nologin`);
      if (!existing.has(AUTHENTICATOR_ROLE)) await client.query(`create role ${AUTHENTICATOR_ROLE} login noinherit`);
    } catch (error) {
      // Two processes creating them at once: the loser sees "already exists".
      const code = pgCode(error);
      if (code === SQLSTATE.duplicateObject || code === SQLSTATE.uniqueViolation) return ensureRoles(ownerUrl, authenticatorPassword);
      throw new Error(
        `could not create the database roles ${VISITOR_ROLE} and ${AUTHENTICATOR_ROLE} (${(error as Error).message}). ` +
          `Ask an administrator to run: create role ${VISITOR_ROLE} nologin; create role ${AUTHENTICATOR_ROLE} login noinherit password '...'; ` +
          `grant ${VISITOR_ROLE} to ${AUTHENTICATOR_ROLE}; grant ${VISITOR_ROLE} to <the DATABASE_URL user>;`,
        { cause: error },
      );
    }
    // The authenticator may become the visitor; so may the owner (when the
    // API connects with DATABASE_URL because no AUTH_DATABASE_URL is given).
    await grantMembership(client, VISITOR_ROLE, AUTHENTICATOR_ROLE);
    await grantMembership(client, VISITOR_ROLE, "current_user");
    // graphile-migrate's reset revokes connect from public on the databases it creates.
    const { rows: db } = await client.query("select current_database() as name");
    await client.query(`grant connect on database ${client.escapeIdentifier(db[0].name)} to ${AUTHENTICATOR_ROLE}`);
    if (authenticatorPassword) {
      await client.query(`alter role ${AUTHENTICATOR_ROLE} with login password ${client.escapeLiteral(authenticatorPassword)}`);
    }
  } finally {
    await client.end();
  }
}

/** Lets `member` `set role` to `role`. */
async function grantMembership(client: pg.Client, role: string, member: string) {
  const who = member === "current_user" ? "current_user" : client.escapeLiteral(member);
  const { rows } = await client.query(
    `select pg_has_role(${who}, $1, 'member') as is_member,
            current_setting('server_version_num')::int >= 160000 as has_set_option,
            case when current_setting('server_version_num')::int >= 160000 then pg_has_role(${who}, $1, 'SET') else true end as can_set`,
    [role],
  );
  const { is_member, has_set_option, can_set } = rows[0];
  // Since PostgreSQL 16 the creator of a role is a member without the SET
  // option: it could not switch to the visitor role without this grant.
  if (has_set_option && !can_set) await client.query(`grant ${role} to ${member} with set true`);
  else if (!is_member) await client.query(`grant ${role} to ${member}`);
}

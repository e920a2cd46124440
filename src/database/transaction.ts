// One transaction on a client: commit on success, roll back on failure (a
// rollback that fails too must not hide the first error).
import type { PoolClient } from "pg";

export async function inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query("begin");
  try {
    const result = await work();
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => {});
    throw error;
  }
}

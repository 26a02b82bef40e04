import pg from 'pg';

/** The local PostgreSQL the e2e suites grant and revoke on (trust auth, superuser postgres, database test). */
export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };

/** Whether `user` can log in with `password` and read `table` right now: what containment must take away and rollback give back. */
export async function canQuery(user: string, password: string, table: string): Promise<boolean> {
  const client = new pg.Client({ ...PG, user, password });
  try {
    await client.connect();
    await client.query(`SELECT count(*) FROM ${table}`);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

import { escapeIdentifier as q, Pool, type PoolClient } from 'pg';
import { z } from 'zod';
import { accessItemKey, diffAccess, type AccessDiff, type AccessItem } from '../access-item.js';
import type { AccessChange, Connector, PrincipalRef } from '../connector.js';
import {
  ConnectorError,
  ConnectorRejectedError,
  IdentityNotFoundError,
  InvalidAccessItemError,
  ResourceNotFoundError,
  UnmappedPrincipalError,
} from '../connector.errors.js';
import { resolveIdentity } from '../identity/identity-mapping.js';
import type { GrantChange, GrantChangeOutcome, PermissionChangeReverter, ResourceRef } from '../permission-change.js';
import { readBackOutcome } from '../access-change.js';
import { withRetry, type RetryHooks } from '../resilience/with-retry.js';
import { findRole, readHoldings, terminateSessions } from './postgres.catalog.js';
import type { PostgresConnectorConfig } from './postgres.config.js';
import { classifyPostgresError } from './postgres.errors.js';
import {
  findRelation,
  grantPrivilegesStatement,
  parseGrantee,
  parsePrivileges,
  parseRelationId,
  readGranteeEntries,
  revokeEntriesStatements,
  type Grantee,
  type RelationGrant,
  type RelationName,
  type ResolvedRelation,
} from './postgres.grants.js';
import { postgresAccessItemSchema, type PostgresAccessItem } from './postgres.items.js';
import {
  grantStatement,
  restorationOrder,
  revocationOrder,
  revokeStatement,
  type Statement,
} from './postgres.statements.js';

/** PostgreSQL truncates longer names silently, which could map two principals to one role. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * Run at the start of every attempt, on the connection it uses: learns the
 * backend's pid and makes the server notice a dead Warden by itself.
 *
 * A backend waiting on a lock does not read from its client, so when the
 * Warden process that owns it is killed mid-revoke the backend stays, inside
 * its open transaction and holding the locks it already took (the role's
 * catalog row after NOLOGIN, say), until the lock it waits for is granted.
 * idle_in_transaction_session_timeout does not apply to it: it is not idle.
 * The Warden that resumes the containment then queues behind its dead
 * predecessor. `client_connection_check_interval` (PostgreSQL 14+) has the
 * server poll the socket while a statement runs, so such a backend is ended
 * (its transaction rolled back, nothing committed) within a second of its
 * client's death; the keepalive settings do the same when the client's host
 * vanishes without closing the connection. Older servers lack the setting
 * and are left as they were (the CASE keeps set_config from failing there).
 */
const SESSION_SQL = `
SELECT pg_backend_pid() AS pid,
       CASE WHEN current_setting('server_version_num')::int >= 140000
            THEN set_config('client_connection_check_interval', '1000', false) END AS dead_client_check,
       set_config('tcp_keepalives_idle', '30', false) AS keepalives_idle,
       set_config('tcp_keepalives_interval', '10', false) AS keepalives_interval,
       set_config('tcp_keepalives_count', '3', false) AS keepalives_count`;

const itemsSchema = z.array(postgresAccessItemSchema);

/**
 * Contains an agent's database role: snapshot what it holds, revoke it all
 * (NOLOGIN, memberships, database/schema/table/column grants) and end its
 * sessions; restore exactly the snapshot, grantor and grant option included.
 *
 * Not covered (each is reported by nothing and left as is): privileges the
 * role has as an object's owner (ownership cannot be revoked, only handed
 * over, which is not reversible in this sense); grants to PUBLIC; function,
 * type, large-object, tablespace, FDW and parameter privileges; default
 * privileges; role attributes other than LOGIN (a SUPERUSER agent bypasses
 * every grant: only NOLOGIN and ending its sessions contain it).
 */
export class PostgresConnector implements Connector<PostgresAccessItem>, PermissionChangeReverter {
  readonly kind = 'postgres';
  readonly name: string;
  private readonly pool: Pool;

  constructor(
    private readonly config: PostgresConnectorConfig,
    private readonly retryHooks: RetryHooks = {},
  ) {
    this.name = config.name;
    const c = config.connection;
    this.pool = new Pool({
      host: c.host,
      port: c.port,
      database: c.database,
      user: c.user,
      password: c.password,
      ssl: c.ssl,
      max: config.pool_size,
      statement_timeout: config.statement_timeout_ms,
      lock_timeout: config.lock_timeout_ms,
      // If Warden dies mid-transaction, the server ends the orphaned
      // transaction (and releases its catalog locks) instead of leaving the
      // restarted Warden blocked behind it until TCP notices. This covers a
      // backend left idle; one left waiting on a lock is covered by the
      // dead-client check set per session (see SESSION_SQL).
      idle_in_transaction_session_timeout: 5_000,
      keepAlive: true,
      connectionTimeoutMillis: config.retry.timeout_ms,
      application_name: `warden:${config.name}`,
    });
    // An idle client that loses its connection emits here; the pool drops it
    // and the next operation reports any real outage. Without a listener the
    // event would crash the process.
    this.pool.on('error', () => undefined);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** The database role a principal maps to. */
  roleFor(principal: PrincipalRef): string {
    const role = resolveIdentity(this.config.identity, principal);
    if (Buffer.byteLength(role, 'utf8') > MAX_IDENTIFIER_BYTES) {
      throw new UnmappedPrincipalError(principal.id, `role name "${role}" is longer than ${MAX_IDENTIFIER_BYTES} bytes`);
    }
    if (role.includes('\u0000')) throw new UnmappedPrincipalError(principal.id, 'role name contains NUL');
    // Containing Warden's own login, or a built-in role, would take Warden (or the server) down with it.
    if (role === this.config.connection.user || role.startsWith('pg_')) {
      throw new UnmappedPrincipalError(principal.id, `role "${role}" is reserved and cannot be contained`);
    }
    return role;
  }

  async snapshot(principal: PrincipalRef): Promise<PostgresAccessItem[]> {
    const role = this.roleFor(principal);
    return this.attempt('snapshot', async (client) => readHoldings(client, await this.requireRole(client, role)));
  }

  async revoke(principal: PrincipalRef, snapshot: readonly AccessItem[]): Promise<AccessChange<PostgresAccessItem>> {
    const role = this.roleFor(principal);
    const items = revocationOrder(this.parseItems(snapshot));
    return this.attempt('revoke', async (client) => {
      // First, so that an open transaction of the agent (one granting on with
      // its grant option, say) cannot hold a catalog row the revoke must change.
      const endedBefore = await terminateSessions(client, role, this.config.terminate_wait_ms);
      const { errors, after } = await this.change(client, role, items.map((i) => revokeStatement(i, role)));
      // Again after COMMIT, so a session cannot slip back in while NOLOGIN is still uncommitted.
      const endedAfter = await terminateSessions(client, role, this.config.terminate_wait_ms);
      return { ...readBackOutcome(items, errors, after, false, 'still held after REVOKE'), sessionsEnded: endedBefore + endedAfter };
    });
  }

  async restore(principal: PrincipalRef, snapshot: readonly AccessItem[]): Promise<AccessChange<PostgresAccessItem>> {
    const role = this.roleFor(principal);
    const items = restorationOrder(this.parseItems(snapshot));
    return this.attempt('restore', async (client) => {
      const { errors, after } = await this.change(client, role, items.map((i) => grantStatement(i, role)));
      return readBackOutcome(items, errors, after, true, 'not held after GRANT (does the grantor still hold the privilege with grant option?)');
    });
  }

  async verify(principal: PrincipalRef, expected: readonly AccessItem[]): Promise<AccessDiff<PostgresAccessItem>> {
    const wanted = this.parseItems(expected);
    return diffAccess(wanted, await this.snapshot(principal));
  }

  /** A relation named `[database.]schema.relation`, of a resource type listed under `resources`, in this connector's database. */
  owns(resource: ResourceRef): boolean {
    if (!this.config.resources.some((r) => r.type === resource.type)) return false;
    const name = parseRelationId(resource.id);
    return name !== null && (name.database === null || name.database === this.config.connection.database);
  }

  /**
   * Takes the privileges away from the grantee, whoever granted them (one
   * REVOKE per grantor, run as that grantor), in one transaction; fails, with
   * nothing changed, if any of them is still held afterwards.
   */
  async revertGrant(change: GrantChange): Promise<GrantChangeOutcome<RelationGrant>> {
    const { relationName, grantee, privileges } = this.parseChange(change);
    const named = (e: RelationGrant) => privileges === null || privileges.includes(e.privilege);
    return this.attempt('revert-grant', async (client) => {
      await client.query('BEGIN');
      const { relation, granteeOid } = await this.resolveChange(client, change, relationName, grantee);
      const before = await readGranteeEntries(client, relation.oid, granteeOid);
      const changed = before.filter(named);
      const statements = revokeEntriesStatements(relation, grantee, changed);
      if (statements.length > 0) await client.query(statements.map(asRunnable).join(';\n'));
      const after = await readGranteeEntries(client, relation.oid, granteeOid);
      const left = after.filter(named);
      if (left.length > 0) {
        throw new ConnectorRejectedError(`${this.name}: ${left.map((e) => e.privilege).join(', ')} still held by ${change.grantee} on ${change.resource.id} after REVOKE`, {
          left,
        });
      }
      await client.query('COMMIT');
      return { before, after, changed };
    });
  }

  /** Grants the privileges to the grantee again, in one transaction; fails, with nothing changed, if any is not held afterwards. */
  async regrant(change: GrantChange): Promise<GrantChangeOutcome<RelationGrant>> {
    const { relationName, grantee, privileges } = this.parseChange(change);
    return this.attempt('regrant', async (client) => {
      await client.query('BEGIN');
      const { relation, granteeOid } = await this.resolveChange(client, change, relationName, grantee);
      const before = await readGranteeEntries(client, relation.oid, granteeOid);
      await client.query(asRunnable(grantPrivilegesStatement(relation, grantee, privileges)));
      const after = await readGranteeEntries(client, relation.oid, granteeOid);
      const held = new Set(after.map((e) => e.privilege));
      const missing = (privileges ?? []).filter((p) => !held.has(p));
      if (missing.length > 0) {
        throw new ConnectorRejectedError(`${this.name}: ${missing.join(', ')} not held by ${change.grantee} on ${change.resource.id} after GRANT`, { missing });
      }
      await client.query('COMMIT');
      const had = new Set(before.map(accessItemKey));
      return { before, after, changed: after.filter((e) => !had.has(accessItemKey(e))) };
    });
  }

  private parseChange(change: GrantChange): { relationName: RelationName; grantee: Grantee; privileges: RelationGrant['privilege'][] | null } {
    const relationName = parseRelationId(change.resource.id);
    if (!this.owns(change.resource) || relationName === null) {
      throw new ConnectorRejectedError(`${this.name} does not manage ${change.resource.type} ${change.resource.id}`, { resource: change.resource });
    }
    return { relationName, grantee: parseGrantee(change.grantee), privileges: parsePrivileges(change.privileges) };
  }

  private async resolveChange(
    client: PoolClient,
    change: GrantChange,
    relationName: RelationName,
    grantee: Grantee,
  ): Promise<{ relation: ResolvedRelation; granteeOid: string }> {
    const relation = await findRelation(client, relationName);
    if (relation === null) throw new ResourceNotFoundError(this.name, change.resource.id);
    if (grantee.kind === 'public') return { relation, granteeOid: '0' };
    const oid = await findRole(client, grantee.name);
    if (oid === null) throw new IdentityNotFoundError(this.name, grantee.name);
    return { relation, granteeOid: oid };
  }

  private parseItems(items: readonly AccessItem[]): PostgresAccessItem[] {
    const parsed = itemsSchema.safeParse(items);
    if (!parsed.success) {
      throw new InvalidAccessItemError(
        this.name,
        parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      );
    }
    return parsed.data;
  }

  private async requireRole(client: PoolClient, role: string): Promise<string> {
    const oid = await findRole(client, role);
    if (oid === null) throw new IdentityNotFoundError(this.name, role);
    return oid;
  }

  /**
   * Runs the statements in one transaction and reads back what the role holds
   * before committing. The common case is one round trip for all statements;
   * only if the server refuses one is the transaction redone item by item
   * under savepoints, so each refusal is attributed and the rest still apply.
   * Retriable errors abort everything (nothing half-done is committed) and
   * go back to withRetry.
   */
  private async change(
    client: PoolClient,
    role: string,
    statements: Statement[],
  ): Promise<{ errors: Map<number, ConnectorError>; after: PostgresAccessItem[] }> {
    const errors = new Map<number, ConnectorError>();
    await client.query('BEGIN');
    const roleOid = await this.requireRole(client, role);
    try {
      if (statements.length > 0) await client.query(statements.map(asRunnable).join(';\n'));
    } catch (error) {
      const typed = classifyPostgresError(error, `${this.name}: batch`);
      if (!(typed instanceof ConnectorError) || typed.retriable) throw typed;
      await client.query('ROLLBACK');
      await client.query('BEGIN');
      for (const [index, statement] of statements.entries()) {
        try {
          await client.query(`SAVEPOINT warden_item;\n${asRunnable(statement)};\nRELEASE SAVEPOINT warden_item`);
        } catch (itemError) {
          const itemTyped = classifyPostgresError(itemError, `${this.name}: ${statement.sql}`);
          if (!(itemTyped instanceof ConnectorError) || itemTyped.retriable) throw itemTyped;
          await client.query('ROLLBACK TO SAVEPOINT warden_item; RELEASE SAVEPOINT warden_item');
          errors.set(index, itemTyped);
        }
      }
    }
    const after = await readHoldings(client, roleOid);
    await client.query('COMMIT');
    return { errors, after };
  }

  private attempt<T>(operation: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    return withRetry(`${this.name}.${operation}`, (signal) => this.withClient(signal, operation, work), this.config.retry, this.retryHooks);
  }

  /**
   * One pooled connection for one attempt. On any failure, or when the
   * attempt times out, the connection is destroyed rather than returned, so
   * whatever transaction it had open is never committed. A backend blocked
   * on a lock does not notice its client is gone until the lock is granted,
   * so after a timeout it is also ended explicitly, freeing its locks now.
   */
  private async withClient<T>(signal: AbortSignal, operation: string, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const context = `${this.name}.${operation}`;
    let client: PoolClient;
    let pid: number;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw classifyPostgresError(error, `${context}: connect`);
    }
    let released = false;
    const destroy = () => {
      if (!released) {
        released = true;
        client.release(true);
      }
    };
    try {
      pid = (await client.query<{ pid: number }>(SESSION_SQL)).rows[0].pid;
    } catch (error) {
      destroy();
      throw classifyPostgresError(error, `${context}: connect`);
    }
    if (signal.aborted) {
      destroy();
      throw signal.reason;
    }
    signal.addEventListener('abort', destroy, { once: true });
    try {
      return await work(client);
    } catch (error) {
      destroy();
      if (signal.aborted) await this.endBackend(pid);
      throw classifyPostgresError(error, context);
    } finally {
      signal.removeEventListener('abort', destroy);
      if (!released) {
        released = true;
        client.release();
      }
    }
  }

  private async endBackend(pid: number): Promise<void> {
    // Best effort: if this fails too, the server still rolls the transaction back once it notices.
    await this.pool.query('SELECT pg_terminate_backend($1, $2::bigint)', [pid, this.config.terminate_wait_ms]).catch(() => undefined);
  }
}

/** A statement wrapped so it runs as its grantor and the role is reset after. */
function asRunnable(statement: Statement): string {
  if (statement.runAs === null) return statement.sql;
  return `SET LOCAL ROLE ${q(statement.runAs)};\n${statement.sql};\nRESET ROLE`;
}


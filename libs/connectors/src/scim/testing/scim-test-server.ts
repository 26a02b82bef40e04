import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';

/**
 * A real SCIM 2.0 service provider for integration tests: the published
 * SCIMMY resource implementations (filters, PatchOp, ListResponse, errors)
 * behind the scimmy-routers express middleware, mounted at `/scim/v2`, with
 * bearer-token authentication. The only code here is what SCIMMY leaves to
 * its user: where Users and Groups are kept (in memory, per server) and who
 * may call. Test controls (injected failures and delays, a request log) sit in
 * front of the SCIM routes and never touch the protocol.
 */

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

type UserRecord = Omit<SCIMMY.Schemas.User, 'schemas' | 'meta' | 'groups'>;
type GroupRecord = Omit<SCIMMY.Schemas.Group, 'schemas' | 'meta'>;

class ScimStore {
  readonly users = new Map<string, UserRecord>();
  readonly groups = new Map<string, GroupRecord>();

  /** The groups a user is a direct member of, as SCIM's read-only `User.groups` shows them. */
  groupsOf(userId: string): NonNullable<SCIMMY.Schemas.User['groups']> {
    return [...this.groups.values()]
      .filter((g) => (g.members ?? []).some((m) => m.value === userId))
      .map((g) => ({ value: g.id, display: g.displayName, type: 'direct' }));
  }
}

function storeOf(ctx: unknown): ScimStore {
  if (!(ctx instanceof ScimStore)) throw new SCIMMY.Types.Error(500, '', 'SCIM test server: no store in the request context');
  return ctx;
}

/** The plain data of a SCIMMY schema instance, without what SCIMMY assigns itself. */
function plain<T extends SCIMMY.Types.Schema>(instance: T): Omit<T, 'schemas' | 'meta'> {
  const { schemas: _schemas, meta: _meta, ...data } = JSON.parse(JSON.stringify(instance)) as T;
  return data;
}

function notFound(id: string | undefined): SCIMMY.Types.SCIMError {
  return new SCIMMY.Types.Error(404, '', `Resource ${id ?? ''} not found`);
}

/**
 * SCIMMY's resource registry is process-wide; the handlers find the store of
 * the server that received the request in the request context, so several
 * servers can run in one process.
 */
function declareResources(): void {
  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .egress((resource, ctx: unknown) => {
      const store = storeOf(ctx);
      const view = (u: UserRecord) => ({ ...u, groups: store.groupsOf(u.id) });
      if (resource.id !== undefined) {
        const user = store.users.get(resource.id);
        if (user === undefined) throw notFound(resource.id);
        return view(user);
      }
      const all = [...store.users.values()].map(view);
      return resource.filter ? (resource.filter.match(all) as typeof all) : all;
    })
    .ingress((resource, instance, ctx: unknown) => {
      const store = storeOf(ctx);
      const { groups: _readOnly, ...data } = plain(instance);
      const clash = [...store.users.values()].find(
        (u) => u.userName.toLowerCase() === data.userName.toLowerCase() && u.id !== resource.id,
      );
      if (clash) throw new SCIMMY.Types.Error(409, 'uniqueness', `userName ${data.userName} is already taken`);
      if (resource.id !== undefined && !store.users.has(resource.id)) throw notFound(resource.id);
      const user: UserRecord = { ...data, id: resource.id ?? randomUUID() };
      store.users.set(user.id, user);
      return { ...user, groups: store.groupsOf(user.id) };
    })
    .degress((resource, ctx: unknown) => {
      const store = storeOf(ctx);
      if (resource.id === undefined || !store.users.delete(resource.id)) throw notFound(resource.id);
      for (const group of store.groups.values()) group.members = group.members?.filter((m) => m.value !== resource.id);
    });

  SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .egress((resource, ctx: unknown) => {
      const store = storeOf(ctx);
      if (resource.id !== undefined) {
        const group = store.groups.get(resource.id);
        if (group === undefined) throw notFound(resource.id);
        return group;
      }
      const all = [...store.groups.values()];
      return resource.filter ? (resource.filter.match(all) as typeof all) : all;
    })
    .ingress((resource, instance, ctx: unknown) => {
      const store = storeOf(ctx);
      if (resource.id !== undefined && !store.groups.has(resource.id)) throw notFound(resource.id);
      // Kept as [] when the last member goes: SCIMMY's Filter.match fails on a
      // resource that lacks the complex attribute a filter names (members.value).
      const data = plain(instance);
      const group: GroupRecord = { ...data, members: data.members ?? [], id: resource.id ?? randomUUID() };
      store.groups.set(group.id, group);
      return group;
    })
    .degress((resource, ctx: unknown) => {
      const store = storeOf(ctx);
      if (resource.id === undefined || !store.groups.delete(resource.id)) throw notFound(resource.id);
    });
}

export interface ScimTestServerOptions {
  /** The bearer token every request must carry. */
  token: string;
}

export interface ScimRequestRecord {
  method: string;
  /** Path below the SCIM base URL, with its query string, e.g. `/Groups?filter=...`. */
  path: string;
}

export interface ScimTestServer {
  /** The SCIM base URL, e.g. `http://127.0.0.1:41234/scim/v2`. */
  readonly baseUrl: string;
  /** Every request that reached the server, in order (including refused and failed ones). */
  readonly requests: ScimRequestRecord[];
  /** Answers the next `times` requests with this HTTP status (a SCIM error body) instead of serving them. */
  failNext(status: number, times?: number): void;
  /** Holds the next `times` requests for `ms` before serving them. */
  delayNext(ms: number, times?: number): void;
  close(): Promise<void>;
}

/** Starts a SCIM service provider on 127.0.0.1 (a free port). */
export async function startScimTestServer(options: ScimTestServerOptions): Promise<ScimTestServer> {
  declareResources();
  const store = new ScimStore();
  const requests: ScimRequestRecord[] = [];
  const failures: number[] = [];
  const delays: number[] = [];

  const app = express();
  const controls = express.Router();
  controls.use((req: Request, res: Response, next: NextFunction) => {
    requests.push({ method: req.method, path: req.url });
    // Express 5 parses `req.query` afresh on every read, so the routers'
    // casting of startIndex/count to numbers would be lost and paging
    // ignored. A stable copy keeps what the routers write.
    Object.defineProperty(req, 'query', { value: { ...req.query }, writable: true, configurable: true, enumerable: true });
    const status = failures.shift();
    if (status !== undefined) {
      // RFC 7644 §3.12 error body; SCIMMY's own Error message only knows the statuses SCIM itself assigns.
      res.status(status).type('application/scim+json').send({ schemas: [SCIM_ERROR], status: String(status), detail: 'injected failure' });
      return;
    }
    const delay = delays.shift();
    if (delay !== undefined) setTimeout(next, delay);
    else next();
  });
  app.use('/scim/v2', controls);
  app.use(
    '/scim/v2',
    new SCIMMYRouters({
      type: 'bearer',
      handler: (req) => {
        if (req.header('authorization') !== `Bearer ${options.token}`) throw new Error('a valid bearer token is required');
        return 'warden';
      },
      context: () => store,
    }),
  );

  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/scim/v2`,
    requests,
    failNext: (status, times = 1) => failures.push(...Array.from({ length: times }, () => status)),
    delayNext: (ms, times = 1) => delays.push(...Array.from({ length: times }, () => ms)),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

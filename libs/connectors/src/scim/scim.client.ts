import { z } from 'zod';
import { ConnectorRejectedError, IdentityNotFoundError } from '../connector.errors.js';
import { httpStatusError, sendHttp, type HttpRequest } from '../http/http-request.js';
import type { ScimConnectorConfig } from './scim.config.js';

export const SCIM_PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SCIM_CONTENT_TYPE = 'application/scim+json';

/** A SCIM filter comparing an attribute with a string, the value quoted as a JSON string (RFC 7644 §3.4.2.2). */
export function eqFilter(attribute: string, value: string): string {
  return `${attribute} eq ${JSON.stringify(value)}`;
}

/** A value path selecting one member of a group (RFC 7644 §3.5.2). */
export function memberPath(userId: string): string {
  return `members[${eqFilter('value', userId)}]`;
}

export interface ScimPatchOperation {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: unknown;
}

export function patchOp(...operations: ScimPatchOperation[]): { schemas: string[]; Operations: ScimPatchOperation[] } {
  return { schemas: [SCIM_PATCH_OP], Operations: operations };
}

const errorBodySchema = z.looseObject({ detail: z.string().optional(), scimType: z.string().optional() });
/**
 * `active` is optional in SCIM; a server that leaves it out is read as
 * having the user active (the common default), so the user's sign-in is
 * still taken away, and a server that cannot is caught by the read-back.
 */
const userSchema = z.looseObject({ id: z.string().min(1), active: z.boolean().default(true) });
const resourceIdSchema = z.looseObject({ id: z.string().min(1) });
const listResponseSchema = <T extends z.ZodType>(resource: T) =>
  z.looseObject({
    totalResults: z.int().min(0),
    startIndex: z.int().min(1).optional(),
    Resources: z.array(resource).default([]),
  });

export type ScimUser = z.output<typeof userSchema>;

/** The calls the SCIM connector makes, over fetch, with the connector's bearer token. */
export class ScimClient {
  constructor(private readonly config: ScimConnectorConfig) {}

  /** The user whose userName is `userName`; none is an error (likely a wrong mapping), and so are several. */
  async findUser(userName: string, signal: AbortSignal, context: string): Promise<ScimUser> {
    const query = { filter: eqFilter('userName', userName), attributes: 'userName,active' };
    const body = await this.call('GET', '/Users', { query, signal, context });
    const list = this.parse(listResponseSchema(userSchema), body, context);
    if (list.totalResults === 0 || list.Resources.length === 0) throw new IdentityNotFoundError(this.config.name, userName);
    if (list.totalResults > 1 || list.Resources.length > 1) {
      throw new ConnectorRejectedError(`${context}: ${list.totalResults} users match userName ${JSON.stringify(userName)}`, {
        userName,
        matches: list.Resources.map((u) => u.id),
      });
    }
    return list.Resources[0];
  }

  async getUser(id: string, signal: AbortSignal, context: string): Promise<ScimUser> {
    const body = await this.call('GET', `/Users/${encodeURIComponent(id)}`, { query: { attributes: 'active' }, signal, context });
    return this.parse(userSchema, body, context);
  }

  /**
   * The ids of the groups the user is a direct member of, read page by page.
   * Members themselves are not asked for: a large group's member list can be
   * far bigger than what is needed here.
   */
  async groupIdsOf(userId: string, signal: AbortSignal, context: string): Promise<string[]> {
    const ids = new Set<string>();
    for (let startIndex = 1; ; ) {
      const query = {
        filter: eqFilter('members.value', userId),
        attributes: 'id',
        startIndex: String(startIndex),
        count: String(this.config.page_size),
      };
      const page = this.parse(listResponseSchema(resourceIdSchema), await this.call('GET', '/Groups', { query, signal, context }), context);
      if (page.startIndex !== undefined && page.startIndex !== startIndex) {
        throw new ConnectorRejectedError(`${context}: asked for groups from index ${startIndex}, got a page from ${page.startIndex}`, {
          startIndex,
          answered: page.startIndex,
        });
      }
      for (const group of page.Resources) ids.add(group.id);
      startIndex += page.Resources.length;
      if (page.Resources.length === 0 || startIndex > page.totalResults) break;
    }
    return [...ids];
  }

  async setActive(userId: string, active: boolean, signal: AbortSignal, context: string): Promise<void> {
    const body = patchOp({ op: 'replace', path: 'active', value: active });
    await this.call('PATCH', `/Users/${encodeURIComponent(userId)}`, { body, signal, context });
  }

  async addMember(groupId: string, userId: string, signal: AbortSignal, context: string): Promise<void> {
    const body = patchOp({ op: 'add', path: 'members', value: [{ value: userId }] });
    await this.call('PATCH', `/Groups/${encodeURIComponent(groupId)}`, { body, signal, context });
  }

  async removeMember(groupId: string, userId: string, signal: AbortSignal, context: string): Promise<void> {
    const body = patchOp({ op: 'remove', path: memberPath(userId) });
    await this.call('PATCH', `/Groups/${encodeURIComponent(groupId)}`, { body, signal, context });
  }

  /** One request; the JSON body of a success (undefined when empty), or the typed error of a failure. */
  private async call(
    method: HttpRequest['method'],
    path: string,
    options: { query?: Record<string, string>; body?: unknown; signal: AbortSignal; context: string },
  ): Promise<unknown> {
    const url = new URL(`${this.config.base_url}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const context = `${options.context}: ${method} ${path}`;
    const headers: Record<string, string> = { authorization: `Bearer ${this.config.bearer_token}`, accept: SCIM_CONTENT_TYPE };
    if (options.body !== undefined) headers['content-type'] = SCIM_CONTENT_TYPE;
    const response = await sendHttp({
      method,
      url,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      timeoutMs: this.config.request_timeout_ms,
      signal: options.signal,
      context,
    });
    const json = parseJson(response.text);
    if (response.status < 200 || response.status > 299) {
      const error = errorBodySchema.safeParse(json);
      const detail = error.success ? error.data.detail : undefined;
      const scimType = error.success ? error.data.scimType : undefined;
      throw httpStatusError(response.status, context, detail, scimType === undefined ? {} : { scim_type: scimType });
    }
    if (json === INVALID_JSON) throw new ConnectorRejectedError(`${context}: the answer is not JSON`, { status: response.status });
    return json;
  }

  private parse<T extends z.ZodType>(schema: T, body: unknown, context: string): z.output<T> {
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ConnectorRejectedError(`${context}: unexpected answer: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, {
        context,
      });
    }
    return parsed.data;
  }
}

const INVALID_JSON = Symbol('invalid JSON');

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID_JSON;
  }
}

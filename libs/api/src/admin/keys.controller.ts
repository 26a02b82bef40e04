import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyService, type ApiKeyView, AuditLog, type AuditRecord, type Caller, CurrentCaller, DEFAULT_TENANT, ForbiddenError, Requires, roleSchema } from '@warden/auth';
import { z } from 'zod';
import { ZodPipe } from '../http/zod-query.pipe.js';

const createKey = z.strictObject({
  role: roleSchema,
  name: z.string().trim().min(1).max(128),
  /** Only the operator's tenant ("default") may create keys for another tenant. */
  tenant: z.string().min(1).max(128).optional(),
});
const keyId = z.string().regex(/^[0-9a-f]{12}$/, 'expected a key id (12 hex characters)');
const auditQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

@ApiTags('admin')
@Controller('v1')
export class KeysController {
  constructor(
    @Inject(ApiKeyService) private readonly keys: ApiKeyService,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  @Post('keys')
  @Requires('admin')
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an API key; the key is in this answer only (stored as a hash)' })
  create(@CurrentCaller() caller: Caller, @Body(new ZodPipe(createKey, 'body')) body: z.infer<typeof createKey>): Promise<ApiKeyView & { key: string }> {
    const tenant = body.tenant ?? caller.tenant;
    if (tenant !== caller.tenant && caller.tenant !== DEFAULT_TENANT) throw new ForbiddenError('admin of the operator tenant');
    return this.keys.create(tenant, body.role, body.name, caller.actor);
  }

  @Get('keys')
  @Requires('admin')
  @ApiOperation({ summary: "The tenant's API keys, by prefix (never the secret)" })
  list(@CurrentCaller() caller: Caller): { items: ApiKeyView[] } {
    return { items: this.keys.list(caller.tenant) };
  }

  @Delete('keys/:id')
  @Requires('admin')
  @ApiOperation({ summary: 'Revoke an API key' })
  revoke(@CurrentCaller() caller: Caller, @Param('id', new ZodPipe(keyId, 'path')) id: string): Promise<ApiKeyView> {
    return this.keys.revoke(caller.tenant, id);
  }

  @Get('audit/log')
  @Requires('admin')
  @ApiOperation({ summary: 'State-changing calls (and refused ones): who, role, what, when, from where; newest first' })
  async auditLog(@CurrentCaller() caller: Caller, @Query(new ZodPipe(auditQuery, 'query')) q: z.infer<typeof auditQuery>): Promise<{ items: AuditRecord[] }> {
    return { items: await this.audit.list(caller.tenant, q.limit) };
  }
}

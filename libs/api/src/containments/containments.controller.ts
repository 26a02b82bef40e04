import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Caller, CurrentCaller, Requires } from '@warden/auth';
import { AutoContainmentService, CONNECTOR_REGISTRY, type ConnectorRegistry, ContainmentService, type ContainmentView } from '@warden/response';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ZodPipe } from '../http/zod-query.pipe.js';
import { RequestValidationError } from '../problem/request-errors.js';

const id = z.string().min(1).max(256);
const reason = z.string().trim().min(3, 'say why (at least 3 characters): it goes in the audit record').max(2048);

const containBody = z.strictObject({
  principal: id,
  reason,
  incident_id: id.optional(),
  connectors: z.union([z.literal('all'), z.array(z.string().min(1).max(128)).min(1)]).default('all'),
  /** true: answer with what would be revoked, revoke nothing. */
  preview: z.boolean().default(false),
});
const reasonBody = z.strictObject({ reason });
const containmentId = z.string().regex(/^ctn_[0-9a-f]{32}$/, 'expected a containment id (ctn_…)');
const listQuery = z.strictObject({ principal: id.optional() });
const idempotencyKey = z.string().min(8, 'expected at least 8 characters (a UUID is ideal)').max(256);

@ApiTags('response')
@Controller('v1')
export class ContainmentsController {
  constructor(
    @Inject(ContainmentService) private readonly containments: ContainmentService,
    @Inject(CONNECTOR_REGISTRY) private readonly connectors: ConnectorRegistry,
    @Inject(AutoContainmentService) private readonly automation: AutoContainmentService,
  ) {}

  @Get('containments/automation')
  @ApiOperation({ summary: 'What automatic containment decided (or, in dry-run mode, would have done), most recent last' })
  @Requires('history:read')
  automationDecisions(@CurrentCaller() caller: Caller) {
    return { items: this.automation.decisions(caller.tenant) };
  }

  @Post('containments')
  @Requires('response:act')
  @ApiOperation({
    summary: 'Contain a principal: snapshot, then revoke its access in every configured connector',
    description: 'Needs an Idempotency-Key header: the same key twice gives the same containment. With preview: true, answers what would be revoked and revokes nothing.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true })
  async contain(
    @CurrentCaller() caller: Caller,
    @Headers('idempotency-key') key: string | undefined,
    @Body(new ZodPipe(containBody, 'body')) body: z.infer<typeof containBody>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (body.preview) {
      const preview = await this.containments.preview(caller.tenant, body.principal, body.connectors);
      await reply.status(200).send({ principal: body.principal, preview });
      return;
    }
    const parsedKey = idempotencyKey.safeParse(key);
    if (!parsedKey.success) {
      throw new RequestValidationError('body', [{ path: 'Idempotency-Key', message: key ? parsedKey.error.issues[0].message : 'the Idempotency-Key header is required' }]);
    }
    const { containment, created } = await this.containments.contain({
      tenant: caller.tenant,
      principal: body.principal,
      reason: body.reason,
      incident_id: body.incident_id,
      requested_by: caller.actor,
      idempotency_key: parsedKey.data,
      connectors: body.connectors,
    });
    await reply.status(created ? 202 : 200).send({ containment_id: containment.containment_id, status: containment.status, containment });
  }

  @Get('containments')
  @ApiOperation({ summary: 'Containments, newest first (filter: principal)' })
  @Requires('history:read')
  async list(
    @CurrentCaller() caller: Caller,
    @Query(new ZodPipe(listQuery, 'query')) query: z.infer<typeof listQuery>,
  ): Promise<{ items: ContainmentView[] }> {
    return { items: await this.containments.list(caller.tenant, query.principal) };
  }

  @Get('containments/:id')
  @ApiOperation({ summary: 'A containment: status per connector and the full event timeline' })
  @Requires('history:read')
  get(@CurrentCaller() caller: Caller, @Param('id', new ZodPipe(containmentId, 'path')) cid: string) {
    return this.containments.get(caller.tenant, cid);
  }

  @Post('containments/:id/rollback')
  @HttpCode(202)
  @ApiOperation({ summary: 'Roll a containment back: restore exactly what was snapshotted' })
  @Requires('response:act')
  async rollback(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(containmentId, 'path')) cid: string,
    @Body(new ZodPipe(reasonBody, 'body')) body: z.infer<typeof reasonBody>,
  ): Promise<{ containment_id: string; status: string; containment: ContainmentView }> {
    const view = await this.containments.rollback(caller.tenant, cid, body.reason, caller.actor);
    return { containment_id: view.containment_id, status: view.status, containment: view };
  }

  @Post('containments/:id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry the connectors that failed for good' })
  @Requires('response:act')
  async retry(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(containmentId, 'path')) cid: string,
    @Body(new ZodPipe(reasonBody, 'body')) body: z.infer<typeof reasonBody>,
  ): Promise<{ containment_id: string; status: string; containment: ContainmentView }> {
    const view = await this.containments.retry(caller.tenant, cid, body.reason, caller.actor);
    return { containment_id: view.containment_id, status: view.status, containment: view };
  }

  @Get('connectors')
  @ApiOperation({ summary: 'Configured connectors' })
  @Requires('history:read')
  list_connectors(): { items: { name: string; kind: string }[] } {
    return { items: this.connectors.describe() };
  }
}

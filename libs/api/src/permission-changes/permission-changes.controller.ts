import { Body, Controller, Get, Inject, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Caller, CurrentCaller, Requires } from '@warden/auth';
import { PermissionChangeService } from '@warden/response';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ZodPipe } from '../http/zod-query.pipe.js';

const eventId = z.string().min(1).max(128);
const revertBody = z.strictObject({ reason: z.string().trim().min(3, 'say why (at least 3 characters): it goes in the audit record').max(2048) });

@ApiTags('response')
@Controller('v1')
export class PermissionChangesController {
  constructor(@Inject(PermissionChangeService) private readonly changes: PermissionChangeService) {}

  @Post('permission-changes/:event_id/revert')
  @Requires('response:act')
  @ApiOperation({ summary: 'Revert a recorded permission change through the connector that owns the resource' })
  async revert(
    @CurrentCaller() caller: Caller,
    @Param('event_id', new ZodPipe(eventId, 'path')) id: string,
    @Body(new ZodPipe(revertBody, 'body')) body: z.infer<typeof revertBody>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { revert, created } = await this.changes.revert(caller.tenant, id, body.reason, caller.actor);
    await reply.status(created ? 202 : 200).send({ revert_id: revert.revert_id, status: revert.status, revert });
  }

  @Get('permission-changes/:event_id/revert')
  @Requires('history:read')
  @ApiOperation({ summary: 'The revert of a recorded permission change: status, outcome and timeline' })
  get(@CurrentCaller() caller: Caller, @Param('event_id', new ZodPipe(eventId, 'path')) id: string) {
    return this.changes.get(caller.tenant, id);
  }
}

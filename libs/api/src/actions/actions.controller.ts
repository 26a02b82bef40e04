import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Caller, CurrentCaller, Requires } from '@warden/auth';
import { type ActionQuery, actionQuerySchema } from '@warden/contracts';
import { type ActionPage, AgentActionRepository, type PrincipalSummary, type StoredAction } from '@warden/storage';
import { z } from 'zod';
import { ZodPipe } from '../http/zod-query.pipe.js';
import { NotFoundError } from '../problem/request-errors.js';

const eventIdParam = z.string().min(1).max(128);
const principalParam = z.string().min(1).max(256);

@ApiTags('history')
@Controller('v1')
export class ActionsController {
  constructor(@Inject(AgentActionRepository) private readonly actions: AgentActionRepository) {}

  @Get('actions')
  @Requires('history:read')
  @ApiOperation({
    summary: 'Search action history, newest first',
    description:
      'Filters: principal, agent, action (exact, or a prefix ending in "."), resource_type, resource_id, outcome, sensitivity, from, to; limit ≤ 1000; cursor from next_cursor.',
  })
  list(
    @CurrentCaller() caller: Caller,
    @Query(new ZodPipe(actionQuerySchema, 'query')) query: ActionQuery,
  ): Promise<ActionPage> {
    return this.actions.list(caller.tenant, query);
  }

  @Get('actions/:event_id')
  @ApiOperation({ summary: 'One stored event by its event_id' })
  @Requires('history:read')
  async get(
    @CurrentCaller() caller: Caller,
    @Param('event_id', new ZodPipe(eventIdParam, 'path')) eventId: string,
  ): Promise<StoredAction> {
    const found = await this.actions.findById(caller.tenant, eventId);
    if (!found) throw new NotFoundError(`no event with event_id "${eventId}"`);
    return found;
  }

  @Get('principals/:id/summary')
  @ApiOperation({ summary: "A principal's activity: totals, counts by action type, first and last seen, distinct resources" })
  @Requires('history:read')
  async summary(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(principalParam, 'path')) principal: string,
  ): Promise<PrincipalSummary> {
    const summary = await this.actions.summarisePrincipal(caller.tenant, principal);
    if (!summary) throw new NotFoundError(`no events recorded for principal "${principal}"`);
    return summary;
  }
}

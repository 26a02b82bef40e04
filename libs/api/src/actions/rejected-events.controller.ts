import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Caller, CurrentCaller, Requires } from '@warden/auth';
import { RejectedEventRepository, type StoredRejection } from '@warden/storage';
import { z } from 'zod';
import { ZodPipe } from '../http/zod-query.pipe.js';

const rejectedQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

@ApiTags('history')
@Controller('v1')
export class RejectedEventsController {
  constructor(@Inject(RejectedEventRepository) private readonly rejected: RejectedEventRepository) {}

  @Get('rejected-events')
  @ApiOperation({ summary: 'Events that failed validation, newest first, with the reasons and the raw bytes (bounded)' })
  @Requires('history:read')
  async list(
    @CurrentCaller() caller: Caller,
    @Query(new ZodPipe(rejectedQuery, 'query')) query: z.infer<typeof rejectedQuery>,
  ): Promise<{ items: StoredRejection[] }> {
    return { items: await this.rejected.list(caller.tenant, query.limit) };
  }
}

import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Caller, CurrentCaller, Requires } from '@warden/auth';
import { ChainVerifier, type VerifyResult, verifyQuerySchema } from '@warden/integrity';
import { ZodPipe } from '../http/zod-query.pipe.js';

const tenantlessQuery = verifyQuerySchema;

@ApiTags('admin')
@Controller('v1')
export class AuditVerifyController {
  constructor(@Inject(ChainVerifier) private readonly verifier: ChainVerifier) {}

  @Get('audit/verify')
  @Requires('history:read')
  @ApiOperation({
    summary: "Check the tenant's tamper-evident chain: every batch digest, its signature, and every stored row against it",
    description: 'Answers {ok, checked_batches, checked_events, first_break?}; from/to select batches by ingest time.',
  })
  verify(@CurrentCaller() caller: Caller, @Query(new ZodPipe(tenantlessQuery, 'query')) query: { tenant?: string; from?: string; to?: string }): Promise<VerifyResult> {
    // The tenant is the caller's, whatever the query says.
    return this.verifier.verify({ from: query.from, to: query.to, tenant: caller.tenant });
  }
}

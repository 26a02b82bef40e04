import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { PublicRoute } from '@warden/auth';
import { StorageHealth } from '@warden/storage';
import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem } from '../problem/problem-details.js';

@ApiTags('health')
@Controller()
@PublicRoute()
export class HealthController {
  constructor(@Inject(StorageHealth) private readonly storage: StorageHealth) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: storage answers' })
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const storage = await this.storage.check();
    if (storage.ok) {
      await reply.status(200).send({ status: 'ready', checks: { storage: 'ok' } });
      return;
    }
    await reply
      .status(503)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(problem(503, 'NOT_READY', 'Service unavailable', { detail: 'storage is unreachable', checks: { storage: 'down' } }));
  }
}

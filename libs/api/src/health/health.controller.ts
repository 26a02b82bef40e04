import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { PublicRoute } from '@warden/auth';
import { Readiness, runningTelemetry } from '@warden/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem } from '../problem/problem-details.js';

@ApiTags('health')
@Controller()
@PublicRoute()
export class HealthController {
  constructor(@Inject(Readiness) private readonly readiness: Readiness) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: storage answers, and the Kafka consumer runs when Kafka is configured' })
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const result = await this.readiness.evaluate();
    if (result.ok) {
      await reply.status(200).send({ status: 'ready', checks: result.checks });
      return;
    }
    const down = Object.keys(result.errors);
    await reply
      .status(503)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(problem(503, 'NOT_READY', 'Service unavailable', { detail: `not ready: ${down.join(', ')}`, checks: result.checks }));
  }

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics (OpenTelemetry): ingest, dead letters, lag, insert and detection latency, alerts, containment steps' })
  metrics(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const telemetry = runningTelemetry();
    if (!telemetry) {
      void reply.status(503).header('content-type', PROBLEM_CONTENT_TYPE).send(problem(503, 'TELEMETRY.OFF', 'Service unavailable', { detail: 'telemetry was not started' }));
      return;
    }
    reply.hijack();
    telemetry.prometheus.getMetricsRequestHandler(request.raw, reply.raw);
  }
}

import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Caller, CurrentCaller, Requires } from '@warden/auth';
import {
  DETECTION_REPOSITORY,
  type DetectionQuery,
  type DetectionRepository,
  DetectionService,
  type RulesStatus,
  type StoredDetection,
  detectionQuerySchema,
} from '@warden/detection';
import { AlertingService } from '@warden/alerting';
import { AgentActionRepository, type StoredAction } from '@warden/storage';
import { z } from 'zod';
import { ZodPipe } from '../http/zod-query.pipe.js';
import { NotFoundError } from '../problem/request-errors.js';

const detectionIdParam = z.string().regex(/^[0-9a-f]{32}$/, 'expected a 32-character detection id');

@ApiTags('detections')
@Controller('v1')
export class DetectionsController {
  constructor(
    @Inject(DETECTION_REPOSITORY) private readonly detections: DetectionRepository,
    @Inject(DetectionService) private readonly service: DetectionService,
    @Inject(AgentActionRepository) private readonly actions: AgentActionRepository,
    @Inject(AlertingService) private readonly alerting: AlertingService,
  ) {}

  @Get('detections')
  @ApiOperation({ summary: 'Detections, most recent first. Filters: severity, rule, principal, from, to; limit ≤ 1000' })
  @Requires('history:read')
  async list(
    @CurrentCaller() caller: Caller,
    @Query(new ZodPipe(detectionQuerySchema, 'query')) query: DetectionQuery,
  ): Promise<{ items: StoredDetection[] }> {
    return { items: await this.detections.list(caller.tenant, query) };
  }

  @Get('detections/stream')
  @Requires('history:read')
  @ApiOperation({ summary: "Server-sent events: each new detection of the caller's tenant as it is raised (event: detection)" })
  stream(@CurrentCaller() caller: Caller, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    out.write(': connected\n\n');
    const unsubscribe = this.service.addListener('sse', async (detections) => {
      for (const d of detections) if (d.tenant === caller.tenant) out.write(`event: detection\ndata: ${JSON.stringify(d)}\n\n`);
    });
    // A comment every 15 s keeps proxies from closing an idle stream.
    const keepAlive = setInterval(() => out.write(': keep-alive\n\n'), 15_000);
    request.raw.on('close', () => {
      clearInterval(keepAlive);
      unsubscribe();
    });
  }

  @Get('detections/:id')
  @ApiOperation({ summary: 'One detection with its evidence events' })
  @Requires('history:read')
  async get(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(detectionIdParam, 'path')) id: string,
  ): Promise<{ detection: StoredDetection; evidence: StoredAction[] }> {
    const detection = await this.detections.findById(caller.tenant, id);
    if (!detection) throw new NotFoundError(`no detection "${id}"`);
    return { detection, evidence: await this.actions.findByIds(caller.tenant, detection.evidence_event_ids) };
  }

  @Post('detections/:id/resolve')
  @HttpCode(200)
  @Requires('response:act')
  @ApiOperation({ summary: "Close a detection's alert (its rule and principal group): PagerDuty resolve, alert.resolved to webhooks" })
  async resolve(
    @CurrentCaller() caller: Caller,
    @Param('id', new ZodPipe(detectionIdParam, 'path')) id: string,
  ): Promise<{ detection_id: string; group_key: string; outcome: string; alert_id?: string }> {
    const detection = await this.detections.findById(caller.tenant, id);
    if (!detection) throw new NotFoundError(`no detection "${id}"`);
    const result = await this.alerting.resolveGroup(caller.tenant, detection.group_key);
    return { detection_id: id, group_key: detection.group_key, ...result };
  }

  @Get('rules')
  @ApiOperation({ summary: 'Loaded rules, load errors (file, rule id, path) and evaluation errors' })
  @Requires('history:read')
  rules(): RulesStatus {
    return this.service.rulesStatus();
  }

  @Post('rules/reload')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-read the rule directories without a restart' })
  @Requires('admin')
  reload(): Promise<RulesStatus> {
    return this.service.reloadRules();
  }
}

import { Controller, Get, Header, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { type Caller, CurrentCaller, Requires } from '@warden/auth';
import { agentActionJsonSchema } from '@warden/contracts';
import {
  BATCH_MAX_EVENTS,
  type DecodedEvent,
  IngestService,
  type IngestResult,
  decodeJsonArray,
  decodeNdjson,
} from '@warden/ingestion';
import type { FastifyRequest } from 'fastify';
import { UnsupportedMediaTypeError } from '../problem/request-errors.js';

export const NDJSON = 'application/x-ndjson';

@ApiTags('events')
@Controller('v1')
export class EventsController {
  constructor(@Inject(IngestService) private readonly ingest: IngestService) {}

  @Post('events')
  @Requires('events:write')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Ingest agent action events',
    description: `A JSON array or NDJSON, at most ${BATCH_MAX_EVENTS} events or 8 MiB. Each event is validated on its own: valid ones are stored, invalid ones are reported here and kept in the rejected-events table.`,
  })
  @ApiConsumes('application/json', NDJSON)
  @ApiBody({ schema: { type: 'array', items: agentActionJsonSchema() } as object })
  @ApiResponse({ status: 202, description: '{accepted, duplicates, rejected: [{index, event_id?, errors: [{path, message}]}]}' })
  @ApiResponse({ status: 400, description: 'Malformed JSON (names the line or offset)' })
  @ApiResponse({ status: 413, description: 'More than 10,000 events or 8 MiB' })
  @ApiResponse({ status: 415, description: 'Neither application/json nor application/x-ndjson' })
  async post(@Req() request: FastifyRequest, @CurrentCaller() caller: Caller): Promise<IngestResult> {
    const events = decodeBody(request);
    return this.ingest.ingest(caller.tenant, events, { requestId: request.id });
  }

  @Get('schema')
  @Header('content-type', 'application/schema+json')
  @ApiOperation({ summary: 'Event contract v1 as JSON Schema (generated from the zod schema)' })
  @Requires('schema:read')
  schema(): Record<string, unknown> {
    return agentActionJsonSchema();
  }
}

function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

function decodeBody(request: FastifyRequest): DecodedEvent[] {
  const type = mediaType(request);
  if (type === 'application/json') {
    // Already parsed by the JSON body parser, which reports syntax errors with their offset.
    return decodeJsonArray(request.body);
  }
  if (type === NDJSON || type === 'application/ndjson') {
    return decodeNdjson(typeof request.body === 'string' ? request.body : '');
  }
  throw new UnsupportedMediaTypeError(
    `Content-Type "${type || '(none)'}" is not accepted: send application/json (an array of events) or ${NDJSON}`,
  );
}

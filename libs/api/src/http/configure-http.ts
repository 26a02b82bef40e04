import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { BATCH_MAX_BYTES } from '@warden/ingestion';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '@warden/common';

/** Body size limit of the HTTP server: the ingest limit, plus nothing. */
export const HTTP_BODY_LIMIT = BATCH_MAX_BYTES;

class MalformedJsonBody extends DomainError {
  readonly code = 'REQUEST.MALFORMED_JSON';
  readonly location: { offset: number };
  constructor(offset: number, cause: Error) {
    super(`malformed JSON at offset ${offset}: ${cause.message}`, { offset }, { cause });
    this.location = { offset };
  }
}

function registerBodyParsers(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser(['application/json', 'text/plain']);
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: HTTP_BODY_LIMIT }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      // V8 names the position of a bad token; a truncated body fails at its end.
      const m = /position (\d+)/.exec((error as Error).message);
      done(new MalformedJsonBody(m ? Number(m[1]) : (body as string).length, error as Error), undefined);
    }
  });
  // NDJSON is decoded line by line by the ingest route, so syntax errors can name the line.
  fastify.addContentTypeParser(
    ['application/x-ndjson', 'application/ndjson'],
    { parseAs: 'string', bodyLimit: HTTP_BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );
}

function registerOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Warden')
    .setDescription('Audit and incident response for AI agents: ingest agent actions, query their history.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), {
    jsonDocumentUrl: 'docs/json',
  });
}

/**
 * Everything about the HTTP transport that is not a route: body parsers and
 * OpenAPI. Errors Fastify raises before a route runs reach the same
 * ProblemFilter as route errors, through Nest's error handler.
 */
export function configureHttp(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  registerBodyParsers(fastify);
  registerOpenApi(app);
}

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { BATCH_MAX_BYTES } from '@warden/ingestion';
import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import { AuditLog, type Caller } from '@warden/auth';
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

/** Per credential (a hash of the Authorization header), else per client address; 429 with Retry-After. */
async function registerRateLimit(app: NestFastifyApplication, perMinute: number): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: perMinute,
    timeWindow: 60_000,
    allowList: (req) => req.url === '/healthz' || req.url === '/readyz',
    keyGenerator: (req) => {
      const auth = req.headers.authorization;
      return typeof auth === 'string' ? `cred:${createHash('sha256').update(auth).digest('hex')}` : `ip:${req.ip}`;
    },
    // Thrown as an error, so it reaches the same problem+json rendering as every other error.
    errorResponseBuilder: (_req, context) => ({
      statusCode: 429,
      message: `more than ${context.max} requests per minute with this credential; retry after ${Math.ceil(context.ttl / 1000)} s`,
    }),
  });
}

/** Every call that changes state, and every refused call, goes to the audit log once answered. */
function registerAudit(app: NestFastifyApplication): void {
  const audit = app.get(AuditLog);
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  fastify.addHook('onResponse', async (request, reply) => {
    const readOnly = request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS';
    const refused = reply.statusCode === 401 || reply.statusCode === 403;
    if (!request.url.startsWith('/v1/') || (readOnly && !refused)) return;
    const caller = (request as unknown as { caller?: Caller }).caller;
    audit.record({
      at: new Date().toISOString(),
      tenant: caller?.tenant ?? '',
      actor: caller?.actor ?? 'unauthenticated',
      role: caller?.role ?? '',
      method: request.method,
      route: request.routeOptions.url ?? '',
      path: request.url.split('?')[0],
      status: reply.statusCode,
      ip: request.ip,
      request_id: String(request.id),
    });
  });
}

/**
 * Everything about the HTTP transport that is not a route: body parsers and
 * OpenAPI. Errors Fastify raises before a route runs reach the same
 * ProblemFilter as route errors, through Nest's error handler.
 */
export async function configureHttp(app: NestFastifyApplication, options: { rateLimitPerMinute: number }): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  await registerRateLimit(app, options.rateLimitPerMinute);
  registerAudit(app);
  registerBodyParsers(fastify);
  registerOpenApi(app);
}

import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { findConsoleAssets } from './console-assets.js';

/** Where the console is served. Outside `/v1`, so the API's access guard does not apply: the page itself holds no data. */
export const CONSOLE_PREFIX = '/console/';

/**
 * Sent with every console file. The console is built for this policy: no
 * inline script or style, no eval, API calls to its own origin only.
 */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Files are not fingerprinted: revalidate (ETag) so a new release is picked up at once.
  'cache-control': 'no-cache',
};

export interface ConsoleOptions {
  /** Folder of the static files; found next to the sources when omitted. */
  assetsDir?: string;
}

/**
 * Serves the responder's console (static HTML, CSS and ES modules, no build
 * step) at `/console/`; `/console` redirects there. Register it before the
 * server listens.
 */
export async function registerConsole(fastify: FastifyInstance, options: ConsoleOptions = {}): Promise<void> {
  const root = options.assetsDir ?? findConsoleAssets();
  await fastify.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(CONSOLE_SECURITY_HEADERS);
      return payload;
    });
    await scope.register(fastifyStatic, {
      root,
      prefix: CONSOLE_PREFIX,
      decorateReply: false,
      index: 'index.html',
      cacheControl: false,
      dotfiles: 'deny',
      schemaHide: true,
    });
    // Without the slash, relative asset URLs in index.html would resolve against `/`.
    scope.get(CONSOLE_PREFIX.slice(0, -1), (_request, reply) => reply.redirect(CONSOLE_PREFIX, 301));
  });
}

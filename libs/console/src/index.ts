// The app registers it before listening, after configureHttp:
//   await registerConsole(app.getHttpAdapter().getInstance() as unknown as FastifyInstance);
export { CONSOLE_PREFIX, CONSOLE_SECURITY_HEADERS, type ConsoleOptions, registerConsole } from './console.module.js';
export { findConsoleAssets } from './console-assets.js';

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ASSETS = join('libs', 'console', 'assets');

/**
 * The folder holding the console's static files. They are not compiled, so
 * they stay in the source tree: walk up from this module (run from
 * `libs/console/src` under tsx/vitest, or from `dist/libs/console/src` when
 * compiled) to the first folder that contains `libs/console/assets/index.html`.
 */
export function findConsoleAssets(from: string = import.meta.url): string {
  let dir = dirname(from.startsWith('file:') ? fileURLToPath(from) : from);
  for (;;) {
    const candidate = join(dir, ASSETS);
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`console assets not found: no ${ASSETS}/index.html above ${from}`);
    dir = parent;
  }
}

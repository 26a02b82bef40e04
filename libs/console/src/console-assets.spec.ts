import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findConsoleAssets } from './console-assets.js';

const repo = resolve(import.meta.dirname, '../../..');
const assets = join(repo, 'libs/console/assets');

describe('findConsoleAssets', () => {
  it('finds the assets from the sources (tsx, vitest)', () => {
    expect(findConsoleAssets()).toBe(assets);
    expect(existsSync(join(findConsoleAssets(), 'js/main.js'))).toBe(true);
  });

  it('finds the same assets from the compiled module under dist/', () => {
    expect(findConsoleAssets(pathToFileURL(join(repo, 'dist/libs/console/src/console-assets.js')).href)).toBe(assets);
    expect(findConsoleAssets(join(repo, 'dist/apps/warden/src/main.js'))).toBe(assets);
  });

  it('says where it looked when there are none', () => {
    expect(() => findConsoleAssets('/nowhere/at/all.js')).toThrow('console assets not found: no libs/console/assets/index.html above /nowhere/at/all.js');
  });
});

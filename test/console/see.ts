import type { Locator } from 'playwright-core';
import { expect } from 'vitest';

/**
 * Retrying assertions on Playwright locators (playwright-core has no
 * `expect`; @playwright/test is not a dependency). Each one polls until it
 * holds or the timeout passes, like Playwright's web-first assertions. Text
 * is compared with whitespace collapsed, as Playwright does.
 */
const DEFAULT_TIMEOUT = 10_000;
const norm = (s: string | null) => (s ?? '').replace(/\s+/g, ' ').trim();
const matches = (actual: string, expected: string | RegExp) => (typeof expected === 'string' ? actual === expected : expected.test(actual));

export function see(locator: Locator, { timeout = DEFAULT_TIMEOUT }: { timeout?: number } = {}) {
  const poll = <T>(probe: () => Promise<T>, message: string) => expect.poll(probe, { timeout, interval: 100, message });
  const texts = async () => (await locator.allTextContents()).map(norm);
  return {
    toBeVisible: () => locator.waitFor({ state: 'visible', timeout }),
    toBeHidden: () => locator.waitFor({ state: 'hidden', timeout }),
    toHaveCount: (n: number) => poll(() => locator.count(), `count of ${locator}`).toBe(n),
    /** One element whose whole text is `expected`; or, given a list, exactly these elements' texts in order. */
    async toHaveText(expected: string | RegExp | (string | RegExp)[]) {
      const list = Array.isArray(expected) ? expected : [expected];
      await poll(async () => {
        const actual = await texts();
        return actual.length === list.length && actual.every((t, i) => matches(t, list[i])) ? 'ok' : actual;
      }, `text of ${locator}`).toBe('ok');
    },
    toContainText: (part: string) => poll(async () => (await texts()).join(' | '), `text of ${locator}`).toContain(part),
    toBeFocused: () => poll(() => locator.evaluate((el: any) => el === el.ownerDocument.activeElement), `focus on ${locator}`).toBe(true),
    /** `null`: the attribute is absent. */
    toHaveAttribute: (name: string, value: string | null) => poll(() => locator.getAttribute(name), `${name} of ${locator}`).toBe(value),
    toBeDisabled: () => poll(() => locator.isDisabled(), `disabled ${locator}`).toBe(true),
    toBeEnabled: () => poll(() => locator.isEnabled(), `enabled ${locator}`).toBe(true),
  };
}

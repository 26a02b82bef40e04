import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { type Browser, type Locator, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentAction, tempDir } from '@warden/testing';
import { eventually } from '../support/warden-process.js';
import { CONSOLE_TEST_KEY, type RunningConsole, bootstrapKeyEnv, startWardenWithConsole } from './console-server.js';
import { see } from './see.js';
import { PG, canQuery } from '../support/postgres.js';

/**
 * The responder's console in a real Chromium against a real Warden (embedded
 * ClickHouse) and the local PostgreSQL as the containment target. Locators
 * go by role and label, so every control used here is also proven labelled.
 */

const run = randomUUID().slice(0, 8);
const agent = `console-${run}`; // Warden principal id
const bystander = `bystander-${run}`; // another principal, to prove the filter
const role = `"agent_${agent}"`; // its PostgreSQL role, by the connector's template agent_{principal}
const schema = `crm_${run}`;
const SHOTS = resolve(import.meta.dirname, '../../test-artifacts/console');
const WIDENING_TITLE = 'Sudden permission widening on confidential or restricted data';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const data = tempDir();
let admin: pg.Client;
let warden: RunningConsole;
let browser: Browser;
let page: Page;
const pageProblems: string[] = [];

// 26 reads, then a permission widening on restricted data: 27 events, newest last.
const reads = Array.from({ length: 26 }, (_, i) =>
  agentAction({ principal: { id: agent, kind: 'agent' }, action: { type: 'data.read' }, resource: { type: 'crm.record', id: `rec-${i}`, sensitivity: 'internal' } }),
);
const widening = (id: string) =>
  agentAction({
    principal: { id: agent, kind: 'agent' },
    action: { type: 'permission.grant' },
    resource: { type: 'drive.folder', id, sensitivity: 'restricted' },
    permission_change: { grantee: 'group:all-employees', privileges: ['read'], audience_before: 12, audience_after: 40_000, scope_before: 'team', scope_after: 'org' },
  } as any);
const firstWidening = widening(`fld-${run}`);
const agentEvents = [...reads, firstWidening];
const bystanderEvents = [agentAction({ principal: { id: bystander, kind: 'agent' } }), agentAction({ principal: { id: bystander, kind: 'agent' } })];

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(new URL(path, warden.url), {
    method,
    headers: { authorization: `Bearer ${CONSOLE_TEST_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

const agentCanQuery = () => canQuery(`agent_${agent}`, 'agent-pw', `${schema}.customers`);

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

/** Presses Tab until `target` has focus; fails after `max` presses (so the control is reachable by keyboard). */
async function tabTo(target: Locator, max = 40): Promise<number> {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el: any) => el === el.ownerDocument.activeElement)) return presses;
  }
  throw new Error(`could not reach the control with ${max} Tab presses`);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  admin = new pg.Client(PG);
  await admin.connect();
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'agent-pw'`);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.customers (id int, email text)`);
  await admin.query(`CREATE TABLE ${schema}.orders (id int)`);
  await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`);
  await admin.query(`GRANT SELECT, UPDATE ON ${schema}.customers TO ${role}`);
  await admin.query(`GRANT SELECT ON ${schema}.orders TO ${role}`);
  await admin.query(`GRANT CONNECT, TEMP ON DATABASE test TO ${role}`);

  const config = join(data.path, 'warden.yaml');
  writeFileSync(
    config,
    [
      'connectors:',
      '  - kind: postgres',
      '    name: crm-db',
      '    connection: { host: 127.0.0.1, port: 5432, database: test, user: postgres }',
      "    identity: { template: 'agent_{principal}' }",
      '',
    ].join('\n'),
  );
  warden = await startWardenWithConsole({ WARDEN_DATA_DIR: join(data.path, 'store'), WARDEN_CONFIG: config, ...bootstrapKeyEnv(CONSOLE_TEST_KEY) });

  const ingested = await api('POST', '/v1/events', [...agentEvents, ...bystanderEvents]);
  expect(ingested.json).toEqual({ accepted: 29, duplicates: 0, rejected: [] });
  await eventually(
    () => api('GET', `/v1/detections?principal=${agent}&rule=permission-widening-sensitive`),
    (r) => r.json.items?.length === 1,
    { what: 'the widening detection', timeoutMs: 30_000 },
  );

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => pageProblems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx answer; the console handles those (the test checks how). Anything else is a fault.
    if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) {
      pageProblems.push(`console: ${message.text()}`);
    }
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await warden?.close();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.query(`DROP OWNED BY ${role}`);
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
  data.cleanup();
});

describe('the responder console, in Chromium at 1280×800', () => {
  it('is served at /console/ with a strict content security policy', async () => {
    const redirect = await fetch(new URL('/console', warden.url), { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/console/');
    const index = await fetch(new URL('/console/', warden.url));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('content-security-policy')).toBe(
      "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    );
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await index.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/\sstyle=|<style/); // no inline style
    const script = await fetch(new URL('/console/js/main.js', warden.url));
    expect(script.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
  });

  it('signs in with an API key, refusing a wrong one with the reason', async () => {
    await page.goto(`${warden.url}/console/`);
    await see(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
    await see(page.getByLabel('API key')).toBeFocused();
    await shot('01-sign-in');

    await page.getByLabel('API key').fill('wdn_not_a_real_key_000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await see(page.getByRole('alert')).toHaveText('That key was not accepted. Check it and try again.');

    await page.getByLabel('API key').fill(CONSOLE_TEST_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Detections' })).toBeVisible();
    await see(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Detections' })).toHaveAttribute('aria-current', 'page');
    expect(await page.evaluate(() => Object.values((globalThis as any).sessionStorage))).toEqual([CONSOLE_TEST_KEY]);
  });

  it('lists detections and shows a new one live, without a reload', async () => {
    const rows = page.getByRole('row').filter({ has: page.getByRole('link', { name: WIDENING_TITLE }) }).filter({ hasText: agent });
    await see(rows).toHaveCount(1);
    // The server offers server-sent events, so the console streams rather than polls.
    await see(page.getByText('Live · streaming')).toBeVisible();
    await shot('02-detections');

    const second = widening(`fld-${run}-2`);
    expect((await api('POST', '/v1/events', [second])).json.accepted).toBe(1);
    await see(rows, { timeout: 15_000 }).toHaveCount(2);
    await see(rows.filter({ has: page.getByText('new', { exact: true }) })).toHaveCount(1);
    agentEvents.push(second);
    await shot('03-detections-live');
  });

  it('searches actions by principal, newest first, paged, and shows problem details', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Actions' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Actions' })).toBeVisible();

    // A filter the API refuses: its problem+json detail reaches the user.
    await page.getByLabel('Action type').fill('Not An Action');
    await page.getByRole('button', { name: 'Search' }).click();
    await see(page.getByRole('alert')).toContainText('expected an action type ("data.read") or a prefix ending in "." ("permission.")');

    await page.getByLabel('Action type').fill('');
    await page.getByLabel('Principal').fill(agent);
    await page.getByLabel('Page size').selectOption('25');
    await page.getByRole('button', { name: 'Search' }).click();
    const results = page.getByRole('table', { name: 'Actions, newest first' });
    const body = results.locator('tbody tr:not(.detail-row)');
    await see(body).toHaveCount(25);
    await see(page.getByText('Page 1 · actions 1–25')).toBeVisible();
    // Newest first: the two widenings (latest occurred_at) lead, the first read is not on this page.
    const newest = [...agentEvents].sort((a, b) => b.occurred_at.localeCompare(a.occurred_at));
    await see(body.nth(0)).toContainText(newest[0].event_id);
    await see(body.nth(0)).toContainText('permission.grant');
    await see(body.nth(24)).toContainText(newest[24].event_id);
    expect(await body.getByRole('link').allTextContents()).toEqual(Array(25).fill(agent));

    await page.getByRole('button', { name: `Show event ${newest[0].event_id}` }).click();
    await see(page.locator('pre.json').first()).toContainText('"audience_after": 40000');
    await shot('04-actions');

    await page.getByRole('button', { name: 'Next page' }).click();
    await see(page.getByText('Page 2 · actions 26–28')).toBeVisible();
    await see(body).toHaveCount(3);
    await see(body.nth(2)).toContainText(newest[27].event_id);
    await see(page.getByRole('button', { name: 'Next page' })).toBeDisabled();
    await page.getByRole('button', { name: 'Previous page' }).click();
    await see(page.getByText('Page 1 · actions 1–25')).toBeVisible();
  });

  it("opens the principal's timeline", async () => {
    await page.getByRole('table', { name: 'Actions, newest first' }).getByRole('link', { name: agent }).first().click();
    await see(page.getByRole('heading', { level: 1, name: agent })).toBeVisible();
    const byTime = [...agentEvents].sort((a, b) => a.occurred_at.localeCompare(b.occurred_at));
    const utc = (iso: string) => `${iso.slice(0, 19).replace('T', ' ')} UTC`;
    const activity = page.getByRole('region', { name: 'Activity' });
    await see(activity.getByRole('term')).toHaveText(['Actions', 'First seen', 'Last seen', 'Distinct resources']);
    await see(activity.getByRole('definition')).toHaveText(['28', utc(byTime[0].occurred_at), utc(byTime[27].occurred_at), '28']);
    await see(page.getByRole('table', { name: 'Actions by type' }).getByRole('row')).toHaveText([/^Action\s*Count$/, /^data\.read\s*26$/, /^permission\.grant\s*2$/]);
    await see(page.getByRole('region', { name: 'Containment' })).toContainText('not contained');
    await see(page.getByRole('table', { name: `Timeline of ${agent}` }).locator('tbody tr:not(.detail-row)')).toHaveCount(25);
    await see(page.getByRole('link', { name: WIDENING_TITLE })).toHaveCount(2);
    await shot('05-principal');
  });

  it('opens a detection and shows its evidence events', async () => {
    await page.getByRole('link', { name: WIDENING_TITLE }).last().click();
    await see(page.getByRole('heading', { level: 1, name: WIDENING_TITLE })).toBeVisible();
    const evidence = page.getByRole('table', { name: 'Evidence events' }).locator('tbody tr:not(.detail-row)');
    await see(evidence).toHaveCount(1);
    await see(evidence).toContainText(firstWidening.event_id);
    await see(evidence).toContainText('trigger');
    await see(evidence).toContainText('restricted');
    await see(page.getByRole('heading', { name: 'Evidence (1 event)' })).toBeVisible();
    await shot('06-detection');
  });

  let containmentId: string;

  it('contains the principal: preview of the PostgreSQL grants, a required reason, progress to contained', async () => {
    await page.getByRole('link', { name: agent }).first().click();
    await see(page.getByRole('heading', { level: 1, name: agent })).toBeVisible();
    expect(await agentCanQuery()).toBe(true);

    await page.getByRole('button', { name: 'Contain', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Contain ${agent}` });
    await see(dialog).toBeVisible();
    const preview = dialog.getByRole('list', { name: 'Access held on crm-db' });
    await see(dialog.getByText('7 items on 1 connector will be revoked.')).toBeVisible();
    await see(dialog.getByRole('region', { name: 'Connector crm-db' })).toContainText('crm-db · postgres');
    expect((await preview.locator('.item-kind').allTextContents()).sort()).toEqual(
      ['pg.database', 'pg.database', 'pg.login', 'pg.relation', 'pg.relation', 'pg.relation', 'pg.schema'].sort(),
    );
    await see(preview.getByRole('listitem').filter({ hasText: 'customers' }).filter({ hasText: 'UPDATE' })).toHaveCount(1);
    await shot('07-contain-preview');

    // No reason: refused in place, nothing revoked.
    await dialog.getByRole('button', { name: 'Confirm containment' }).click();
    await see(dialog.getByText('Enter a reason.')).toBeVisible();
    await see(dialog.getByLabel('Reason')).toBeFocused();
    await see(dialog.getByLabel('Reason')).toHaveAttribute('aria-invalid', 'true');
    expect((await api('GET', `/v1/containments?principal=${agent}`)).json.items).toEqual([]);

    await dialog.getByLabel('Reason').fill('SEV-1: widened a restricted folder to the whole org');
    await dialog.getByLabel('Incident ID (optional)').fill('INC-42');
    await dialog.getByRole('button', { name: 'Confirm containment' }).click();
    await see(dialog.getByTestId('progress-status'), { timeout: 30_000 }).toHaveText('contained');
    const connectorRow = dialog.getByRole('table', { name: 'Progress by connector' }).getByRole('row', { name: /crm-db/ });
    await see(connectorRow).toContainText('revoked');
    await see(connectorRow.getByRole('cell').nth(2)).toHaveText('7'); // revoked: 7
    await shot('08-contain-progress');
    expect(await agentCanQuery()).toBe(false);

    const list = (await api('GET', `/v1/containments?principal=${agent}`)).json.items;
    expect(list.map((c: any) => [c.status, c.reason, c.incident_id, c.requested_by])).toEqual([
      ['contained', 'SEV-1: widened a restricted folder to the whole org', 'INC-42', 'bootstrap-admin'],
    ]);
    containmentId = list[0].containment_id;

    await dialog.getByRole('button', { name: 'Close' }).click();
    await see(dialog).toBeHidden();
    await see(page.getByRole('link', { name: containmentId })).toBeVisible();
    await see(page.getByRole('button', { name: 'Contain', exact: true })).toBeDisabled();
  });

  it('shows the containment, then rolls it back with a reason, and the login works again', async () => {
    await page.getByRole('link', { name: containmentId }).click();
    await see(page.getByRole('heading', { level: 1, name: `Containment of ${agent}` })).toBeVisible();
    await see(page.getByTestId('containment-status')).toHaveText('contained');
    await see(page.getByRole('table', { name: 'Stage by connector' }).getByRole('row', { name: /crm-db/ })).toContainText('revoked');
    await see(page.getByRole('list').filter({ hasText: 'ContainmentRequested' })).toContainText('SEV-1: widened a restricted folder');
    await shot('09-containment');

    const rollback = page.getByRole('button', { name: 'Roll back' });
    await rollback.click();
    const dialog = page.getByRole('dialog', { name: `Roll back containment of ${agent}` });
    await see(dialog.getByRole('list', { name: 'Access to restore on crm-db' }).getByRole('listitem')).toHaveCount(7);
    await dialog.getByRole('button', { name: 'Confirm rollback' }).click();
    await see(dialog.getByText('Enter a reason.')).toBeVisible();
    await dialog.getByLabel('Reason').fill('false alarm: the share was approved');
    await see(dialog.getByText('Enter a reason.')).toBeHidden();
    await see(dialog.getByLabel('Reason')).toHaveAttribute('aria-invalid', null);
    await shot('10-rollback-dialog');
    await dialog.getByRole('button', { name: 'Confirm rollback' }).click();
    await see(dialog.getByTestId('progress-status'), { timeout: 30_000 }).toHaveText('rolled_back');
    await see(dialog.getByRole('table', { name: 'Progress by connector' }).getByRole('row', { name: /crm-db/ })).toContainText('restored');
    await shot('11-rollback-progress');
    expect(await agentCanQuery()).toBe(true);

    await dialog.getByRole('button', { name: 'Close' }).click();
    await see(page.getByTestId('containment-status')).toHaveText('rolled_back');
    await see(page.getByRole('button', { name: 'Roll back' })).toHaveCount(0);
    await see(page.getByRole('definition').filter({ hasText: 'false alarm: the share was approved' })).toHaveCount(1);
    await shot('12-rolled-back');
    const after = (await api('GET', `/v1/containments/${containmentId}`)).json;
    expect(after.containment.status).toBe('rolled_back');
    expect(after.containment.rollback.reason).toBe('false alarm: the share was approved');
  });

  it('keyboard only: the contain dialog opens, keeps focus inside, is filled and cancelled, and focus returns to the button', async () => {
    await page.getByRole('link', { name: agent }).first().click();
    const contain = page.getByRole('button', { name: 'Contain', exact: true });
    await see(contain).toBeEnabled();
    await page.getByRole('heading', { level: 1, name: agent }).focus();
    await tabTo(contain);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: `Contain ${agent}` });
    await see(dialog).toBeVisible();
    await see(dialog.getByLabel('Reason')).toBeFocused();
    await page.keyboard.type('typed with the keyboard only');
    await see(dialog.getByRole('button', { name: 'Confirm containment' })).toBeEnabled();

    // Focus is trapped: twenty Tabs never leave the dialog.
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press('Tab');
      expect(await dialog.evaluate((d: any) => d.contains(d.ownerDocument.activeElement))).toBe(true);
    }
    await tabTo(dialog.getByRole('button', { name: 'Cancel' }), 20);
    await shot('13-keyboard-dialog');
    await page.keyboard.press('Enter');
    await see(dialog).toBeHidden();
    await see(contain).toBeFocused();

    // Escape closes it too, and focus returns the same way.
    await page.keyboard.press('Enter');
    await see(dialog).toBeVisible();
    await page.keyboard.press('Escape');
    await see(dialog).toBeHidden();
    await see(contain).toBeFocused();
    expect((await api('GET', `/v1/containments?principal=${agent}`)).json.items.map((c: any) => c.status)).toEqual(['rolled_back']);
  });

  it('reads a text/event-stream split anywhere (the parser behind GET /v1/detections/stream, once the server offers it)', async () => {
    // Passed as source text: vitest would rewrite an import() written in this file.
    const events = await page.evaluate(`(async () => {
      const { serverSentEvents } = await import('/console/js/live.js');
      const chunks = [': keep-alive\\r\\n\\r\\nevent: detect', 'ion\\r\\ndata: {"detection_id":"a"}\\r\\n\\r', '\\ndata: line one\\r', '\\ndata: line two\\n\\nid: 7\\ndata:no-space\\n\\n'];
      const encoder = new TextEncoder();
      const body = new ReadableStream({
        start(controller) {
          for (const c of chunks) controller.enqueue(encoder.encode(c));
          controller.close();
        },
      });
      const out = [];
      for await (const e of serverSentEvents(body)) out.push(e);
      return out;
    })()`);
    expect(events).toEqual([
      { event: 'detection', data: '{"detection_id":"a"}' },
      { event: 'message', data: 'line one\nline two' },
      { event: 'message', data: 'no-space' },
    ]);
  });

  it('goes back to sign-in when the key stops being accepted, and the page raised no errors or CSP violations', async () => {
    await page.evaluate(() => (globalThis as any).sessionStorage.setItem('warden.console.credential', 'wdn_revoked_key_0000000000000000'));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Containments' }).click();
    await see(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
    await see(page.getByText('Your session has ended or the key is no longer accepted. Sign in again.')).toBeVisible();
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
    expect(pageProblems).toEqual([]);
  });
});

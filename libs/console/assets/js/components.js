/* global document */
import { describeError } from './api.js';
import { h, replace, time, uid } from './dom.js';
import { links } from './router.js';

/** The page title, focusable so that a route change can move focus (and screen readers) to it. */
export function pageHeader(title, { subtitle, actions = [] } = {}) {
  return h(
    'div',
    { class: 'page-header' },
    h('div', { class: 'page-title' }, h('h1', { tabindex: '-1', text: title }), subtitle ? h('p', { class: 'subtitle' }, subtitle) : null),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null,
  );
}

/** An alert region for errors: shows a problem's detail and field errors, as text. */
export function errorBox() {
  const node = h('div', { class: 'error-box', role: 'alert', hidden: true });
  return {
    node,
    show(error) {
      const [first, ...rest] = describeError(error);
      replace(node, h('p', { class: 'error-title', text: first }), rest.length ? h('ul', {}, rest.map((line) => h('li', { text: line }))) : null);
      node.hidden = false;
    },
    clear() {
      node.hidden = true;
      node.replaceChildren();
    },
  };
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status', text });
}

export function empty(text) {
  return h('p', { class: 'empty', text });
}

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];

export function severityBadge(severity) {
  const known = SEVERITIES.includes(severity) ? severity : 'info';
  return h('span', { class: ['badge', `severity-${known}`], text: severity });
}

const STATUS_TONE = {
  pending: 'progress',
  rolling_back: 'progress',
  contained: 'contained',
  partial: 'warning',
  failed: 'danger',
  rolled_back: 'neutral',
  revoked: 'contained',
  restored: 'neutral',
  awaiting_snapshot: 'progress',
  awaiting_revocation: 'progress',
  awaiting_restore: 'progress',
  snapshot_failed: 'danger',
  revocation_failed: 'danger',
  restore_failed: 'danger',
};

/** Status and stage names are shown as the API spells them, so they match the CLI and the logs. */
export function statusBadge(status, props = {}) {
  return h('span', { ...props, class: ['badge', `tone-${STATUS_TONE[status] ?? 'neutral'}`], text: status });
}

export function outcomeBadge(outcome) {
  return h('span', { class: ['badge', `outcome-${outcome === 'success' ? 'success' : outcome === 'denied' ? 'denied' : 'failure'}`], text: outcome });
}

export function principalLink(id) {
  return h('a', { href: links.principal(id), text: id });
}

/** A definition list from [term, value] pairs; null values are skipped. */
export function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs.filter(([, v]) => v !== null && v !== undefined).map(([term, value]) => h('div', { class: 'fact' }, h('dt', { text: term }), h('dd', {}, value))),
  );
}

/**
 * One access item, as the connector reported it: its kind, then its other
 * fields as "name value" pairs. Generic on purpose: the console does not
 * know every connector's item shape.
 */
export function describeItem(item) {
  const { kind, ...rest } = item;
  const parts = Object.entries(rest)
    .filter(([, v]) => v !== null && v !== undefined && v !== false)
    .map(([k, v]) => h('span', { class: 'item-field' }, h('span', { class: 'item-key', text: k.replace(/_/g, ' ') }), ' ', h('span', { class: 'item-value', text: v === true ? 'yes' : typeof v === 'object' ? JSON.stringify(v) : String(v) })));
  return h('li', { class: 'access-item' }, h('code', { class: 'item-kind', text: kind }), parts);
}

export function itemList(items, label) {
  if (!items || items.length === 0) return empty('No access held here.');
  return h('ul', { class: 'access-items', 'aria-label': label }, items.map(describeItem));
}

function resourceCell(event) {
  const r = event.resource ?? {};
  return h('span', { class: 'resource' }, h('span', { class: 'muted', text: r.type ?? '' }), ' ', h('span', { class: 'mono', text: r.id ?? '' }));
}

/**
 * History rows: occurred, principal, action, resource, sensitivity, outcome;
 * each event id opens the whole stored event below its row.
 */
export function actionsTable(items, { caption, highlight, showPrincipal = true } = {}) {
  const body = h('tbody');
  for (const stored of items) {
    const e = stored.event;
    const detailId = uid('event');
    const detailRow = h('tr', { class: 'detail-row', id: detailId, hidden: true }, h('td', { colspan: showPrincipal ? 7 : 6 }, h('pre', { class: 'json', text: JSON.stringify(stored, null, 2) })));
    const toggle = h('button', {
      type: 'button',
      class: 'link-button mono',
      'aria-expanded': 'false',
      'aria-controls': detailId,
      'aria-label': `Show event ${e.event_id}`,
      text: e.event_id,
      on: {
        click: () => {
          const open = detailRow.hidden;
          detailRow.hidden = !open;
          toggle.setAttribute('aria-expanded', String(open));
          toggle.setAttribute('aria-label', `${open ? 'Hide' : 'Show'} event ${e.event_id}`);
        },
      },
    });
    const trigger = highlight && highlight === e.event_id;
    body.append(
      h(
        'tr',
        { class: trigger ? 'highlight' : null },
        h('td', { class: 'nowrap' }, time(e.occurred_at)),
        showPrincipal ? h('td', { class: 'nowrap' }, principalLink(e.principal?.id ?? '')) : null,
        h('td', {}, h('code', { text: e.action?.type ?? '' }), trigger ? h('span', { class: 'badge tone-warning tag', text: 'trigger' }) : null),
        h('td', {}, resourceCell(e)),
        h('td', {}, e.resource?.sensitivity ? h('span', { class: `sensitivity sensitivity-${e.resource.sensitivity}`, text: e.resource.sensitivity }) : h('span', { class: 'muted', text: '—' })),
        h('td', {}, outcomeBadge(e.outcome)),
        h('td', {}, toggle),
      ),
      detailRow,
    );
  }
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data-table' },
      caption ? h('caption', { class: 'visually-hidden', text: caption }) : null,
      h(
        'thead',
        {},
        h('tr', {}, h('th', { scope: 'col', text: 'Occurred (UTC)' }), showPrincipal ? h('th', { scope: 'col', text: 'Principal' }) : null, h('th', { scope: 'col', text: 'Action' }), h('th', { scope: 'col', text: 'Resource' }), h('th', { scope: 'col', text: 'Sensitivity' }), h('th', { scope: 'col', text: 'Outcome' }), h('th', { scope: 'col', text: 'Event' })),
      ),
      body,
    ),
  );
}

/** Says something to screen-reader users without moving focus. */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (!region) return;
  region.textContent = '';
  // A fresh text node in a later task is what makes assistive technology re-read the region.
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}


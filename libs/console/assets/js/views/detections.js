/* global FormData */
import { announce, empty, errorBox, loading, pageHeader, principalLink, severityBadge } from '../components.js';
import { formatTime, h, replace, time, uid } from '../dom.js';
import { subscribeDetections } from '../live.js';
import { links, navigate } from '../router.js';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

function detectionsTable(items, fresh) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data-table' },
      h('caption', { class: 'visually-hidden', text: 'Detections, most recent first' }),
      h('thead', {}, h('tr', {}, ['Severity', 'Detection', 'Principal', 'Rule', 'Events', 'Last seen (UTC)'].map((t) => h('th', { scope: 'col', text: t })))),
      h(
        'tbody',
        {},
        items.map((d) =>
          h(
            'tr',
            { class: fresh.has(d.detection_id) ? 'fresh' : null },
            h('td', {}, severityBadge(d.severity)),
            h('td', {}, h('a', { href: links.detection(d.detection_id), text: d.title }), fresh.has(d.detection_id) ? h('span', { class: 'badge tone-progress tag', text: 'new' }) : null, h('div', { class: 'muted small', text: d.summary })),
            h('td', { class: 'nowrap' }, principalLink(d.principal_id)),
            h('td', { class: 'nowrap' }, h('code', { text: d.rule_id })),
            h('td', { class: 'num', text: String(d.count) }),
            h('td', { class: 'nowrap' }, time(d.last_seen)),
          ),
        ),
      ),
    ),
  );
}

/** Detections, most recent first, kept up to date (stream when offered, else polling every 2 s). */
export function detectionsView({ query }) {
  const filters = { severity: SEVERITIES.includes(query.severity) ? query.severity : undefined, rule: query.rule, principal: query.principal };
  const errors = errorBox();
  const results = h('div', {}, loading('Loading detections…'));
  const liveText = h('span', { text: 'Connecting…' });
  const updated = h('span', { class: 'muted' });
  const live = h('p', { class: 'live' }, h('span', { class: 'live-dot', 'aria-hidden': 'true' }), liveText, updated);

  const sevId = uid('severity');
  const ruleId = uid('rule');
  const prinId = uid('principal');
  const form = h(
    'form',
    { class: 'filters filters-inline', role: 'search', 'aria-label': 'Filter detections' },
    h('div', { class: 'field' }, h('label', { for: sevId, text: 'Severity' }), h('select', { id: sevId, name: 'severity' }, h('option', { value: '', text: 'Any' }), SEVERITIES.map((s) => h('option', { value: s, text: s, selected: s === filters.severity })))),
    h('div', { class: 'field' }, h('label', { for: ruleId, text: 'Rule' }), h('input', { id: ruleId, name: 'rule', value: filters.rule ?? '', autocomplete: 'off' })),
    h('div', { class: 'field' }, h('label', { for: prinId, text: 'Principal' }), h('input', { id: prinId, name: 'principal', value: filters.principal ?? '', autocomplete: 'off' })),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'button button-primary', text: 'Apply' }), h('a', { class: 'button button-quiet', href: '#/detections', text: 'Clear' })),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    navigate(['detections'], Object.fromEntries([...data.entries()].map(([k, v]) => [k, String(v).trim()]).filter(([, v]) => v)));
  });

  let known = null; // ids seen so far; null until the first answer
  const fresh = new Set();
  const stop = subscribeDetections(
    (items) => {
      errors.clear();
      const added = known === null ? [] : items.filter((d) => !known.has(d.detection_id));
      for (const d of added) fresh.add(d.detection_id);
      known = new Set([...(known ?? []), ...items.map((d) => d.detection_id)]);
      replace(results, items.length === 0 ? empty('No detections match.') : detectionsTable(items, fresh));
      updated.textContent = `· updated ${formatTime(new Date().toISOString()).slice(11)}`;
      if (added.length > 0) announce(`${added.length} new detection${added.length === 1 ? '' : 's'}.`);
    },
    {
      query: { ...filters, limit: 200 },
      onMode: (mode) => {
        liveText.textContent = mode === 'stream' ? 'Live · streaming' : 'Live · updates every 2 s';
      },
      onError: (error) => errors.show(error),
    },
  );

  return {
    title: 'Detections',
    dispose: stop,
    node: h('div', {}, pageHeader('Detections', { subtitle: 'Most recent first', actions: [live] }), form, errors.node, h('section', { 'aria-label': 'Detections' }, results)),
  };
}

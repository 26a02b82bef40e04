import { get } from '../api.js';
import { empty, errorBox, facts, loading, pageHeader, severityBadge, statusBadge } from '../components.js';
import { h, replace, time, uid } from '../dom.js';
import { historyPager } from '../history.js';
import { openContainDialog, openRollbackDialog } from '../response-dialogs.js';
import { links } from '../router.js';

const ACTIVE = new Set(['pending', 'contained', 'partial', 'rolling_back', 'failed']);

/** A titled card that is a labelled region; `fill(...)` replaces everything under its title. */
function card(title) {
  const id = uid('card');
  const node = h('section', { class: 'card', 'aria-labelledby': id });
  const fill = (...children) => replace(node, h('h2', { id, text: title }), children);
  fill(loading());
  return { node, fill };
}

/** A principal's timeline: summary, containment state (Contain / Roll back), its detections, and its actions newest first. */
export function principalView({ params, signal, refresh }) {
  const [id] = params;
  const errors = errorBox();
  const summary = card('Activity');
  const byType = card('Action types');
  const containment = card('Containment');
  const detections = h('section', { class: 'section', 'aria-labelledby': 'principal-detections' }, h('h2', { id: 'principal-detections', text: 'Detections' }), loading());
  const contain = h('button', { type: 'button', class: 'button button-danger', text: 'Contain', 'aria-haspopup': 'dialog', disabled: true });
  contain.addEventListener('click', () => openContainDialog({ principal: id, opener: contain, onFinished: (view) => view && refresh() }));

  void get(`/v1/principals/${encodeURIComponent(id)}/summary`, {}, { signal }).then(
    (s) => {
      summary.fill(facts([['Actions', String(s.total)], ['First seen', time(s.first_seen)], ['Last seen', time(s.last_seen)], ['Distinct resources', String(s.distinct_resources)]]));
      const rows = Object.entries(s.by_action_type).sort((a, b) => b[1] - a[1]);
      byType.fill(
        h('table', { class: 'compact-table' }, h('caption', { class: 'visually-hidden', text: 'Actions by type' }), h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Action' }), h('th', { scope: 'col', class: 'num', text: 'Count' }))), h('tbody', {}, rows.map(([type, n]) => h('tr', {}, h('td', {}, h('code', { text: type })), h('td', { class: 'num', text: String(n) }))))),
      );
    },
    (error) => {
      if (error?.name === 'AbortError') return;
      if (error?.status === 404) {
        summary.fill(empty('No events recorded for this principal.'));
        byType.fill(empty('None.'));
      } else errors.show(error);
    },
  );

  void get('/v1/containments', { principal: id }, { signal }).then(
    (answer) => {
      const current = answer.items.find((c) => ACTIVE.has(c.status));
      const last = current ?? answer.items[0];
      const rows = [];
      if (current) {
        rows.push(
          h('p', { class: 'containment-state' }, statusBadge(current.status), ' ', h('a', { href: links.containment(current.containment_id), class: 'mono', text: current.containment_id })),
          facts([['Reason', current.reason], ['Requested by', current.requested_by], ['Requested', time(current.requested_at)]]),
        );
        if (['contained', 'partial', 'failed'].includes(current.status)) {
          const rollback = h('button', { type: 'button', class: 'button', text: 'Roll back', 'aria-haspopup': 'dialog' });
          rollback.addEventListener('click', () => openRollbackDialog({ containment: current, opener: rollback, onFinished: (view) => view && refresh() }));
          rows.push(h('div', { class: 'card-actions' }, rollback));
        }
      } else {
        rows.push(h('p', {}, statusBadge('not contained')), last ? h('p', { class: 'muted' }, 'Last: ', h('a', { href: links.containment(last.containment_id), text: `${last.status}, ` }), time(last.requested_at)) : null);
        contain.disabled = false;
      }
      containment.fill(rows);
    },
    (error) => {
      if (error?.name === 'AbortError') return;
      containment.fill(empty('Unavailable.'));
      errors.show(error);
    },
  );

  void get('/v1/detections', { principal: id, limit: 20 }, { signal }).then(
    (answer) => {
      replace(
        detections,
        h('h2', { id: 'principal-detections', text: 'Detections' }),
        answer.items.length === 0
          ? empty('No detections for this principal.')
          : h('ul', { class: 'detection-list' }, answer.items.map((d) => h('li', {}, severityBadge(d.severity), ' ', h('a', { href: links.detection(d.detection_id), text: d.title }), h('span', { class: 'muted' }, ' · last seen ', time(d.last_seen))))),
      );
    },
    (error) => {
      if (error?.name !== 'AbortError') errors.show(error);
    },
  );

  const timeline = historyPager({ filters: { principal: id }, pageSize: 25, showPrincipal: false, caption: `Timeline of ${id}`, signal });
  return {
    title: id,
    node: h(
      'div',
      {},
      pageHeader(id, { subtitle: h('span', {}, 'Principal · ', h('a', { href: links.actions({ principal: id }), text: 'Search its actions' })), actions: [contain] }),
      errors.node,
      h('div', { class: 'card-grid' }, summary.node, byType.node, containment.node),
      detections,
      h('section', { class: 'section', 'aria-labelledby': 'principal-timeline' }, h('h2', { id: 'principal-timeline', text: 'Timeline' }), timeline.node),
    ),
  };
}

import { get } from '../api.js';
import { errorBox, facts, itemList, loading, pageHeader, principalLink, statusBadge } from '../components.js';
import { h, replace, time } from '../dom.js';
import { connectorTable, openRetryDialog, openRollbackDialog } from '../response-dialogs.js';

const IN_FLIGHT = new Set(['pending', 'rolling_back']);
const POLL_MS = 1500;

function timelineList(events) {
  return h(
    'ol',
    { class: 'timeline' },
    events.map((e) =>
      h(
        'li',
        {},
        h('span', { class: 'timeline-time' }, time(e.metadata?.recordedAt)),
        h('span', { class: 'timeline-type', text: e.type }),
        e.data?.connector ? h('span', { class: 'muted', text: ` · ${e.data.connector}` }) : null,
        e.data?.items ? h('span', { class: 'muted', text: ` · ${e.data.items.length} item${e.data.items.length === 1 ? '' : 's'}` }) : null,
        e.data?.status ? h('span', { class: 'muted', text: ` · ${e.data.status}` }) : null,
        e.data?.error ? h('span', { class: 'error-text', text: ` · ${e.data.error.code}: ${e.data.error.message}` }) : null,
        e.data?.reason ? h('span', { class: 'timeline-reason', text: ` “${e.data.reason}”` }) : null,
        h('span', { class: 'muted', text: ` · by ${e.metadata?.actor ?? 'unknown'}` }),
      ),
    ),
  );
}

/** One containment: status, per-connector stage, snapshot, the ledger's timeline; Roll back and Retry from here. */
export function containmentView({ params, signal, refresh }) {
  const [id] = params;
  const errors = errorBox();
  const root = h('div', {}, pageHeader('Containment'), loading());
  let timer;

  const render = ({ containment: c, timeline }) => {
    const actions = [];
    if (['contained', 'partial', 'failed'].includes(c.status)) {
      const rollback = h('button', { type: 'button', class: 'button button-danger', text: 'Roll back', 'aria-haspopup': 'dialog' });
      rollback.addEventListener('click', () => openRollbackDialog({ containment: c, opener: rollback, onFinished: (view) => view && refresh() }));
      actions.push(rollback);
    }
    if (c.blocked.length > 0) {
      const retry = h('button', { type: 'button', class: 'button', text: 'Retry failed connectors', 'aria-haspopup': 'dialog' });
      retry.addEventListener('click', () => openRetryDialog({ containment: c, opener: retry, onFinished: (view) => view && refresh() }));
      actions.push(retry);
    }
    const focused = root.contains(root.ownerDocument.activeElement) ? root.ownerDocument.activeElement?.textContent : null;
    replace(
      root,
      pageHeader(`Containment of ${c.principal}`, { subtitle: h('span', { class: 'status-line' }, 'Status ', statusBadge(c.status, { 'data-testid': 'containment-status' }), IN_FLIGHT.has(c.status) ? h('span', { class: 'muted', text: ' · updating' }) : null, ' · ', h('code', { text: c.containment_id })), actions }),
      errors.node,
      h(
        'div',
        { class: 'card' },
        facts([
          ['Principal', principalLink(c.principal)],
          ['Reason', c.reason],
          ['Incident', c.incident_id],
          ['Requested by', c.requested_by],
          ['Requested', time(c.requested_at)],
          ['Rollback reason', c.rollback?.reason],
          ['Rolled back by', c.rollback?.requested_by],
          ['Rollback requested', c.rollback ? time(c.rollback.requested_at) : null],
        ]),
      ),
      h('section', { class: 'section', 'aria-labelledby': 'ctn-connectors' }, h('h2', { id: 'ctn-connectors', text: 'Connectors' }), connectorTable(c, { caption: 'Stage by connector' })),
      h(
        'section',
        { class: 'section', 'aria-labelledby': 'ctn-snapshot' },
        h('h2', { id: 'ctn-snapshot', text: 'Snapshot' }),
        h('p', { class: 'muted', text: 'What the principal held before anything was revoked; a rollback restores exactly this.' }),
        c.connectors.map((k) => h('details', { class: 'snapshot' }, h('summary', {}, `${k.connector} · `, k.snapshot === null ? 'no snapshot' : `${k.snapshot.length} item${k.snapshot.length === 1 ? '' : 's'}`), k.snapshot ? itemList(k.snapshot, `Snapshot on ${k.connector}`) : null)),
      ),
      h('section', { class: 'section', 'aria-labelledby': 'ctn-timeline' }, h('h2', { id: 'ctn-timeline', text: 'Timeline' }), timelineList(timeline)),
    );
    // A re-render while someone is on a button must not throw their focus away.
    if (focused) [...root.querySelectorAll('button')].find((b) => b.textContent === focused)?.focus();
    if (IN_FLIGHT.has(c.status)) timer = setTimeout(load, POLL_MS);
  };

  const load = () =>
    get(`/v1/containments/${encodeURIComponent(id)}`, {}, { signal }).then(render, (error) => {
      if (error?.name === 'AbortError') return;
      replace(root, pageHeader('Containment'), errors.node);
      errors.show(error);
    });
  void load();
  return { title: 'Containment', node: root, dispose: () => clearTimeout(timer) };
}

import { get } from '../api.js';
import { actionsTable, empty, errorBox, facts, loading, pageHeader, principalLink, severityBadge } from '../components.js';
import { h, replace, time } from '../dom.js';
import { openContainDialog } from '../response-dialogs.js';
import { links } from '../router.js';

/** One detection and the events it rests on (the trigger marked). From here a responder can contain its principal. */
export function detectionView({ params, signal }) {
  const [id] = params;
  const errors = errorBox();
  const root = h('div', {}, pageHeader('Detection'), loading());
  void get(`/v1/detections/${encodeURIComponent(id)}`, {}, { signal }).then(
    ({ detection: d, evidence }) => {
      const contain = h('button', { type: 'button', class: 'button button-danger', text: 'Contain', 'aria-haspopup': 'dialog' });
      contain.addEventListener('click', () => openContainDialog({ principal: d.principal_id, opener: contain }));
      replace(
        root,
        pageHeader(d.title, { subtitle: h('span', {}, severityBadge(d.severity), ' ', d.summary), actions: [contain] }),
        errors.node,
        h(
          'div',
          { class: 'card' },
          facts([
            ['Principal', principalLink(d.principal_id)],
            ['Rule', h('span', {}, h('code', { text: d.rule_id }), h('span', { class: 'muted', text: ` (${d.rule_kind})` }))],
            ['Events counted', String(d.count)],
            ['First seen', time(d.first_seen)],
            ['Last seen', time(d.last_seen)],
            ['Detected', time(d.detected_at)],
            ['Automatic containment', d.auto_contain ? 'allowed by this rule' : 'no'],
            ['Detection ID', h('code', { text: d.detection_id })],
          ]),
        ),
        h(
          'section',
          { class: 'section', 'aria-labelledby': 'evidence-heading' },
          h('h2', { id: 'evidence-heading', text: `Evidence (${evidence.length} event${evidence.length === 1 ? '' : 's'})` }),
          evidence.length === 0 ? empty('The evidence events are not in the log (retention may have removed them).') : actionsTable(evidence, { caption: 'Evidence events', highlight: d.trigger_event_id }),
          h('p', {}, h('a', { href: links.actions({ principal: d.principal_id }), text: `All actions of ${d.principal_id}` })),
        ),
      );
    },
    (error) => {
      if (error?.name === 'AbortError') return;
      replace(root, pageHeader('Detection'), errors.node);
      errors.show(error);
    },
  );
  return { title: 'Detection', node: root };
}

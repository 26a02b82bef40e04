/* global FormData */
import { get } from '../api.js';
import { empty, errorBox, loading, pageHeader, principalLink, statusBadge } from '../components.js';
import { h, replace, time, uid } from '../dom.js';
import { links, navigate } from '../router.js';

/** Containments, newest first, optionally of one principal. */
export function containmentsView({ query, signal }) {
  const errors = errorBox();
  const results = h('div', {}, loading('Loading containments…'));
  const prinId = uid('principal');
  const form = h(
    'form',
    { class: 'filters filters-inline', role: 'search', 'aria-label': 'Filter containments' },
    h('div', { class: 'field' }, h('label', { for: prinId, text: 'Principal' }), h('input', { id: prinId, name: 'principal', value: query.principal ?? '', autocomplete: 'off' })),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'button button-primary', text: 'Apply' }), h('a', { class: 'button button-quiet', href: '#/containments', text: 'Clear' })),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const principal = String(new FormData(form).get('principal') ?? '').trim();
    if (!navigate(['containments'], { principal })) load();
  });

  const load = () =>
    get('/v1/containments', { principal: query.principal }, { signal }).then(
      (answer) => {
        errors.clear();
        replace(
          results,
          answer.items.length === 0
            ? empty('No containments.')
            : h(
                'div',
                { class: 'table-wrap' },
                h(
                  'table',
                  { class: 'data-table' },
                  h('caption', { class: 'visually-hidden', text: 'Containments, newest first' }),
                  h('thead', {}, h('tr', {}, ['Status', 'Principal', 'Reason', 'Requested by', 'Requested (UTC)', 'Containment'].map((t) => h('th', { scope: 'col', text: t })))),
                  h(
                    'tbody',
                    {},
                    answer.items.map((c) =>
                      h(
                        'tr',
                        {},
                        h('td', {}, statusBadge(c.status)),
                        h('td', {}, principalLink(c.principal)),
                        h('td', { class: 'reason', text: c.reason }),
                        h('td', { text: c.requested_by }),
                        h('td', { class: 'nowrap' }, time(c.requested_at)),
                        h('td', {}, h('a', { href: links.containment(c.containment_id), class: 'mono', text: c.containment_id })),
                      ),
                    ),
                  ),
                ),
              ),
        );
      },
      (error) => {
        if (error?.name === 'AbortError') return;
        replace(results);
        errors.show(error);
      },
    );
  void load();
  const refresh = h('button', { type: 'button', class: 'button', text: 'Refresh', on: { click: () => load() } });
  return {
    title: 'Containments',
    node: h('div', {}, pageHeader('Containments', { subtitle: query.principal ? h('span', {}, 'Of ', principalLink(query.principal)) : 'Newest first', actions: [refresh] }), form, errors.node, h('section', { 'aria-label': 'Containments' }, results)),
  };
}

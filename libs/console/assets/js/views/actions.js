/* global FormData */
import { pageHeader } from '../components.js';
import { h, uid } from '../dom.js';
import { historyPager } from '../history.js';
import { navigate } from '../router.js';

const FILTERS = [
  { name: 'principal', label: 'Principal' },
  { name: 'agent', label: 'Agent' },
  { name: 'action', label: 'Action type', placeholder: 'data.read or permission.' },
  { name: 'resource_type', label: 'Resource type' },
  { name: 'resource_id', label: 'Resource ID' },
  { name: 'outcome', label: 'Outcome', options: ['success', 'failure', 'denied'] },
  { name: 'sensitivity', label: 'Sensitivity', options: ['public', 'internal', 'confidential', 'restricted'] },
  { name: 'from', label: 'From (UTC)', type: 'datetime-local' },
  { name: 'to', label: 'To (UTC)', type: 'datetime-local' },
];
const PAGE_SIZES = ['25', '50', '100', '250'];

// datetime-local has no zone; the console shows and takes times in UTC.
const toInput = (iso) => (iso ? iso.replace(/Z$|[+-]\d\d:\d\d$/, '').slice(0, 16) : '');
const fromInput = (value) => (value ? `${value.length === 16 ? `${value}:00` : value}Z` : '');

function field(f, value) {
  const id = uid(f.name);
  const control = f.options
    ? h('select', { id, name: f.name }, h('option', { value: '', text: 'Any' }), f.options.map((o) => h('option', { value: o, text: o, selected: o === value })))
    : h('input', { id, name: f.name, type: f.type ?? 'text', value: f.type === 'datetime-local' ? toInput(value) : (value ?? ''), placeholder: f.placeholder, autocomplete: 'off', spellcheck: 'false' });
  return h('div', { class: 'field' }, h('label', { for: id, text: f.label }), control);
}

/** Search action history with the API's filters; newest first, paged. Filters live in the URL, so a search can be shared. */
export function actionsView({ query, signal }) {
  const limit = PAGE_SIZES.includes(query.limit) ? query.limit : '50';
  const filters = Object.fromEntries(FILTERS.map((f) => [f.name, query[f.name]]).filter(([, v]) => v));
  const sizeId = uid('limit');
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter actions' },
    h('div', { class: 'filter-grid' }, FILTERS.map((f) => field(f, query[f.name])), h('div', { class: 'field' }, h('label', { for: sizeId, text: 'Page size' }), h('select', { id: sizeId, name: 'limit' }, PAGE_SIZES.map((s) => h('option', { value: s, text: s, selected: s === limit }))))),
    h('div', { class: 'filter-actions' }, h('button', { type: 'submit', class: 'button button-primary', text: 'Search' }), h('a', { class: 'button button-quiet', href: '#/actions', text: 'Clear filters' })),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = {};
    for (const f of FILTERS) {
      const raw = String(data.get(f.name) ?? '').trim();
      if (raw) next[f.name] = f.type === 'datetime-local' ? fromInput(raw) : raw;
    }
    if (data.get('limit') !== '50') next.limit = data.get('limit');
    if (!navigate(['actions'], next)) pager.reload();
  });
  const pager = historyPager({ filters, pageSize: Number(limit), caption: 'Actions, newest first', signal });
  const active = Object.keys(filters).length;
  return {
    title: 'Actions',
    node: h(
      'div',
      {},
      pageHeader('Actions', { subtitle: active ? `Newest first · ${active} filter${active === 1 ? '' : 's'} applied` : 'Newest first · all principals' }),
      form,
      h('section', { 'aria-label': 'Results' }, pager.node),
    ),
  };
}

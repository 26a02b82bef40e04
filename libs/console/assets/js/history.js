import { get } from './api.js';
import { actionsTable, empty, errorBox, loading } from './components.js';
import { h, replace } from './dom.js';

/**
 * A paged view of GET /v1/actions, newest first. The API pages forwards with
 * `next_cursor`; going back re-reads a page from the cursor that produced it.
 */
export function historyPager({ filters, pageSize = 50, showPrincipal = true, caption = 'Actions', signal }) {
  const cursors = [undefined]; // cursors[i] reads page i
  let page = 0;
  let nextCursor = null;
  const errors = errorBox();
  const results = h('div', { class: 'results', 'aria-live': 'polite', 'aria-busy': 'false' });
  const status = h('p', { class: 'pager-status' });
  const previous = h('button', { type: 'button', class: 'button', text: 'Previous page', disabled: true, on: { click: () => load(page - 1) } });
  const next = h('button', { type: 'button', class: 'button', text: 'Next page', disabled: true, on: { click: () => load(page + 1) } });
  const pager = h('nav', { class: 'pager', 'aria-label': `${caption} pages` }, previous, status, next);

  async function load(target) {
    if (target > page) cursors[target] = nextCursor;
    errors.clear();
    results.setAttribute('aria-busy', 'true');
    if (!results.firstChild) replace(results, loading('Loading actions…'));
    try {
      const answer = await get('/v1/actions', { ...filters, limit: pageSize, cursor: cursors[target] }, { signal });
      page = target;
      nextCursor = answer.next_cursor;
      replace(results, answer.items.length === 0 ? empty(page === 0 ? 'No actions match these filters.' : 'No more actions.') : actionsTable(answer.items, { caption, showPrincipal }));
      const first = page * pageSize + 1;
      status.textContent = answer.items.length === 0 ? `Page ${page + 1}` : `Page ${page + 1} · actions ${first}–${first + answer.items.length - 1}`;
      previous.disabled = page === 0;
      next.disabled = !nextCursor;
    } catch (error) {
      if (error?.name === 'AbortError') return;
      replace(results);
      errors.show(error);
    } finally {
      results.setAttribute('aria-busy', 'false');
    }
  }

  void load(0);
  return { node: h('div', { class: 'history' }, errors.node, results, pager), reload: () => load(page) };
}

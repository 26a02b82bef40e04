import { get, post } from './api.js';
import { announce, empty, errorBox, itemList, loading, statusBadge } from './components.js';
import { openDialog } from './dialog.js';
import { h, replace, uid } from './dom.js';
import { links } from './router.js';

const PROGRESS_POLL_MS = 1000;
const MIN_REASON = 3;

function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** Per-connector stage of a containment, as a table (the dialog's progress and the containment page share it). */
export function connectorTable(view, { caption = 'Connectors' } = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'data-table' },
      h('caption', { class: 'visually-hidden', text: caption }),
      h(
        'thead',
        {},
        h('tr', {}, ['Connector', 'Stage', 'Snapshot', 'Revoked', 'Restored', 'Failed attempts', 'Last error'].map((t) => h('th', { scope: 'col', text: t }))),
      ),
      h(
        'tbody',
        {},
        view.connectors.map((c) =>
          h(
            'tr',
            { 'data-connector': c.connector },
            h('th', { scope: 'row', text: c.connector }),
            h('td', {}, statusBadge(c.stage)),
            h('td', { text: c.snapshot === null ? '—' : plural(c.snapshot.length, 'item') }),
            h('td', { class: 'num', text: String(c.revoked) }),
            h('td', { class: 'num', text: String(c.restored) }),
            h('td', { class: 'num', text: String(c.failed_attempts) }),
            h('td', {}, c.last_error ? h('span', { class: 'error-text' }, h('code', { text: c.last_error.code }), ' ', c.last_error.message) : h('span', { class: 'muted', text: '—' })),
          ),
        ),
      ),
    ),
  );
}

/**
 * The shared flow of every response action: show what will change, ask for
 * a reason (it goes in the audit record), confirm, then follow the
 * containment connector by connector until it settles.
 */
function responseDialog({ opener, title, intro, detailsHeading, loadDetails, extraFields = [], confirmLabel, submit, settled, onFinished = () => {} }) {
  const controller = new AbortController();
  let finalView = null;
  const { body, footer, close, isClosed } = openDialog({
    title,
    opener,
    wide: true,
    onClose: () => {
      controller.abort();
      onFinished(finalView);
    },
  });

  const formId = uid('form');
  const reasonId = uid('reason');
  const hintId = uid('hint');
  const reasonErrorId = uid('reason-error');
  const errors = errorBox();
  // Scrolls when long: focusable and labelled, so keyboard users can scroll it too.
  const details = h('div', { class: 'dialog-details', tabindex: '0', role: 'region', 'aria-label': detailsHeading }, loading('Loading…'));
  const reason = h('textarea', { id: reasonId, name: 'reason', rows: '2', required: true, maxlength: '2048', 'aria-describedby': hintId });
  const reasonError = h('p', { id: reasonErrorId, class: 'field-error', hidden: true });
  const extras = extraFields.map((f) => ({ ...f, id: uid(f.name) }));
  const form = h(
    'form',
    { id: formId, class: 'form', novalidate: true },
    h(
      'div',
      { class: 'field' },
      h('label', { for: reasonId, text: 'Reason' }),
      h('p', { id: hintId, class: 'hint', text: `Required. Recorded in the audit log with your identity (at least ${MIN_REASON} characters).` }),
      reason,
      reasonError,
    ),
    extras.map((f) => h('div', { class: 'field' }, h('label', { for: f.id, text: f.label }), h('input', { id: f.id, name: f.name, type: 'text', maxlength: '256', autocomplete: 'off' }))),
  );
  const cancel = h('button', { type: 'button', class: 'button', text: 'Cancel', on: { click: close } });
  const confirm = h('button', { type: 'submit', form: formId, class: 'button button-danger', text: confirmLabel, disabled: true });
  const clearReasonError = () => {
    reasonError.hidden = true;
    reason.removeAttribute('aria-invalid');
    reason.setAttribute('aria-describedby', hintId);
  };
  // The error goes as soon as the reason is long enough, not only at the next submit.
  reason.addEventListener('input', () => {
    if (!reasonError.hidden && reason.value.trim().length >= MIN_REASON) clearReasonError();
  });
  replace(body, h('p', { class: 'dialog-intro', text: intro }), h('div', { class: 'dialog-section' }, h('h3', { 'aria-hidden': 'true', text: detailsHeading }), details), errors.node, form);
  replace(footer, cancel, confirm);
  reason.focus();

  void loadDetails(controller.signal).then(
    (node) => {
      if (isClosed()) return;
      replace(details, node);
      confirm.disabled = false;
    },
    (error) => {
      if (isClosed() || error?.name === 'AbortError') return;
      replace(details, empty('Could not load this.'));
      errors.show(error);
    },
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const text = reason.value.trim();
    if (text.length < MIN_REASON) {
      reasonError.textContent = text.length === 0 ? 'Enter a reason.' : `The reason must be at least ${MIN_REASON} characters.`;
      reasonError.hidden = false;
      reason.setAttribute('aria-invalid', 'true');
      reason.setAttribute('aria-describedby', `${hintId} ${reasonErrorId}`);
      reason.focus();
      return;
    }
    clearReasonError();
    const values = Object.fromEntries(extras.map((f) => [f.name, form.elements.namedItem(f.name).value.trim()]));
    confirm.disabled = true;
    confirm.textContent = 'Working…';
    try {
      const view = await submit(text, values, controller.signal);
      if (!isClosed()) follow(view);
    } catch (error) {
      if (error?.name === 'AbortError' || isClosed()) return;
      errors.show(error);
      confirm.disabled = false;
      confirm.textContent = confirmLabel;
    }
  });

  function follow(view) {
    finalView = view;
    const heading = h('h3', { tabindex: '-1', text: 'Progress' });
    const status = h('p', { class: 'progress-status', role: 'status' });
    const table = h('div');
    const render = (v) => {
      finalView = v;
      replace(status, 'Status: ', statusBadge(v.status, { 'data-testid': 'progress-status' }), settled(v.status) ? null : h('span', { class: 'muted', text: ' · updating' }));
      replace(table, connectorTable(v, { caption: 'Progress by connector' }));
    };
    render(view);
    replace(
      body,
      h('p', { class: 'dialog-intro' }, 'Containment ', h('a', { href: links.containment(view.containment_id), class: 'mono', text: view.containment_id }), ` of ${view.principal}.`),
      heading,
      status,
      table,
    );
    const done = h('button', { type: 'button', class: 'button button-primary', text: 'Close', on: { click: close } });
    replace(footer, h('a', { class: 'button', href: links.containment(view.containment_id), text: 'Open containment', on: { click: close } }), done);
    heading.focus();

    void (async () => {
      let v = view;
      while (!settled(v.status) && !controller.signal.aborted) {
        await new Promise((resolve) => setTimeout(resolve, PROGRESS_POLL_MS));
        if (controller.signal.aborted) return;
        try {
          v = (await get(`/v1/containments/${encodeURIComponent(view.containment_id)}`, {}, { signal: controller.signal })).containment;
          render(v);
        } catch (error) {
          if (error?.name === 'AbortError') return;
          errors.show(error);
          body.prepend(errors.node);
        }
      }
      if (!controller.signal.aborted) announce(`Containment ${v.status}.`);
    })();
  }

  return { close };
}

function connectorPreview(entry, kinds) {
  const kind = kinds.get(entry.connector);
  const count = entry.items ? plural(entry.items.length, 'item') : 'unavailable';
  return h(
    'section',
    { class: 'connector-preview', 'aria-label': `Connector ${entry.connector}` },
    h('h4', {}, entry.connector, kind ? h('span', { class: 'muted', text: ` · ${kind}` }) : null, h('span', { class: 'count', text: count })),
    entry.error
      ? h('p', { class: 'error-text' }, 'Could not read what this principal holds here: ', h('code', { text: entry.error.code }), ` ${entry.error.message}`)
      : itemList(entry.items, `Access held on ${entry.connector}`),
  );
}

/** Contain a principal: preview of exactly what each connector will revoke, a reason, then progress. */
export function openContainDialog({ principal, opener, incidentId, onFinished }) {
  // One key per dialog: a second click, or a retry after a network error, cannot contain twice.
  const idempotencyKey = crypto.randomUUID();
  return responseDialog({
    opener,
    title: `Contain ${principal}`,
    intro: `Warden records what ${principal} holds, then revokes it in every configured connector. Rolling back restores exactly this snapshot.`,
    detailsHeading: 'What will be revoked',
    loadDetails: async (signal) => {
      const [answer, connectors] = await Promise.all([
        post('/v1/containments', { principal, reason: 'preview from the console', preview: true }, { signal }),
        get('/v1/connectors', {}, { signal }).catch(() => ({ items: [] })),
      ]);
      const kinds = new Map(connectors.items.map((c) => [c.name, c.kind]));
      if (answer.preview.length === 0) return empty('No connectors are configured: there is nothing Warden can revoke.');
      const total = answer.preview.reduce((n, e) => n + (e.items?.length ?? 0), 0);
      return h(
        'div',
        {},
        h('p', { class: 'summary-line', text: `${plural(total, 'item')} on ${plural(answer.preview.length, 'connector')} will be revoked.` }),
        answer.preview.map((entry) => connectorPreview(entry, kinds)),
      );
    },
    extraFields: [{ name: 'incident_id', label: 'Incident ID (optional)' }],
    confirmLabel: 'Confirm containment',
    submit: async (reason, extras, signal) => {
      const body = { principal, reason };
      const incident = extras.incident_id || incidentId;
      if (incident) body.incident_id = incident;
      const answer = await post('/v1/containments', body, { signal, headers: { 'idempotency-key': idempotencyKey } });
      return answer.containment;
    },
    settled: (status) => status !== 'pending',
    onFinished,
  });
}

/** Roll a containment back: what will be restored (the snapshot), a reason, then progress. */
export function openRollbackDialog({ containment, opener, onFinished }) {
  return responseDialog({
    opener,
    title: `Roll back containment of ${containment.principal}`,
    intro: `Restores exactly what ${containment.principal} held when it was contained, and nothing else.`,
    detailsHeading: 'What will be restored',
    loadDetails: async () =>
      h(
        'div',
        {},
        containment.connectors.map((c) =>
          h(
            'section',
            { class: 'connector-preview', 'aria-label': `Connector ${c.connector}` },
            h('h4', {}, c.connector, h('span', { class: 'count', text: c.snapshot === null ? 'no snapshot' : plural(c.snapshot.length, 'item') })),
            c.snapshot === null ? empty('Nothing was recorded or revoked here.') : itemList(c.snapshot, `Access to restore on ${c.connector}`),
          ),
        ),
      ),
    confirmLabel: 'Confirm rollback',
    submit: async (reason, _extras, signal) =>
      (await post(`/v1/containments/${encodeURIComponent(containment.containment_id)}/rollback`, { reason }, { signal })).containment,
    settled: (status) => status !== 'rolling_back',
    onFinished,
  });
}

/** Retry the connectors that failed for good. */
export function openRetryDialog({ containment, opener, onFinished }) {
  return responseDialog({
    opener,
    title: `Retry failed connectors for ${containment.principal}`,
    intro: 'Warden tries the failed steps again, on these connectors only.',
    detailsHeading: 'What will be retried',
    loadDetails: async () =>
      containment.blocked.length === 0
        ? empty('No connector has failed for good.')
        : h('ul', { class: 'plain-list' }, containment.blocked.map((b) => h('li', {}, h('strong', { text: b.connector }), ` · ${b.stage} · ${plural(b.attempts, 'attempt')}`))),
    confirmLabel: 'Confirm retry',
    submit: async (reason, _extras, signal) =>
      (await post(`/v1/containments/${encodeURIComponent(containment.containment_id)}/retry`, { reason }, { signal })).containment,
    settled: (status) => status !== 'pending' && status !== 'rolling_back',
    onFinished,
  });
}

/* global document */
import { focusable, h, uid } from './dom.js';

/**
 * A modal dialog (native <dialog>, so the page behind is inert): focus moves
 * into it, Tab and Shift+Tab cycle inside it, Escape closes it, and focus
 * returns to the control that opened it. Answers { dialog, body, footer, close }.
 */
export function openDialog({ title, opener, onClose = () => {}, wide = false }) {
  const titleId = uid('dialog-title');
  const body = h('div', { class: 'dialog-body' });
  const footer = h('div', { class: 'dialog-footer' });
  const dialog = h('dialog', { class: ['dialog', wide ? 'dialog-wide' : null], 'aria-labelledby': titleId, 'aria-modal': 'true' }, h('h2', { id: titleId, class: 'dialog-title', text: title }), body, footer);
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    if (dialog.open) dialog.close();
    dialog.remove();
    if (opener?.isConnected) opener.focus();
    onClose();
  };

  dialog.addEventListener('cancel', (event) => {
    event.preventDefault(); // close through one path, so focus is always restored
    close();
  });
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return;
    const items = focusable(dialog);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
      event.preventDefault();
      first.focus();
    }
  });

  document.body.append(dialog);
  dialog.showModal();
  return { dialog, body, footer, close, isClosed: () => closed };
}

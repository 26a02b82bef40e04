/* global document */
/**
 * A tiny element builder. Data only ever reaches the page as text nodes or
 * attribute values, never as markup: nothing here parses HTML.
 */

/**
 * h('a', { href: '#/x', class: 'link', on: { click } }, 'text', child, [more])
 * Props: class, text, on (event listeners), and any attribute (aria-*, data-*,
 * role…). `value`, `checked`, `disabled`, `hidden`, `required`,
 * `selected` are set as properties. null / undefined / false props and
 * children are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (name === 'text') el.textContent = String(value);
    else if (name === 'on') for (const [type, fn] of Object.entries(value)) el.addEventListener(type, fn);
    else if (PROPERTIES.has(name)) el[name] = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'hidden', 'required', 'selected', 'tabIndex']);

export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return parent;
}

/** Replaces an element's content. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

let nextId = 0;
/** A unique id for label/description wiring. */
export function uid(prefix = 'w') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/** "2026-11-24 09:15:02 UTC" inside a <time>, with the full instant as its datetime. */
export function time(iso) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  return h('time', { datetime: iso, title: iso, text: formatTime(iso) });
}

export function formatTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** The elements inside `root` that take keyboard focus, in tab order. */
export function focusable(root) {
  const selector = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  return [...root.querySelectorAll(selector)].filter((el) => !el.closest('[hidden]') && el.getClientRects().length > 0);
}

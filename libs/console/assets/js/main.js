/* global document, window */
import { setUnauthenticatedHandler } from './api.js';
import { empty, pageHeader } from './components.js';
import { h, replace } from './dom.js';
import { currentRoute } from './router.js';
import { clearCredential, getCredential } from './session.js';
import { actionsView } from './views/actions.js';
import { containmentView } from './views/containment.js';
import { containmentsView } from './views/containments.js';
import { detectionView } from './views/detection.js';
import { detectionsView } from './views/detections.js';
import { principalView } from './views/principal.js';
import { signInView } from './views/sign-in.js';

const ROUTES = [
  { pattern: ['detections'], view: detectionsView, nav: 'detections' },
  { pattern: ['detections', ':id'], view: detectionView, nav: 'detections' },
  { pattern: ['actions'], view: actionsView, nav: 'actions' },
  { pattern: ['principals', ':id'], view: principalView, nav: 'actions' },
  { pattern: ['containments'], view: containmentsView, nav: 'containments' },
  { pattern: ['containments', ':id'], view: containmentView, nav: 'containments' },
];

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
let current = null; // { controller, dispose }
let signInMessage = null;

function match(segments) {
  for (const route of ROUTES) {
    if (route.pattern.length !== segments.length) continue;
    const params = [];
    if (route.pattern.every((p, i) => (p.startsWith(':') ? params.push(segments[i]) > 0 : p === segments[i]))) return { route, params };
  }
  return null;
}

function notFound() {
  return { title: 'Not found', node: h('div', {}, pageHeader('Page not found'), empty('There is no such page in the console.'), h('p', {}, h('a', { href: '#/detections', text: 'Go to detections' }))) };
}

function closeDialogs() {
  for (const dialog of document.querySelectorAll('dialog')) {
    dialog.close();
    dialog.remove();
  }
}

/** Renders the current hash. `refresh` re-renders the same page and keeps focus on the same control when it still exists. */
function render({ refresh = false } = {}) {
  const active = document.activeElement;
  const keep = refresh && active && main.contains(active) ? { tag: active.tagName, text: active.textContent } : null;
  current?.controller.abort();
  current?.dispose?.();
  current = null;

  if (!getCredential()) {
    topbar.hidden = true;
    const view = signInView({
      message: signInMessage,
      onSignedIn: () => {
        signInMessage = null;
        render();
      },
    });
    replace(main, view.node);
    document.title = 'Sign in · Warden';
    view.focus.focus();
    return;
  }

  topbar.hidden = false;
  const { segments, query } = currentRoute();
  if (segments.length === 0) {
    window.location.replace('#/detections');
    return;
  }
  const found = match(segments);
  for (const link of topbar.querySelectorAll('[data-nav]')) {
    if (found && link.dataset.nav === found.route.nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const controller = new AbortController();
  const view = found ? found.route.view({ params: found.params, query, signal: controller.signal, refresh: () => render({ refresh: true }) }) : notFound();
  current = { controller, dispose: view.dispose };
  replace(main, view.node);
  document.title = `${view.title} · Warden`;
  const same = keep && [...main.querySelectorAll(keep.tag)].find((el) => el.textContent === keep.text && !el.disabled);
  if (same) same.focus();
  else main.querySelector('h1')?.focus();
}

setUnauthenticatedHandler(() => {
  clearCredential();
  closeDialogs();
  signInMessage = 'Your session has ended or the key is no longer accepted. Sign in again.';
  render();
});

document.getElementById('sign-out').addEventListener('click', () => {
  clearCredential();
  closeDialogs();
  signInMessage = 'You are signed out.';
  render();
});

document.getElementById('skip-link').addEventListener('click', () => {
  (main.querySelector('h1') ?? main).focus();
});

window.addEventListener('hashchange', () => render());
render();

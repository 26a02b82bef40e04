import { get } from '../api.js';
import { errorBox } from '../components.js';
import { h, uid } from '../dom.js';
import { setCredential } from '../session.js';

/**
 * Sign in with an API key (or a token from the organisation's SSO, which the
 * API accepts the same way). The credential is checked against the API
 * before it is kept.
 */
export function signInView({ message, onSignedIn }) {
  const keyId = uid('key');
  const hintId = uid('hint');
  const errors = errorBox();
  const input = h('input', { id: keyId, name: 'credential', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, 'aria-describedby': hintId });
  const submit = h('button', { type: 'submit', class: 'button button-primary', text: 'Sign in' });
  const form = h(
    'form',
    { class: 'form sign-in-form', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: keyId, text: 'API key' }), h('p', { id: hintId, class: 'hint', text: 'A Warden API key (wdn_…), or an access token from your SSO provider where it is configured.' }), input),
    errors.node,
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const credential = input.value.trim();
    if (!credential) {
      errors.show(new Error('Enter your API key.'));
      input.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    try {
      // Any history read proves the credential and that its role may use the console.
      await get('/v1/detections', { limit: 1 }, { credential });
      setCredential(credential);
      onSignedIn();
    } catch (error) {
      errors.show(error.status === 401 ? new Error('That key was not accepted. Check it and try again.') : error);
      submit.disabled = false;
      submit.textContent = 'Sign in';
      input.select();
      input.focus();
    }
  });
  const node = h(
    'div',
    { class: 'sign-in' },
    h(
      'div',
      { class: 'card sign-in-card' },
      h('p', { class: 'brand brand-large', text: 'Warden' }),
      h('p', { class: 'muted sign-in-tagline', text: 'Responder console' }),
      h('h1', { tabindex: '-1', text: 'Sign in' }),
      message ? h('p', { class: 'notice', role: 'status', text: message }) : null,
      form,
    ),
  );
  return { node, title: 'Sign in', focus: input };
}

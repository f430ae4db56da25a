// The sign-in form: e-mail and password; the session cookie is set by the answer.
import { api } from '../api.js';
import { $, h } from '../dom.js';
import { submitWith } from '../forms.js';

export function showSignIn(onSignedIn) {
  const form = h('form', { class: 'panel signin', 'data-testid': 'signin-form', novalidate: true },
    h('h2', {}, 'Sign in'),
    h('label', {}, 'E-mail', h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true })),
    h('p', { class: 'error', 'data-error-for': 'email' }),
    h('label', {}, 'Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password',
      required: true })),
    h('p', { class: 'error', 'data-error-for': 'password' }),
    h('p', { class: 'error', 'data-error-for': '' }),
    h('button', { type: 'submit' }, 'Sign in'),
    h('p', { class: 'muted' }, '`ltm dev` prints the demo account\'s e-mail and password when it starts.'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    submitWith(form, async () => {
      const s = await api('POST', '/session', { body: { email: form.email.value.trim(), password: form.password.value } });
      form.password.value = '';
      location.hash = '#/streams';
      await onSignedIn(s);
    }, 'Signing in…');
  });
  $('#view').replaceChildren(form);
}

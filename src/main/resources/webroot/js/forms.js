// One way to submit a form: clear its errors, disable its submit button with a busy label, run the call, show
// an API error next to the field it names, and restore the button whatever happened.
import { showErrors } from './api.js';

export async function submitWith(form, fn, busyText = 'Saving…') {
  showErrors(form, null);
  const button = form.querySelector('button[type=submit]');
  const label = button ? button.textContent : '';
  if (button) { button.disabled = true; button.textContent = busyText; }
  try {
    return await fn();
  } catch (e) {
    showErrors(form, e);
    return undefined;
  } finally {
    if (button && button.isConnected) { button.disabled = false; button.textContent = label; }
  }
}

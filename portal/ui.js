// Pieces every page uses: messages to the person, dialogs, the once-only
// secret display, tabs.

import { h, replace } from './dom.js';

/** Shows a message at the top of the page (`kind`: ok or error). */
export function flash(text, kind = 'ok') {
  const bar = document.getElementById('flash');
  if (!bar) return;
  replace(bar, h(`div.flash.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, text,
    h('button.link', { type: 'button', 'aria-label': 'dismiss', on: { click: () => bar.replaceChildren() } }, '×')));
}

/** The API's refusal as the person sees it: its own message, and its code. */
export function showError(e) {
  flash(e.code && e.status ? `${e.message} (${e.status} ${e.code})` : e.message, 'error');
}

/** An inline error box inside a form or dialog. */
export function errorBox() {
  const box = h('p.form-error', { role: 'alert', hidden: true });
  box.show = (e) => {
    box.hidden = false;
    replace(box, e.code && e.status ? `${e.message} (${e.status} ${e.code})` : e.message);
  };
  box.clear = () => { box.hidden = true; box.replaceChildren(); };
  return box;
}

/**
 * A modal <dialog> with `title` and `body`; it is removed from the document
 * when closed (nothing of it stays in the page). Returns the dialog; its
 * `done` promise resolves with the value passed to close().
 */
export function dialog(title, ...body) {
  const d = h('dialog.modal', { 'aria-label': title },
    h('header', h('h2', title),
      h('button.link.close', { type: 'button', 'aria-label': 'close', on: { click: () => d.close() } }, '×')),
    h('div.dialog-body', body));
  let resolve;
  d.done = new Promise((r) => { resolve = r; });
  d.addEventListener('close', () => { d.remove(); resolve(d.returnValue || null); });
  document.body.append(d);
  d.showModal();
  return d;
}

/**
 * Asks for a confirmation and a reason. `required`: the reason must be given
 * (the API refuses the call without one). Resolves to the reason, or null
 * when cancelled.
 */
export function askReason({ title, text, confirm, danger = false, required = true, extra = [] }) {
  const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 1000, required });
  const err = errorBox();
  let answer = null;
  const form = h('form', {
    on: {
      submit: (ev) => {
        ev.preventDefault();
        if (required && !reason.value.trim()) return err.show({ message: 'A reason is required.' });
        answer = { reason: reason.value.trim() || undefined };
        for (const x of extra) if (x.input) answer[x.name] = x.read ? x.read() : x.input.value;
        d.close('ok');
      },
    },
  },
  text ? h('p', text) : null,
  extra.map((x) => x.node ?? x),
  h('label.field', h('span.label', required ? 'Reason (required)' : 'Reason (optional)'), reason),
  err,
  h('div.actions',
    h('button', { type: 'button', on: { click: () => d.close() } }, 'Cancel'),
    h(`button.${danger ? 'danger' : 'primary'}`, { type: 'submit' }, confirm)));
  const d = dialog(title, form);
  return d.done.then(() => answer);
}

/**
 * Shows a new secret once: the value, a copy button and the warning that it
 * cannot be shown again. The secret lives only in this dialog's DOM; closing
 * it removes the dialog and with it the only copy the page had.
 */
export function revealSecret(title, secret, note) {
  const code = h('code.secret', { 'data-secret': '' }, secret);
  const copied = h('span.hint', { role: 'status' });
  const d = dialog(title,
    h('p.warning', 'Copy this secret now. It cannot be shown again: Sluice keeps only a keyed hash of it.'),
    note ? h('p', note) : null,
    h('div.secret-row', code,
      h('button', {
        type: 'button',
        on: {
          click: async () => {
            try {
              await navigator.clipboard.writeText(code.textContent);
              copied.textContent = 'Copied.';
            } catch {
              const r = document.createRange();
              r.selectNodeContents(code);
              getSelection().removeAllRanges();
              getSelection().addRange(r);
              copied.textContent = 'Selected: press Ctrl+C to copy.';
            }
          },
        },
      }, 'Copy')),
    copied,
    h('div.actions', h('button.primary', { type: 'button', on: { click: () => d.close() } }, 'I have stored it')));
  secret = null; // the only copy is in the dialog from here on
  return d.done;
}

/** Tabs: `tabs` is [[key, label, href]], `current` the selected key. */
export function tabs(list, current) {
  return h('nav.tabs', { 'aria-label': 'sections' },
    list.map(([key, label, href]) => h('a', { href, 'aria-current': key === current ? 'page' : null }, label)));
}

/**
 * The first page of a filtered list: `load()`'s answer, or, when the API
 * refuses the filters (400), the filter `form` with the API's message under
 * it, so that the person can correct them where they typed them.
 */
export async function filtered(form, load) {
  try {
    return await load();
  } catch (e) {
    if (e.status !== 400) throw e;
    const err = errorBox();
    err.show(e);
    return h('div', form, err);
  }
}

/** A "Load more" button for a list with a next_cursor. */
export function moreButton(cursor, load) {
  if (!cursor) return null;
  const b = h('button', { type: 'button', on: { click: () => { b.disabled = true; load(cursor).finally(() => b.remove()); } } }, 'Load more');
  return h('div.more', b);
}

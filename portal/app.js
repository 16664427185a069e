// The portal: sign-in, the layout and the router. Pages live in their own
// modules; each renders into the main area from what the API answers.

import { api, get, session, onUnauthorized } from './api.js';
import { h, replace, badge } from './dom.js';
import { flash, showError } from './ui.js';
import { tenantsPage, tenantPage } from './tenant.js';
import { systemPage } from './system.js';
import { tokenPage } from './token.js';

const root = document.getElementById('app');
// One message bar for the whole session: a page re-rendered after a change
// keeps the message about that change; moving to another page clears it.
const flashBar = h('div', { id: 'flash' });

/** Who is signed in (GET /me), and what the pages need about them. */
export const state = { me: null, tenant: null };

/** True when the caller holds `scope` (a display hint; the API decides). */
export function can(scope) {
  return !!state.me && (state.me.superuser || state.me.scopes.includes(scope) || state.me.scopes.includes('admin'));
}

function signInPage(message) {
  const input = h('input', {
    type: 'password', name: 'token', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'alu_…', required: true, 'aria-label': 'personal token',
  });
  const err = h('p.form-error', { role: 'alert', hidden: !message }, message || '');
  const form = h('form.signin', {
    on: {
      submit: async (ev) => {
        ev.preventDefault();
        const token = input.value.trim();
        err.hidden = true;
        if (!/^al[us]_/.test(token)) {
          err.hidden = false;
          err.textContent = 'Paste a personal token (alu_…); ingest and webhook tokens cannot use the admin API.';
          return;
        }
        try {
          const { data } = await api('GET', '/me', { token });
          session.set(token);
          input.value = '';
          state.me = data;
          location.hash = '#/';
          render();
        } catch (e) {
          err.hidden = false;
          err.textContent = `${e.message} (${e.code})`;
        }
      },
    },
  },
  h('h1', 'Sluice'),
  h('p', 'Sign in with your personal token. It is kept in this browser tab only (sessionStorage) and sent with each call to the admin API.'),
  h('label.field', h('span.label', 'Personal token'), input),
  err,
  h('button.primary', { type: 'submit' }, 'Sign in'));
  replace(root, h('main.center', form));
  input.focus();
}

/** Closes every open dialog (a sign-out leaves none over the sign-in page). */
function closeDialogs() {
  for (const d of document.querySelectorAll('dialog[open]')) d.close();
}

function signOut() {
  closeDialogs();
  session.clear();
  state.me = null;
  state.tenant = null;
  location.hash = '#/';
  signInPage();
}

onUnauthorized((e) => {
  closeDialogs();
  session.clear();
  state.me = null;
  signInPage(`Signed out: ${e.message} (${e.code})`);
});

/**
 * Where a tenant's person or service token lands after signing in: the first
 * of the tenant's pages its role or scopes may read (Systems for every role;
 * a service token may hold, say, tokens scopes only).
 */
function landingTab() {
  const first = [['systems', 'systems:read'], ['tokens', 'tokens:read'], ['users', 'users:read'], ['audit', 'audit:read']]
    .find(([, scope]) => can(scope));
  return first ? first[0] : 'systems';
}

/** The tenant a page is about, for the sidebar (superusers move between them). */
export async function useTenant(id) {
  if (!id) return null;
  if (state.tenant?.id !== id) state.tenant = await get(`/tenants/${id}`);
  return state.tenant;
}

function sidebar() {
  const me = state.me;
  const t = state.tenant;
  const link = (href, text) => h('a', { href, 'aria-current': location.hash === href ? 'page' : null }, text);
  return h('nav.sidebar', { 'aria-label': 'main' },
    me.superuser ? link('#/tenants', 'Tenants') : null,
    t ? [
      h('div.nav-tenant', t.name, ' ', badge(t.tier)),
      can('systems:read') ? link(`#/tenants/${t.id}/systems`, 'Systems') : null,
      can('users:read') ? link(`#/tenants/${t.id}/users`, 'Users') : null,
      can('tokens:read') ? link(`#/tenants/${t.id}/tokens`, 'Service tokens') : null,
      can('tokens:read') ? link(`#/tenants/${t.id}/approvals`, 'Approvals') : null,
      can('audit:read') ? link(`#/tenants/${t.id}/audit`, 'Audit log') : null,
      can('systems:read') ? link(`#/tenants/${t.id}/usage`, 'Usage') : null,
    ] : null,
    me.superuser ? link('#/audit', 'Audit log (all)') : null,
    me.superuser ? link('#/approvals', 'Approvals (all)') : null);
}

function layout(main) {
  const me = state.me;
  const who = me.superuser ? 'superuser' : me.role ?? `service token (${me.scopes.join(', ')})`;
  replace(root,
    h('header.top',
      h('a.brand', { href: '#/' }, 'Sluice'),
      h('span.who', { 'data-who': '' }, who, me.tenant_id ? ` · ${me.tenant_id}` : ''),
      h('button.link', { type: 'button', on: { click: signOut } }, 'Sign out')),
    h('div.body', sidebar(), h('div.content', flashBar, main)));
}

let generation = 0;
/** Renders the page the hash names; a newer navigation wins over an older one. */
async function render() {
  const mine = ++generation;
  if (!session.token) return signInPage();
  try {
    if (!state.me) state.me = await get('/me');
  } catch (e) {
    if (e.status !== 401) signInPage(`${e.message} (${e.code})`);
    return;
  }
  const parts = location.hash.split('?')[0].replace(/^#\/?/, '').split('/').filter(Boolean);
  const main = h('main', { 'aria-busy': 'true' }, h('p.loading', 'Loading…'));
  try {
    let page;
    const [kind, id, tab] = parts;
    if (!kind) {
      if (state.me.superuser) { location.replace('#/tenants'); return; }
      location.replace(`#/tenants/${state.me.tenant_id}/${landingTab()}`);
      return;
    }
    if (kind === 'tenants' && !id) page = () => tenantsPage();
    else if (kind === 'tenants') page = async () => { await useTenant(id); return tenantPage(id, tab || 'systems'); };
    else if (kind === 'audit' || kind === 'approvals') page = () => tenantPage(null, kind);
    else if (kind === 'systems') page = () => systemPage(id, tab || 'tokens');
    else if (kind === 'tokens') page = () => tokenPage(id, tab || 'overview');
    else page = () => h('p', 'No such page.');
    if (state.me.superuser && ((kind === 'tenants' && !id) || kind === 'audit' || kind === 'approvals'))
      state.tenant = null;
    if (!state.me.superuser && state.me.tenant_id && !state.tenant) await useTenant(state.me.tenant_id);
    const content = await page();
    if (mine !== generation) return;
    layout(main);
    main.removeAttribute('aria-busy');
    replace(main, content);
  } catch (e) {
    if (mine !== generation) return;
    if (e.status === 401) return;
    layout(main);
    replace(main, h('p.form-error', `${e.message}${e.code ? ` (${e.status} ${e.code})` : ''}`));
  }
}

/** Re-renders the current page (after a change). */
export function refresh() { return render(); }

window.addEventListener('hashchange', () => { flashBar.replaceChildren(); render(); });
window.addEventListener('unhandledrejection', (ev) => { if (ev.reason?.code) showError(ev.reason); });
render();
export { flash };

// Tenants (superusers) and, inside a tenant: systems, users, service tokens,
// approvals, the audit log and usage.

import { get, getAll, post, patch } from './api.js';
import { h, replace, append, when, ago, badge, table, field, fields } from './dom.js';
import { flash, showError, errorBox, askReason, revealSecret, tabs, moreButton, dialog, filtered } from './ui.js';
import { state, can, refresh, useTenant } from './app.js';
import { usageChart } from './chart.js';
import { newServiceToken, EXPIRY } from './tokens.js';

/** A form whose submit calls `action(values)`; API refusals shown in it. */
function simpleForm(title, inputs, label, action) {
  const err = errorBox();
  const form = h('form.inline', {
    on: {
      submit: async (ev) => {
        ev.preventDefault();
        err.clear();
        const values = Object.fromEntries(inputs.map(([name, , input]) => [name, input.value.trim()]));
        try {
          await action(values);
          form.reset();
        } catch (e) { err.show(e); }
      },
    },
  }, h('h3', title), inputs.map(([, lbl, input]) => field(lbl, input)),
  h('button.primary', { type: 'submit' }, label), err);
  return form;
}

const select = (name, options, value) =>
  h('select', { name }, options.map((o) => h('option', { value: o, selected: o === value }, o)));

export async function tenantsPage() {
  const list = await getAll('/tenants');
  return h('section',
    h('h1', 'Tenants'),
    table(['Name', 'Tier', 'Approval rule', 'Retention allowed (days)', 'Created'],
      list.map((t) => [h('a', { href: `#/tenants/${t.id}/systems` }, t.name), badge(t.tier), t.approval,
        t.limits.retention_days.map((d) => (d === -1 ? 'never' : d)).join(', '), when(t.created_at)])),
    simpleForm('New tenant', [
      ['name', 'Name', h('input', { name: 'name', required: true, maxlength: 200 })],
      ['tier', 'Tier', select('tier', ['free', 'pro', 'enterprise'], 'free')],
      ['approval', 'Service tokens wait for approval from risk', select('approval', ['high', 'medium', 'none'], 'high')],
    ], 'Create tenant', async (v) => {
      const { data } = await post('/tenants', v);
      flash(`Tenant ${data.name} created.`);
      location.hash = `#/tenants/${data.id}/systems`;
    }));
}

/** The tenant's tabs, each with the scope that reads it (a display hint). */
/** Superusers: the tenant's name, tier and approval rule. */
function tenantSettings(t) {
  const name = h('input', { name: 'name', value: t.name, maxlength: 200 });
  const tier = select('tier', ['free', 'pro', 'enterprise'], t.tier);
  const approval = select('approval', ['high', 'medium', 'none'], t.approval);
  const err = errorBox();
  return h('details.edit', h('summary', 'Tenant settings'),
    h('form', {
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          err.clear();
          const body = {};
          if (name.value.trim() !== t.name) body.name = name.value.trim();
          if (tier.value !== t.tier) body.tier = tier.value;
          if (approval.value !== t.approval) body.approval = approval.value;
          if (!Object.keys(body).length) return err.show({ message: 'Nothing changed.' });
          try {
            await patch(`/tenants/${t.id}`, body);
            state.tenant = null;
            await useTenant(t.id);
            flash('Tenant saved. Existing tokens keep their retention; new ones follow the new terms.');
            refresh();
          } catch (e) { err.show(e); }
        },
      },
    }, field('Name', name), field('Tier', tier), field('Service tokens wait for approval from risk', approval), err,
    h('button.primary', { type: 'submit' }, 'Save')));
}

const TABS = [['systems', 'Systems', 'systems:read'], ['users', 'Users', 'users:read'],
  ['tokens', 'Service tokens', 'tokens:read'], ['approvals', 'Approvals', 'tokens:read'],
  ['audit', 'Audit log', 'audit:read'], ['usage', 'Usage', 'systems:read']];

export async function tenantPage(id, tab) {
  const t = id ? state.tenant : null;
  const head = t
    ? [h('h1', t.name, ' ', badge(t.tier)),
      h('p.sub', `${t.id} · retention allowed: ${t.limits.retention_days.map((d) => (d === -1 ? 'never' : d + ' d')).join(', ')} · tokens per system: ${t.limits.tokens_per_system ?? 'unlimited'} · service tokens wait for approval from risk: ${t.approval}`),
      state.me.superuser ? tenantSettings(t) : null,
      tabs(TABS.filter(([k, , scope]) => k === tab || can(scope)).map(([k, l]) => [k, l, `#/tenants/${id}/${k}`]), tab)]
    : [h('h1', tab === 'audit' ? 'Audit log, every tenant' : 'Approvals, every tenant')];
  const body = await ({
    systems: systemsTab, users: usersTab, tokens: serviceTokensTab,
    approvals: approvalsTab, audit: auditTab, usage: usageTab,
  }[tab] ?? (() => h('p', 'No such page.')))(id);
  return h('section', head, body);
}

async function systemsTab(id) {
  const list = await getAll(`/tenants/${id}/systems`);
  return h('div',
    table(['System', 'Description', 'Id', 'Created'],
      list.map((s) => [h('a', { href: `#/systems/${s.id}/tokens` }, s.name), s.description, h('code', s.id), when(s.created_at)]),
      'No systems yet.'),
    can('systems:write') ? simpleForm('New system', [
      ['name', 'Name', h('input', { name: 'name', required: true, maxlength: 200 })],
      ['description', 'Description', h('input', { name: 'description', maxlength: 2000 })],
    ], 'Create system', async (v) => {
      const { data } = await post(`/tenants/${id}/systems`, v);
      flash(`System ${data.name} created.`);
      refresh();
    }) : null);
}

async function usersTab(id) {
  const list = await getAll(`/tenants/${id}/users`);
  const mint = async (u) => {
    const name = h('input', { name: 'name', required: true, maxlength: 200, value: `${u.name} portal` });
    // A person's token expires by default (three months); Never is a choice.
    const expiry = h('select', { name: 'expires_in' }, EXPIRY.map(([v, l]) => h('option', { value: v, selected: v === '3m' }, l)));
    const answer = await askReason({
      title: `New personal token for ${u.name}`, confirm: 'Generate', required: false,
      extra: [{ node: field('Name', name), input: name, name: 'name' },
        { node: field('Expires in', expiry), input: expiry, name: 'expires_in' }],
    });
    if (!answer) return;
    try {
      const body = { name: answer.name, reason: answer.reason };
      if (answer.expires_in) body.expires_in = answer.expires_in;
      const { data } = await post(`/users/${u.id}/tokens`, body);
      await revealSecret(`Personal token for ${u.name}`, data.secret, `Hand it to ${u.name} over a safe channel; it acts with the role ${u.role}.`);
    } catch (e) { showError(e); }
  };
  const tokens = async (u) => {
    try {
      const items = await getAll(`/users/${u.id}/tokens`);
      dialog(`Personal tokens of ${u.name}`,
        table(['Name', 'Hint', 'Status', 'Last used', 'Expires'], items.map((t) => [
          h('a', { href: `#/tokens/${t.id}/overview`, on: { click: (ev) => ev.target.closest('dialog').close() } }, t.name),
          h('code', t.hint), badge(t.status), ago(t.last_used_at), t.expires_at ? when(t.expires_at) : 'never']), 'No personal tokens.'));
    } catch (e) { showError(e); }
  };
  return h('div',
    table(['Name', 'E-mail', 'Role', 'Active', 'Created', ''],
      list.map((u) => [u.name, u.email, badge(u.role), u.active ? 'yes' : badge('inactive'), when(u.created_at),
        h('span.buttons',
          h('button', { type: 'button', on: { click: () => tokens(u) } }, 'Tokens'),
          can('users:write') || u.id === state.me.user_id
            ? h('button', { type: 'button', on: { click: () => mint(u) } }, 'New personal token') : null)])),
    can('users:write') ? simpleForm('New user', [
      ['name', 'Name', h('input', { name: 'name', required: true, maxlength: 200 })],
      ['email', 'E-mail', h('input', { name: 'email', type: 'email', required: true, maxlength: 254 })],
      ['role', 'Role', select('role', ['viewer', 'member', 'admin'], 'member')],
    ], 'Create user', async (v) => {
      const { data } = await post(`/tenants/${id}/users`, v);
      flash(`User ${data.name} created.`);
      refresh();
    }) : null);
}

/** Rows of a token table (service tokens here, ingest tokens on a system). */
export function tokenRow(t) {
  return [h('a', { href: `#/tokens/${t.id}/overview` }, t.name), h('code', t.hint), t.kind,
    t.scopes.join(', '), badge(t.risk), badge(t.status), ago(t.last_used_at)];
}

async function serviceTokensTab(id) {
  const list = await getAll(`/tenants/${id}/tokens`);
  return h('div',
    can('tokens:write') ? h('div.toolbar', h('button.primary', {
      type: 'button', on: { click: () => newServiceToken(state.tenant).then((changed) => changed && refresh()) },
    }, 'New service token')) : null,
    table(['Name', 'Hint', 'Kind', 'Scopes', 'Risk', 'Status', 'Last used'], list.map(tokenRow), 'No service tokens yet.'));
}

/** id → name of the tenant's users, when the caller may list them. */
async function userNames(tenantId) {
  if (!tenantId || !can('users:read')) return new Map();
  const users = await getAll(`/tenants/${tenantId}/users`).catch(() => []);
  return new Map(users.map((u) => [u.id, u.name]));
}

/** A user or token id, with the user's name when known. */
function who(names, id) {
  if (!id) return '—';
  return names.has(id) ? h('span', names.get(id), ' ', h('code.muted', id)) : h('code', id);
}

async function approvalsTab(id) {
  const status = new URLSearchParams(location.hash.split('?')[1] || '').get('status') || 'pending';
  const items = await getAll('/approvals', { status: status === 'all' ? undefined : status, tenant: id || undefined });
  const names = await userNames(id);
  const me = state.me;
  const decide = async (a, verb) => {
    const reason = await askReason({
      title: `${verb === 'approve' ? 'Approve' : 'Reject'} the token request`,
      text: `Scopes ${a.scopes.join(', ')} (risk ${a.risk}), asked for: ${a.reason ?? '(no reason)'}`,
      confirm: verb === 'approve' ? 'Approve' : 'Reject', danger: verb === 'reject', required: verb === 'reject',
    });
    if (!reason) return;
    try {
      await post(`/approvals/${a.id}/${verb}`, reason);
      flash(verb === 'approve' ? 'Approved: the token is active.' : 'Rejected: the token is revoked.');
      refresh();
    } catch (e) { showError(e); }
  };
  const base = id ? `#/tenants/${id}/approvals` : '#/approvals';
  return h('div',
    h('nav.filters', ['pending', 'approved', 'rejected', 'all'].map((s) =>
      h('a', { href: `${base}?status=${s}`, 'aria-current': s === status ? 'page' : null }, s))),
    table(['Token', 'Scopes', 'Risk', 'Reason', 'Requested by', 'Requested', 'Status', ''],
      items.map((a) => {
        const own = a.requested_by === me.user_id;
        let action = '';
        // Display hints only: the API decides, and its refusal is shown.
        const decider = me.superuser || (me.kind === 'user' && me.role === 'admin');
        if (a.status === 'pending') {
          action = !decider ? h('span.why-not', 'Approvals are decided by a tenant admin or a superuser.') : own
            ? h('span.why-not', 'You asked for this; another admin must decide it (four eyes).')
            : h('span.buttons',
              h('button.primary', { type: 'button', on: { click: () => decide(a, 'approve') } }, 'Approve'),
              h('button.danger', { type: 'button', on: { click: () => decide(a, 'reject') } }, 'Reject'));
        } else {
          action = h('span', 'by ', who(names, a.decided_by), a.decision_reason ? ` “${a.decision_reason}”` : '');
        }
        return h('tr', { dataset: { approval: a.id } }, [h('a', { href: `#/tokens/${a.token_id}/overview` }, h('code', a.token_id)),
          a.scopes.join(', '), badge(a.risk), a.reason ?? '—', who(names, a.requested_by), when(a.requested_at),
          badge(a.status), action].map((c) => h('td', c)));
      }), `No ${status === 'all' ? '' : status + ' '}approvals.`));
}

/**
 * The last verdict on the whole chain this tab saw (GET /audit/verification):
 * a walk reads every event and holds other admin calls meanwhile, so the page
 * walks once when first opened and again only on "Verify now", not on every
 * filter.
 */
let lastVerdict = null;

/**
 * The chain's verification state, as the API answers it: verified (whole),
 * broken at an event and why, or not allowed for this role (superusers
 * only: the chain spans every tenant). `newest` is the newest event shown,
 * whose hash a tenant's principals can record elsewhere instead.
 */
function verification(newest) {
  const panel = h('p.chain', { 'data-chain': 'checking' }, 'Verifying the audit chain…');
  const show = (state, ...children) => {
    panel.dataset.chain = state;
    replace(panel, children);
  };
  const verify = async () => {
    show('checking', 'Verifying the audit chain…');
    try {
      lastVerdict = await get('/audit/verification');
    } catch (e) {
      lastVerdict = null;
      if (e.status === 403) {
        return show('forbidden', badge('not allowed'),
          ` Verifying the whole chain is not allowed for this role: ${e.message}.`,
          ' The chain spans every tenant.',
          newest ? [' To anchor your events, record one event\'s hash elsewhere, e.g. the last listed here: ', h('code', newest.id),
            ', hash ', h('code.hash', newest.hash), '. If it still carries that hash later, every event up to it is the original.'] : '');
      }
      return show('error', badge('error'), ` The chain could not be verified: ${e.message}`);
    }
    render();
  };
  const again = () => h('button.link', { type: 'button', on: { click: verify } }, 'Verify now');
  const render = () => {
    const v = lastVerdict;
    panel.dataset.checkedAt = v.checked_at;
    const at = ` Checked ${when(v.checked_at)} (${v.events_checked} event${v.events_checked === 1 ? '' : 's'} read in ${v.duration_ms} ms). `;
    if (v.status === 'whole') {
      show('whole', badge('verified'), ' The whole audit chain is verified: every event links to the one before it by hash.',
        v.head ? [' Head: ', h('code', v.head.id), ', hash ', h('code.hash', v.head.hash), '.'] : ' No events yet.',
        at, again());
    } else {
      show('broken', badge('broken'), ' The audit chain is broken at ', h('code', v.broken_at), `: ${v.problem}.`,
        ' Events after it cannot be trusted until this is explained.', at, again());
    }
  };
  if (!state.me.superuser) verify();
  else if (lastVerdict) render();
  else verify();
  return panel;
}

/** The audit log with its filters and paging, under the chain's verification state. */
async function auditTab(id) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const inputs = {};
  const filter = (name, label, placeholder) => {
    inputs[name] = h('input', { name, value: params.get(name) || '', placeholder });
    return field(label, inputs[name]);
  };
  const base = id ? `#/tenants/${id}/audit` : '#/audit';
  const form = h('form.filters', {
    on: {
      submit: (ev) => {
        ev.preventDefault();
        const q = new URLSearchParams();
        for (const [k, i] of Object.entries(inputs)) if (i.value.trim()) q.set(k, i.value.trim());
        location.hash = `${base}?${q}`;
      },
    },
  }, filter('action', 'Action', 'token. or token.revoke'), filter('system', 'System', 'sys_…'),
  filter('token', 'Token', 'tok_…'), filter('actor', 'Actor', 'usr_… or tok_…'),
  filter('since', 'Since', '2026-12-01T00:00:00Z'), filter('until', 'Until', ''),
  h('button', { type: 'submit' }, 'Filter'));
  const query = Object.fromEntries([...params].filter(([k]) => k in inputs));
  if (id) query.tenant = id;
  const page = await filtered(form, () => get('/audit', { ...query, limit: 100 }));
  if (page instanceof Node) return page; // the filters refused
  const names = await userNames(id);
  const body = h('tbody');
  const addRows = (items) => append(body, items.map((e) => h('tr',
    [h('time', when(e.at)), h('code', e.action), e.actor.user_id ? who(names, e.actor.user_id) : e.actor.token_id ?? e.actor.kind,
      e.token_id ? h('a', { href: `#/tokens/${e.token_id}/activity` }, h('code', e.token_id)) : (e.system_id ?? e.user_id ?? e.tenant_id ?? '—'),
      e.reason ?? '—', e.client_ip ?? '—', h('code', { title: e.hash }, e.id)].map((c) => h('td', c)))));
  addRows(page.items);
  const chain = verification(page.items[page.items.length - 1]);
  const load = async (cursor) => {
    const next = await get('/audit', { ...query, limit: 100, cursor });
    addRows(next.items);
    more.replaceChildren(moreButton(next.next_cursor, load) ?? '');
  };
  const more = h('div', moreButton(page.next_cursor, load));
  return h('div', form, chain,
    page.items.length ? h('table.list', h('thead', h('tr', ['When', 'Action', 'Actor', 'Concerns', 'Reason', 'From', 'Event'].map((c) => h('th', c)))), body)
      : h('p.empty', 'No events match.'), more);
}

async function usageTab(id) {
  const systems = await getAll(`/tenants/${id}/systems`);
  const out = h('div');
  for (const s of systems) {
    try {
      const u = await get(`/systems/${s.id}/usage`);
      append(out, h('h3', h('a', { href: `#/systems/${s.id}/usage` }, s.name)),
        usageChart(u.series, ['messages', 'rejected', 'sampled'], { title: 'per minute' }),
        fields([['Messages accepted', u.totals.messages], ['Requests', u.totals.requests],
          ['Rejected', Object.entries(u.totals.rejected).map(([k, v]) => `${k} ${v}`).join(' · ')],
          ['Sampled out', u.totals.sampled_messages]]));
    } catch (e) { append(out, h('p.form-error', `${s.name}: ${e.message}`)); }
  }
  if (!systems.length) append(out, h('p.empty', 'No systems yet.'));
  return out;
}

export { dialog };

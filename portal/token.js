// One token: Overview (record, risk, status, expiry, usage, change history),
// ACL (what it may do), Security (restrictions, each change with a reason;
// break-glass for superusers) and Activity (its audit events). Edit,
// disable, enable, rotate and revoke; the API says what is allowed.

import { get, getAll, patch, post, put, del } from './api.js';
import { h, when, badge, field, fields, table } from './dom.js';
import { flash, showError, askReason, revealSecret, tabs, errorBox } from './ui.js';
import { state, can, refresh, useTenant } from './app.js';
import { securityInputs, retentionSelect, retentionLabel } from './tokens.js';
import { revokeToken, usageView } from './system.js';

export async function tokenPage(id, tab) {
  const t = await get(`/tokens/${id}`);
  const tenant = t.tenant_id ? await useTenant(t.tenant_id) : null;
  const body = await ({ overview, acl, security, activity }[tab] ?? (() => h('p', 'No such page.')))(t, tenant);
  const back = t.system_id ? h('a', { href: `#/systems/${t.system_id}/tokens` }, 'system')
    : tenant ? h('a', { href: `#/tenants/${tenant.id}/${t.kind === 'service' ? 'tokens' : 'users'}` }, tenant.name) : null;
  return h('section',
    h('p.crumbs', back, back ? ' / ' : ''),
    h('h1', t.name, ' ', badge(t.status), ' ', badge(t.risk)),
    h('p.sub', h('code', t.hint), ` · ${t.kind} · `, h('code', t.id)),
    actions(t),
    tabs([['overview', 'Overview'], ['acl', 'ACL'], ['security', 'Security'], ['activity', 'Activity']]
      .map(([k, l]) => [k, l, `#/tokens/${id}/${k}`]), tab),
    body);
}

/** Disable, enable, rotate, revoke: offered by status; the API decides. */
function actions(t) {
  if (t.status === 'revoked') return h('p.hint', `Revoked ${when(t.revoked_at)}: ${t.revoke_reason ?? ''}`);
  // Who may change a token (a display hint; the API decides): tokens:write,
  // or for a personal token users:write or its own user.
  const mayChange = t.kind === 'user' ? can('users:write') || t.user_id === state.me.user_id : can('tokens:write');
  if (!mayChange) return null;
  const run = async (title, confirm, path, danger, required = true, extra = []) => {
    const answer = await askReason({ title, confirm, danger, required, extra });
    if (!answer) return;
    try {
      const { data } = await post(`/tokens/${t.id}/${path}`, answer);
      if (data.secret) await revealSecret(`New secret for ${t.name}`, data.secret,
        answer.grace_seconds > 0 ? `The old secret keeps working until ${when(data.token.previous_secret_valid_until)}.` : 'The old secret is refused from now on.');
      else flash(`${t.name}: ${data.status}.`);
      refresh();
    } catch (e) { showError(e); }
  };
  const grace = h('select', { name: 'grace_seconds' },
    [[0, 'none: the old secret stops now'], [3600, '1 hour'], [86400, '1 day'], [604800, '7 days']]
      .map(([v, l]) => h('option', { value: String(v) }, l)));
  const buttons = [];
  if (t.status === 'active' || t.status === 'expired')
    buttons.push(h('button', { type: 'button', on: { click: () => run(`Disable ${t.name}?`, 'Disable', 'disable', true) } }, 'Disable'));
  if (t.status === 'disabled')
    buttons.push(h('button', { type: 'button', on: { click: () => run(`Enable ${t.name}?`, 'Enable', 'enable', false) } }, 'Enable'));
  if (t.status !== 'pending_approval')
    buttons.push(h('button', {
      type: 'button',
      on: { click: () => run(`Rotate ${t.name}?`, 'Rotate', 'rotate', false, false,
        [{ node: field('Grace for the old secret', grace), input: grace, name: 'grace_seconds', read: () => Number(grace.value) }]) },
    }, 'Rotate'));
  buttons.push(h('button.danger', { type: 'button', on: { click: async () => { if (await revokeToken(t)) refresh(); } } }, 'Revoke'));
  return h('div.toolbar', buttons);
}

async function overview(t, tenant) {
  const usage = await get(`/tokens/${t.id}/usage`).catch(() => null);
  const history = await getAll(`/tokens/${t.id}/history`, {}, 200).catch(() => []);
  const edit = editForm(t, tenant);
  return h('div',
    fields([
      ['Status', badge(t.status)], ['Risk', badge(t.risk)], ['Kind', t.kind],
      ['Description', t.description || '—'],
      t.retention_days !== undefined ? ['Retention', retentionLabel(t.retention_days)] : null,
      ['Expires', t.expires_at ? when(t.expires_at) : 'never'],
      ['Created', `${when(t.created_at)} by ${t.created_by ?? '—'}`],
      ['Secret issued to', t.secret_issued_to ?? '—'],
      ['Reason', t.reason ?? '—'],
      t.approval_id ? ['Approval', h('code', t.approval_id)] : null,
      t.disabled_at ? ['Disabled', `${when(t.disabled_at)}: ${t.disable_reason ?? ''}`] : null,
      t.rotated_at ? ['Rotated', `${when(t.rotated_at)}; old secret valid until ${when(t.previous_secret_valid_until)}`] : null,
      ['Last used', `${when(t.last_used_at)}${t.last_ip ? ' from ' + t.last_ip : ''}`],
      ['Usage', `${t.usage.requests} requests, ${t.usage.messages} messages, ${t.usage.rejected} rejected`],
    ]),
    edit,
    usage ? h('section', h('h2', 'Usage'), usageView(usage)) : null,
    h('section', h('h2', 'Change history'),
      h('ol.timeline', history.map((e) => h('li', h('strong', e.action), ' ', when(e.at), ' by ',
        e.actor.user_id ?? e.actor.token_id ?? e.actor.kind, e.reason ? ` — “${e.reason}”` : '')))));
}

/** Name, description and (ingest and webhook tokens) retention. */
function editForm(t, tenant) {
  const mayEdit = t.kind === 'user' ? can('users:write') || t.user_id === state.me.user_id : can('tokens:write');
  if (t.status === 'revoked' || !mayEdit) return null;
  const name = h('input', { name: 'name', value: t.name, maxlength: 200 });
  const description = h('textarea', { name: 'description', rows: 2, maxlength: 2000 }, t.description);
  const retention = t.retention_days !== undefined && tenant ? retentionSelect(tenant, t.retention_days) : null;
  const err = errorBox();
  return h('details.edit', h('summary', 'Edit name, description', retention ? ', retention' : ''),
    h('form', {
      on: {
        submit: async (ev) => {
          ev.preventDefault();
          err.clear();
          const body = {};
          if (name.value.trim() !== t.name) body.name = name.value.trim();
          if (description.value !== t.description) body.description = description.value;
          if (retention && Number(retention.value) !== t.retention_days) body.retention_days = Number(retention.value);
          if (!Object.keys(body).length) return err.show({ message: 'Nothing changed.' });
          try {
            await patch(`/tokens/${t.id}`, body);
            flash('Saved.');
            refresh();
          } catch (e) { err.show(e); }
        },
      },
    }, field('Name', name), field('Description', description),
    retention ? field('Retention', retention, 'Applies to future messages only: stored messages keep the retention they were stored with.') : null,
    err, h('button.primary', { type: 'submit' }, 'Save')));
}

async function acl(t) {
  const sys = t.query_systems.length ? t.query_systems.map((s) => h('div', h('a', { href: `#/systems/${s}/messages` }, h('code', s)))) : null;
  const what = {
    ingest: 'Writes messages into its system through the ingest doors (POST /messages, OTLP, Langfuse). Nothing on the admin port.',
    webhook: 'Receives webhooks for its system at POST /webhooks/{its secret}. Nothing else.',
    service: 'Calls the admin API of its tenant within its scopes.',
    user: 'Acts on the admin API with its user’s role.',
  }[t.kind];
  return h('div',
    h('p', what),
    fields([
      ['Scopes', t.scopes.length ? t.scopes.join(', ') : '(the user’s role)'],
      ['Risk', badge(t.risk)],
      t.system_id ? ['System', h('a', { href: `#/systems/${t.system_id}/tokens` }, h('code', t.system_id))] : null,
      t.user_id ? ['User', h('code', t.user_id)] : null,
      t.kind === 'service' ? ['May query', sys ?? 'every system of the tenant'] : null,
      ['Public (shipped in client code)', t.public ? 'yes' : 'no'],
    ]),
    h('p.hint', 'Scopes and kind cannot be changed; mint a new token for other rights.'));
}

async function security(t) {
  const s = t.security;
  const inputs = securityInputs(s);
  const last = s.changed_at ? h('p.hint', `Last changed ${when(s.changed_at)}: ${s.reason ?? ''}`) : null;
  if (!can(t.kind === 'user' ? 'users:write' : 'tokens:write')) {
    // Shown, not offered: a disabled fieldset and no Save button.
    return h('div', last, h('fieldset.readonly', { disabled: true }, inputs.node),
      h('p.hint', 'Your role can read these settings, not change them.'));
  }
  const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 1000, required: true });
  const err = errorBox();
  const form = h('form.security-form', {
    on: {
      submit: async (ev) => {
        ev.preventDefault();
        err.clear();
        if (!reason.value.trim()) return err.show({ message: 'Every change of security settings needs a reason.' });
        try {
          await put(`/tokens/${t.id}/security`, { ...inputs.read(), reason: reason.value.trim() });
          flash('Security settings saved; they apply from the next request.');
          refresh();
        } catch (e) { err.show(e); }
      },
    },
  }, inputs.node, field('Reason for this change (required)', reason), err,
  h('button.primary', { type: 'submit', disabled: t.status === 'revoked' }, 'Save security settings'));
  return h('div', last, form, state.me.superuser ? dangerZone(t) : null);
}

/** Break-glass: superusers lift the IP and time restrictions for 1–8 hours. */
function dangerZone(t) {
  const s = t.security;
  const hours = h('select', { name: 'duration_hours' }, [1, 2, 4, 8].map((n) => h('option', { value: String(n) }, `${n} h`)));
  const open = s.emergency_until
    ? h('div', h('p', `Emergency access open until ${when(s.emergency_until)} (by ${s.emergency_by}): ${s.emergency_reason}`),
      h('button', {
        type: 'button',
        on: {
          click: async () => {
            const a = await askReason({ title: 'End emergency access?', confirm: 'End it now', required: false });
            if (!a) return;
            try { await del(`/tokens/${t.id}/emergency-access`, a); flash('Emergency access ended.'); refresh(); } catch (e) { showError(e); }
          },
        },
      }, 'End emergency access'))
    : null;
  return h('section.danger-zone',
    h('h2', 'Danger zone: emergency access'),
    h('p', 'Lifts this token’s IP allowlist and time restriction, and nothing else, for a few hours. Audited, with your reason.'),
    open,
    h('button.danger', {
      type: 'button', disabled: t.status === 'revoked',
      on: {
        click: async () => {
          const a = await askReason({
            title: `Emergency access for ${t.name}`, confirm: 'Open emergency access', danger: true,
            extra: [{ node: field('Duration', hours), input: hours, name: 'duration_hours', read: () => Number(hours.value) }],
          });
          if (!a) return;
          try { await post(`/tokens/${t.id}/emergency-access`, a); flash('Emergency access open.'); refresh(); } catch (e) { showError(e); }
        },
      },
    }, s.emergency_until ? 'Replace the window' : 'Open emergency access'));
}

async function activity(t) {
  const events = await getAll(`/tokens/${t.id}/history`, {}, 1000);
  return table(['When', 'Action', 'Actor', 'From', 'Reason', 'Event'],
    events.map((e) => [when(e.at), h('code', e.action), e.actor.user_id ?? e.actor.token_id ?? e.actor.kind,
      e.client_ip ?? '—', e.reason ?? '—', h('code', { title: e.hash }, e.id)]), 'No events.');
}

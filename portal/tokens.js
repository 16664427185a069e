// The New Token dialogs: an ingest or webhook token of a system, a service
// token of a tenant. The risk shown while scopes are picked is a display
// hint from the documented table; the API derives the real one, decides
// whether a reason is needed and whether the token waits for approval.

import { post, getAll } from './api.js';
import { h, field } from './dom.js';
import { dialog, errorBox, revealSecret } from './ui.js';

/** Risk of each scope as docs/access-control.md lists it (display only). */
export const SCOPE_RISK = {
  query: 'medium', 'systems:read': 'low', 'systems:write': 'medium', 'tokens:read': 'low',
  'tokens:write': 'high', 'users:read': 'low', 'users:write': 'high', 'audit:read': 'medium', admin: 'high',
};
const ORDER = ['low', 'medium', 'high'];
export const riskOf = (scopes) =>
  scopes.reduce((r, s) => (ORDER.indexOf(SCOPE_RISK[s]) > ORDER.indexOf(r) ? SCOPE_RISK[s] : r), 'low');

export const EXPIRY = [['', 'Never'], ['1w', '1 week'], ['1m', '1 month'], ['3m', '3 months'], ['6m', '6 months'], ['1y', '1 year']];

export function retentionLabel(d) { return d === -1 ? 'never deleted' : `${d} days`; }

/** The retention dropdown: only the values the tenant's tier allows. */
export function retentionSelect(tenant, value) {
  const allowed = tenant.limits.retention_days;
  const current = value ?? tenant.limits.default_retention_days;
  return h('select', { name: 'retention_days' },
    allowed.map((d) => h('option', { value: String(d), selected: d === current }, retentionLabel(d))));
}

/** The advanced settings every kind of token takes (the `security` object). */
export function securityInputs(sec = {}) {
  const ips = h('textarea', { name: 'ip_allowlist', rows: 2, placeholder: '10.0.0.0/8, one per line' }, (sec.ip_allowlist || []).join('\n'));
  const rate = h('input', { name: 'rate_limit', placeholder: '1000/hour', value: sec.rate_limit || '' });
  const shadow = h('input', { type: 'checkbox', name: 'rate_limit_shadow', checked: !!sec.rate_limit_shadow });
  const hours = h('input', { name: 'hours', placeholder: '09:00-18:00 (UTC)', value: sec.time_restriction?.hours || '' });
  const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) =>
    h('label.check', h('input', { type: 'checkbox', name: 'days', value: d, checked: !!sec.time_restriction?.days?.includes(d) }), d));
  const node = h('div.security',
    field('IP allowlist', ips, 'IPv4/IPv6 addresses or CIDR ranges; empty: any address'),
    field('Rate limit', rate, 'N/second, N/minute, N/hour or N/day; empty: none'),
    h('label.check', shadow, 'Shadow: count the limit, never enforce it'),
    field('Allowed hours', hours, 'UTC; may wrap midnight; empty: all day'),
    h('div.field', h('span.label', 'Allowed days (none ticked: every day)'), h('div.days', days)));
  const read = () => {
    const out = {};
    const list = ips.value.split(/[\s,]+/).filter(Boolean);
    if (list.length) out.ip_allowlist = list;
    if (rate.value.trim()) out.rate_limit = rate.value.trim();
    if (shadow.checked) out.rate_limit_shadow = true;
    const picked = days.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value);
    if (hours.value.trim() || picked.length) {
      out.time_restriction = {};
      if (hours.value.trim()) out.time_restriction.hours = hours.value.trim();
      if (picked.length) out.time_restriction.days = picked;
    }
    return out;
  };
  return { node, read };
}

function expirySelect() {
  return h('select', { name: 'expires_in' }, EXPIRY.map(([v, l]) => h('option', { value: v, selected: v === '' }, l)));
}

/**
 * New ingest or webhook token of `system`. Resolves true once one was made
 * (the secret was shown, and is gone with the dialog).
 */
export async function newIngestToken(system, tenant) {
  const kind = h('select', { name: 'kind' }, h('option', { value: 'ingest' }, 'Ingest (al_…)'), h('option', { value: 'webhook' }, 'Webhook (alw_…)'));
  const name = h('input', { name: 'name', required: true, maxlength: 200 });
  const description = h('textarea', { name: 'description', rows: 2, maxlength: 2000 });
  const retention = retentionSelect(tenant);
  const expiry = expirySelect();
  const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 1000 });
  const sec = securityInputs();
  const err = errorBox();
  let made = false;
  const form = h('form', {
    on: {
      submit: async (ev) => {
        ev.preventDefault();
        err.clear();
        const body = {
          kind: kind.value, name: name.value.trim(), description: description.value,
          retention_days: Number(retention.value),
        };
        if (expiry.value) body.expires_in = expiry.value;
        if (reason.value.trim()) body.reason = reason.value.trim();
        const s = sec.read();
        if (Object.keys(s).length) body.security = s;
        try {
          const { data } = await post(`/systems/${system.id}/tokens`, body);
          made = true;
          d.close();
          await revealSecret(`Token ${data.token.name}`, data.secret,
            data.token.kind === 'webhook' ? 'Webhook senders post to /webhooks/<this secret> on the ingest port.' : 'Send it as Authorization: Bearer on the ingest port.');
        } catch (e) { err.show(e); }
      },
    },
  },
  field('Kind', kind),
  field('Name', name),
  field('Description', description),
  field('Retention', retention, `What ${tenant.tier} allows. Messages are kept this long.`),
  field('Expires in', expiry),
  field('Reason (optional for an ingest token)', reason),
  h('details', h('summary', 'Advanced: IP allowlist, rate limit, time restriction'), sec.node),
  err,
  h('div.actions', h('button', { type: 'button', on: { click: () => d.close() } }, 'Cancel'),
    h('button.primary', { type: 'submit' }, 'Generate')));
  const d = dialog(`New token for ${system.name}`, form);
  await d.done;
  return made;
}

/** New service token of `tenant`, with the risk shown as scopes are picked. */
export async function newServiceToken(tenant) {
  const name = h('input', { name: 'name', required: true, maxlength: 200 });
  const description = h('textarea', { name: 'description', rows: 2, maxlength: 2000 });
  const boxes = Object.keys(SCOPE_RISK).map((s) =>
    h('label.check', h('input', { type: 'checkbox', name: 'scopes', value: s }), s, ' ', h(`span.badge.b-${SCOPE_RISK[s]}`, SCOPE_RISK[s])));
  const risk = h('output', { name: 'risk', 'data-risk': '' });
  const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 1000 });
  const reasonField = field('Reason (required for medium and high risk)', reason);
  const approvalNote = h('p.hint');
  // query_systems: only with query (or admin); none ticked means every system.
  const systems = await getAll(`/tenants/${tenant.id}/systems`).catch(() => []);
  const systemBoxes = systems.map((sys) =>
    h('label.check', h('input', { type: 'checkbox', name: 'query_systems', value: sys.id }), sys.name));
  const querySystems = h('fieldset.query-systems', { hidden: true },
    h('legend', 'Systems it may query (none ticked: every system of the tenant)'), systemBoxes);
  const isPublic = h('input', { type: 'checkbox', name: 'public' });
  const expiry = expirySelect();
  const sec = securityInputs();
  const err = errorBox();
  const picked = () => boxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => c.value);
  const update = () => {
    const scopes = picked();
    const r = scopes.length ? riskOf(scopes) : null;
    risk.replaceChildren(r ? h(`span.badge.b-${r}`, r) : 'pick at least one scope');
    reasonField.hidden = !r || r === 'low';
    reason.required = !reasonField.hidden;
    const waits = r && tenant.approval !== 'none' && ORDER.indexOf(r) >= ORDER.indexOf(tenant.approval);
    querySystems.hidden = !systems.length || !(scopes.includes('query') || scopes.includes('admin'));
    approvalNote.textContent = waits ? `A token of ${r} risk waits for approval by another admin of ${tenant.name}.` : '';
  };
  boxes.forEach((b) => b.firstChild.addEventListener('change', update));
  update();
  let made = false;
  const form = h('form', {
    on: {
      submit: async (ev) => {
        ev.preventDefault();
        err.clear();
        const body = { name: name.value.trim(), description: description.value, scopes: picked() };
        if (!body.scopes.length) return err.show({ message: 'Pick at least one scope.' });
        if (expiry.value) body.expires_in = expiry.value;
        if (reason.value.trim()) body.reason = reason.value.trim();
        const only = querySystems.hidden ? [] : systemBoxes.map((b) => b.firstChild).filter((c) => c.checked).map((c) => c.value);
        if (only.length) body.query_systems = only;
        if (isPublic.checked) body.public = true;
        const s = sec.read();
        if (Object.keys(s).length) body.security = s;
        try {
          const { status, data } = await post(`/tenants/${tenant.id}/tokens`, body);
          made = true;
          d.close();
          await revealSecret(`Service token ${data.token.name}`, data.secret,
            status === 202 ? `It waits for approval (${data.token.approval_id}): until another admin approves it, the secret is refused with token_pending.` : null);
        } catch (e) { err.show(e); }
      },
    },
  },
  field('Name', name), field('Description', description),
  h('fieldset.scopes', h('legend', 'Scopes'), boxes),
  querySystems,
  h('label.check', isPublic, 'Public: shipped in client code (only the query scope, no management calls)'),
  h('p', 'Risk: ', risk), approvalNote, reasonField,
  field('Expires in', expiry),
  h('details', h('summary', 'Advanced: IP allowlist, rate limit, time restriction'), sec.node),
  err,
  h('div.actions', h('button', { type: 'button', on: { click: () => d.close() } }, 'Cancel'),
    h('button.primary', { type: 'submit' }, 'Generate')));
  const d = dialog(`New service token for ${tenant.name}`, form);
  await d.done;
  return made;
}

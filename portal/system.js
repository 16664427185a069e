// A system: its tokens (with New Token and Revoke), its messages with the
// API's filters, pagination and a live tail, and its usage.

import { get, getAll, post, stream } from './api.js';
import { h, append, replace, when, ago, badge, field, fields } from './dom.js';
import { flash, showError, askReason, tabs, moreButton, filtered } from './ui.js';
import { can, refresh, useTenant } from './app.js';
import { usageChart } from './chart.js';
import { newIngestToken, retentionLabel } from './tokens.js';

export async function systemPage(id, tab) {
  const system = await get(`/systems/${id}`);
  const tenant = await useTenant(system.tenant_id);
  const body = await ({ tokens: tokensTab, messages: messagesTab, usage: usageTab }[tab] ?? (() => h('p', 'No such page.')))(system, tenant);
  return h('section',
    h('p.crumbs', h('a', { href: `#/tenants/${tenant.id}/systems` }, tenant.name), ' / '),
    h('h1', system.name),
    h('p.sub', system.description || '', system.description ? ' · ' : '', h('code', system.id)),
    tabs([['tokens', 'Tokens', `#/systems/${id}/tokens`], ['messages', 'Messages', `#/systems/${id}/messages`],
      ['usage', 'Usage', `#/systems/${id}/usage`]], tab),
    body);
}

/** Revoke, after a confirmation that names the token and asks why. */
export async function revokeToken(t) {
  const answer = await askReason({
    title: `Revoke ${t.name}?`,
    text: `Revoke the token “${t.name}” (${t.hint})? Every request with it is refused from now on. This cannot be undone.`,
    confirm: `Revoke ${t.name}`, danger: true,
  });
  if (!answer) return false;
  try {
    await post(`/tokens/${t.id}/revoke`, answer);
    flash(`Token ${t.name} revoked.`);
    return true;
  } catch (e) { showError(e); return false; }
}

async function tokensTab(system, tenant) {
  const list = await getAll(`/systems/${system.id}/tokens`);
  const rows = list.map((t) => {
    const spark = h('span.spark-cell', '…');
    // The last hour per minute, one call per token (the table shows at most
    // what one page of tokens holds).
    get(`/tokens/${t.id}/usage`).then((u) => replace(spark, usageChart(u.series, ['requests'], { small: true, title: t.name })),
      () => replace(spark, '—'));
    return h('tr', { dataset: { token: t.id } }, [
      h('a', { href: `#/tokens/${t.id}/overview` }, t.name), h('code', t.hint), t.kind,
      t.retention_days === undefined ? '—' : retentionLabel(t.retention_days), badge(t.status), ago(t.last_used_at), spark,
      can('tokens:write') && t.status !== 'revoked'
        ? h('button.danger.small', { type: 'button', on: { click: async () => { if (await revokeToken(t)) refresh(); } } }, 'Revoke') : '',
    ].map((c) => h('td', c)));
  });
  return h('div',
    can('tokens:write') ? h('div.toolbar', h('button.primary', {
      type: 'button', on: { click: async () => { if (await newIngestToken(system, tenant)) refresh(); } },
    }, 'New Token')) : null,
    rows.length ? h('table.list.tokens',
      h('thead', h('tr', ['Name', 'Hint', 'Kind', 'Retention', 'Status', 'Last used', 'Requests, last hour', ''].map((c) => h('th', c)))),
      h('tbody', rows)) : h('p.empty', 'No tokens yet.'));
}

/** One message as a table row: every field as text, the body as JSON text. */
function messageRow(m) {
  return h('tr', { dataset: { message: m.id } }, [
    h('time', when(m.received_at)), m.level ? badge(m.level) : '—', m.source, h('code', m.system_id),
    h('a', { href: `#/tokens/${m.token_id}/overview` }, h('code', m.token_id)),
    h('pre.msg-body', JSON.stringify(m.body, null, 1)),
  ].map((c) => h('td', c)));
}

const messageHead = () => h('thead', h('tr', ['Received', 'Level', 'Source', 'System', 'Token', 'Body'].map((c) => h('th', c))));

async function messagesTab(system) {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const inputs = {};
  const text = (name, label, placeholder) => {
    inputs[name] = h('input', { name, value: params.get(name) || '', placeholder });
    return field(label, inputs[name]);
  };
  const choice = (name, label, options) => {
    inputs[name] = h('select', { name }, ['', ...options].map((o) => h('option', { value: o, selected: o === (params.get(name) || '') }, o || 'any')));
    return field(label, inputs[name]);
  };
  const form = h('form.filters', {
    on: {
      submit: (ev) => {
        ev.preventDefault();
        const q = new URLSearchParams();
        for (const [k, i] of Object.entries(inputs)) if (i.value.trim()) q.set(k, i.value.trim());
        location.hash = `#/systems/${system.id}/messages?${q}`;
      },
    },
  }, text('since', 'Since', '2026-12-01T00:00:00Z'), text('until', 'Until', ''), text('token', 'Token', 'tok_…'),
  choice('level', 'Level', ['debug', 'info', 'warn', 'error', 'fatal']),
  choice('source', 'Source', ['native', 'otlp_logs', 'otlp_traces', 'langfuse', 'webhook']),
  text('limit', 'Per page', '100'),
  h('button', { type: 'submit' }, 'Filter'));
  const query = Object.fromEntries([...params].filter(([k]) => k in inputs));
  const page = await filtered(form, () => get(`/systems/${system.id}/messages`, query));
  if (page instanceof Node) return page; // the filters refused
  const body = h('tbody', page.items.map(messageRow));
  const load = async (cursor) => {
    const next = await get(`/systems/${system.id}/messages`, { ...query, cursor });
    append(body, next.items.map(messageRow));
    replace(more, moreButton(next.next_cursor, load) ?? '');
  };
  const more = h('div', moreButton(page.next_cursor, load));

  // The live tail: newly committed messages, newest on top, until stopped or
  // the page is left.
  const tailBody = h('tbody');
  const tailState = h('span.hint', { role: 'status', 'data-tail-state': '' }, 'stopped');
  let stop = null;
  const toggle = h('button', {
    type: 'button',
    on: {
      click: () => {
        if (stop) { stop(); stop = null; toggle.textContent = 'Start live tail'; tailState.textContent = 'stopped'; return; }
        toggle.textContent = 'Stop live tail';
        tailState.textContent = 'connecting…';
        // The stream takes the token filter too; the other filters apply to
        // stored messages only.
        const only = query.token ? `?token=${encodeURIComponent(query.token)}` : '';
        stop = stream(`/systems/${system.id}/messages/stream${only}`, {
          onOpen: () => { tailState.textContent = 'live: new messages appear on top'; },
          onEvent: (ev) => {
            if (ev.event !== 'message') return;
            try { tailBody.prepend(messageRow(JSON.parse(ev.data))); } catch { /* not JSON: skipped */ }
            while (tailBody.childElementCount > 500) tailBody.lastElementChild.remove();
          },
          onError: (e) => { tailState.textContent = `interrupted: ${e.message}`; },
        });
        const leave = () => { if (stop) stop(); stop = null; window.removeEventListener('hashchange', leave); };
        window.addEventListener('hashchange', leave);
      },
    },
  }, 'Start live tail');
  return h('div', form,
    h('section.tail', h('h3', 'Live tail'), h('div.toolbar', toggle, tailState),
      h('table.list.messages.live', messageHead(), tailBody)),
    h('h3', 'Stored messages, oldest first'),
    page.items.length ? h('table.list.messages', messageHead(), body) : h('p.empty', 'No messages match.'),
    more);
}

async function usageTab(system) {
  const u = await get(`/systems/${system.id}/usage`);
  return usageView(u);
}

const reasons = ['unauthorized', 'invalid', 'too_large', 'rate_limited', 'storage_error'];

/**
 * Refused requests per minute, one stacked colour per reason. Minutes stored
 * before reasons were counted per minute have theirs as `unrecorded`, shown
 * only when the hour holds such a minute.
 */
function rejectedChart(series) {
  const byReason = series.map((m) => ({ minute: m.minute, ...m.rejected_by_reason }));
  const keys = byReason.some((m) => m.unrecorded) ? [...reasons, 'unrecorded'] : reasons;
  return usageChart(byReason, keys, { title: 'Rejected requests per minute, by reason', labels: { unrecorded: 'reason not recorded' } });
}

/** The usage of a token or a system: charts of the last hour and the totals. */
export function usageView(u) {
  const t = u.totals;
  return h('div.usage',
    usageChart(u.series, ['messages'], { title: 'Accepted messages per minute' }),
    rejectedChart(u.series),
    usageChart(u.series, ['sampled'], { title: 'Sampled-out requests per minute' }),
    h('h3', 'Since creation'),
    fields([['Requests', t.requests], ['Messages stored', t.messages], ['Duplicates', t.duplicates],
      ['Bytes', t.bytes], ['Sampled out', `${t.sampled_requests} requests, ${t.sampled_messages} messages`],
      ['Shadow-limited', t.shadow_limited],
      ['Rejected, by reason', Object.entries(t.rejected).map(([k, v]) => `${k.replace('_', ' ')}: ${v}`).join(' · ')],
      u.last_used_at !== undefined ? ['Last used', `${when(u.last_used_at)}${u.last_ip ? ' from ' + u.last_ip : ''}`] : null]));
}

// The admin API, as the portal calls it: every request carries the token the
// person signed in with, and every refusal is shown with the API's own JSON
// error message. The portal has no other way in and decides nothing itself:
// what a person may do is what the API answers.

const KEY = 'sluice.token';
const BASE = '/api/v1';

/** The signed-in token: kept in sessionStorage only (gone with the tab). */
export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set(token) { sessionStorage.setItem(KEY, token); },
  clear() { sessionStorage.removeItem(KEY); },
};

/** An error the API answered: its status, code and message. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Listeners for a refused sign-in (401): the app signs out. */
const unauthorized = new Set();
export function onUnauthorized(fn) { unauthorized.add(fn); }

/** The API's refusal in `res` (its JSON error, else the status) as an ApiError. */
function refusal(res, json) {
  const err = json?.error;
  return new ApiError(res.status, err?.code ?? 'http_' + res.status, err?.message ?? `HTTP ${res.status}`, err?.details);
}

/**
 * Calls the admin API. `query`: an object of parameters (empty ones left
 * out). Returns the parsed JSON and, as `status`, the HTTP status (202 for a
 * token waiting for approval).
 */
export async function api(method, path, { body, query, token } = {}) {
  const url = new URL(BASE + path, location.origin);
  for (const [k, v] of Object.entries(query || {}))
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  const headers = { Authorization: `Bearer ${token ?? session.token ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(url, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store', credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, 'network', `Sluice did not answer (${e.message})`);
  }
  let json = null;
  const text = await res.text();
  if (text) {
    try { json = JSON.parse(text); } catch { json = null; }
  }
  if (!res.ok) {
    const e = refusal(res, json);
    if (res.status === 401 && token === undefined) unauthorized.forEach((fn) => fn(e));
    throw e;
  }
  return { status: res.status, data: json };
}

export const get = async (path, query) => (await api('GET', path, { query })).data;
export const post = (path, body) => api('POST', path, { body: body ?? {} });
export const patch = (path, body) => api('PATCH', path, { body });
export const put = (path, body) => api('PUT', path, { body });
export const del = (path, body) => api('DELETE', path, { body: body ?? {} });

/** Every item of a list endpoint, following next_cursor (at most `max`). */
export async function getAll(path, query = {}, max = 1000) {
  const items = [];
  let cursor;
  do {
    const page = await get(path, { ...query, limit: Math.min(1000, max - items.length), cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < max);
  return items;
}

/**
 * Reads the Server-Sent Events stream at `path` with fetch (EventSource
 * cannot send the Authorization header). Calls onEvent({id, event, data})
 * for each event; returns a function that stops the stream. `lastId` is
 * sent as Last-Event-ID when reconnecting.
 */
export function stream(path, { onEvent, onError, onOpen }) {
  const ctrl = new AbortController();
  let lastId = null;
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      try {
        const headers = { Authorization: `Bearer ${session.token ?? ''}`, Accept: 'text/event-stream' };
        if (lastId) headers['Last-Event-ID'] = lastId;
        const res = await fetch(BASE + path, { headers, signal: ctrl.signal, cache: 'no-store', credentials: 'omit' });
        if (!res.ok) {
          let json = null;
          try { json = await res.json(); } catch { /* not JSON */ }
          const e = refusal(res, json);
          // The signed-in token refused (revoked, expired, disabled, its user
          // deactivated): the tab signs out, as after any other call.
          if (res.status === 401) unauthorized.forEach((fn) => fn(e));
          throw e;
        }
        onOpen?.();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value.replace(/\r\n?/g, '\n');
          let cut;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            const ev = { id: null, event: 'message', data: '' };
            const data = [];
            for (const line of block.split('\n')) {
              if (!line || line.startsWith(':')) continue; // keep-alive comment
              const colon = line.indexOf(':');
              const name = colon < 0 ? line : line.slice(0, colon);
              let val = colon < 0 ? '' : line.slice(colon + 1);
              if (val.startsWith(' ')) val = val.slice(1);
              if (name === 'data') data.push(val);
              else if (name === 'id') ev.id = val;
              else if (name === 'event') ev.event = val;
            }
            if (!data.length) continue;
            ev.data = data.join('\n');
            if (ev.id) lastId = ev.id;
            onEvent(ev);
          }
        }
      } catch (e) {
        if (stopped || e.name === 'AbortError') return;
        onError?.(e);
        if (e instanceof ApiError && e.status >= 400 && e.status < 500) return;
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 2000));
    }
  };
  run();
  return () => { stopped = true; ctrl.abort(); };
}

// Building the page with DOM calls only. Text always goes in as text nodes
// (textContent), never as HTML: names, descriptions, reasons and message
// bodies come from users and are shown exactly as typed, whatever they hold.
// No function here takes HTML, and no module of the portal uses innerHTML.

/**
 * h('tag.class', {attr: value, on: {click: fn}}, child, …): an element.
 * Children: strings and numbers become text nodes, null/false are skipped,
 * arrays are flattened. Attributes are set with setAttribute, except
 * `on` (event listeners), `value`/`checked`/`disabled` (properties) and
 * `dataset`. Attribute names starting with "on" are refused: handlers are
 * attached as listeners, never as markup.
 */
export function h(spec, attrs, ...children) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag || 'div');
  if (classes.length) el.className = classes.join(' ');
  // A second argument that is not a plain object (text, a number such as 0,
  // a node, an array) is the first child.
  if (attrs !== undefined && (attrs === null || typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'on') {
      for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    } else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') {
      el[k] = v;
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k === 'class') {
      el.className = v;
    } else if (/^on/i.test(k)) {
      throw new Error('event handlers are attached with {on: {...}}');
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

/** Appends children (values or arrays of them) to `el` as h() does. */
export function append(el, ...children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** An SVG element with attributes. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** "2026-12-01T22:55:32.233872Z" as "2026-12-01 22:55:32 UTC"; null as "—". */
export function when(t) {
  if (!t) return '—';
  return t.replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC');
}

/** A short "3 min ago" for times of the last days, else when(t). */
export function ago(t) {
  if (!t) return 'never';
  const s = (Date.now() - Date.parse(t)) / 1000;
  if (s < 0 || Number.isNaN(s)) return when(t);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  if (s < 7 * 86400) return `${Math.floor(s / 86400)} d ago`;
  return when(t);
}

/** A badge for a status or risk: the word itself, coloured by its class. */
export function badge(word) {
  return h(`span.badge.b-${String(word).replace(/[^a-z_]/g, '')}`, String(word));
}

/** A definition list from [label, value] pairs (value: text or a node). */
export function fields(pairs) {
  return h('dl.fields', pairs.filter(Boolean).map(([k, v]) => [h('dt', k), h('dd', v ?? '—')]));
}

/** A table: `cols` are header texts, `rows` arrays of cells (text or nodes). */
export function table(cols, rows, empty = 'Nothing here yet.') {
  if (!rows.length) return h('p.empty', empty);
  return h('table.list',
    h('thead', h('tr', cols.map((c) => h('th', c)))),
    h('tbody', rows.map((r) => (r instanceof Node ? r : h('tr', r.map((c) => h('td', c)))))));
}

/** A labelled form field around `input`. */
export function field(label, input, hint) {
  return h('label.field', h('span.label', label), input, hint ? h('span.hint', hint) : null);
}

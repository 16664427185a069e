// The web portal in a real browser: Debian's Chromium, headless, driven by
// puppeteer-core, against the real sluiced started on loopback ports with an
// empty data directory. One browser for the whole suite; each test saves a
// screenshot under $SLUICE_ARTIFACTS (ctest: <build>/browser-artifacts).
//
//   SLUICED=build/sluiced node tests/node/browser/portal.mjs [test names…]
//
// With SLUICE_DOCS_SCREENSHOTS=<dir> it also writes the pages shown in the
// documentation there (make screenshots).

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const SLUICED = process.env.SLUICED;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.SLUICE_ARTIFACTS || join(tmpdir(), 'sluice-browser-artifacts');
const DOCS = process.env.SLUICE_DOCS_SCREENSHOTS;
const SKIP = 77; // ctest SKIP_RETURN_CODE

if (!SLUICED) { console.error('set SLUICED to the sluiced binary (ctest does)'); process.exit(2); }
if (!existsSync(CHROMIUM)) { console.error(`no browser at ${CHROMIUM}: apt-get install chromium (make test does)`); process.exit(SKIP); }
mkdirSync(ARTIFACTS, { recursive: true });
if (DOCS) mkdirSync(DOCS, { recursive: true });

// ---------------------------------------------------------------------------
// sluiced, as the e2e fixture starts it: ports chosen by the kernel, read
// from its output once the start-up banner is out.

function startSluiced() {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-browser-'));
  const proc = spawn(SLUICED, [`--data-dir=${dir}`, '--ingest-host=127.0.0.1', '--ingest-port=0',
    '--admin-port=0', `--bootstrap-token-file=${join(dir, 'superuser.token')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`sluiced did not start in 20 s:\n${out}`)); }, 20000);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`sluiced exited (${code}):\n${out}`)); });
    const poll = setInterval(() => {
      const ingest = out.match(/ingest listening on [^\s:]+:(\d+)/);
      const admin = out.match(/admin listening on [^\s:]+:(\d+)/);
      if (ingest && admin && out.includes('next, in another terminal:')) {
        clearInterval(poll);
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        resolve({
          proc, dir, output: () => out,
          admin: `http://127.0.0.1:${admin[1]}`, ingest: `http://127.0.0.1:${ingest[1]}`,
          su: readFileSync(join(dir, 'superuser.token'), 'utf8').trim(),
        });
      }
    }, 20);
  });
}

// ---------------------------------------------------------------------------
// HTTP from the test itself (set-up, and what the browser's actions did).

let S; // the server
async function call(method, path, token, body, base) {
  const res = await fetch((base ?? S.admin + '/api/v1') + path, {
    method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
const admin = async (method, path, token, body) => {
  const r = await call(method, path, token, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
};
const ingest = (token, body) => call('POST', '/messages', token, body, S.ingest);

function check(cond, what) { if (!cond) throw new Error(`expected: ${what}`); }

// ---------------------------------------------------------------------------
// The browser.

let browser;
const scriptErrors = [];
async function newPage() {
  const context = await browser.createBrowserContext(); // own sessionStorage
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  page.on('pageerror', (e) => scriptErrors.push(`${page.url()}: ${e.message}`));
  // Everything comes from sluiced itself: no CDN, works offline.
  page.on('request', (r) => {
    if (!r.url().startsWith(S.admin + '/') && !r.url().startsWith('data:')) scriptErrors.push(`request to another origin: ${r.url()}`);
  });
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) scriptErrors.push(`console: ${m.text()}`); });
  return page;
}

async function signIn(page, token) {
  await page.goto(S.admin + '/', { waitUntil: 'networkidle0' });
  check(page.url() === S.admin + '/portal/', `/ redirects to /portal/ (at ${page.url()})`);
  await page.waitForSelector('form.signin input[name=token]');
  await page.type('form.signin input[name=token]', token);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('header.top .who');
}

/** Goes to a hash route of the portal and waits for its content. */
async function go(page, hash, selector = 'main:not([aria-busy])') {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await page.waitForSelector(selector);
  await page.waitForNetworkIdle({ idleTime: 150 }).catch(() => {});
}

const textOf = (page, sel) => page.$eval(sel, (e) => e.textContent);
/** Waits for the page's confirmation holding `text` (an earlier one may still show). */
const confirmed = (page, text) =>
  page.waitForFunction((t) => document.querySelector('.flash.ok')?.textContent.includes(t), {}, text);
// Clicks the element matching `selector` whose text is exactly `text`. The
// portal re-renders when data arrives, so a button found one moment can be
// replaced by an identical one the next ("Node is detached from document"):
// then it looks again and clicks the current one, as a user would, for up to
// five seconds. Any other failure, or no such element by then, fails the test.
async function clickText(page, selector, text) {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      for (const el of await page.$$(selector))
        if ((await el.evaluate((e) => e.textContent.trim())) === text) { await el.click(); return; }
    } catch (e) {
      if (!/detached/i.test(e.message) || Date.now() > deadline) throw e;
      continue;
    }
    if (Date.now() > deadline) throw new Error(`no ${selector} with text "${text}"`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function shot(page, name) {
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
async function docShot(page, name) {
  if (!DOCS) return;
  const file = await shot(page, `docs-${name}`);
  copyFileSync(file, join(DOCS, `${name}.png`));
}

// ---------------------------------------------------------------------------
// The world the tests share: two tenants, admins, a system with a token.

const W = {};
async function setUp() {
  const su = S.su;
  W.acme = await admin('POST', '/tenants', su, { name: 'Acme', tier: 'pro' });
  W.free = await admin('POST', '/tenants', su, { name: 'Free Co', tier: 'free' });
  W.system = await admin('POST', `/tenants/${W.acme.id}/systems`, su, { name: 'billing-api', description: 'EU cluster' });
  W.freeSystem = await admin('POST', `/tenants/${W.free.id}/systems`, su, { name: 'hobby app' });
  const alice = await admin('POST', `/tenants/${W.acme.id}/users`, su, { name: 'Alice', email: 'alice@acme.example', role: 'admin' });
  const bob = await admin('POST', `/tenants/${W.acme.id}/users`, su, { name: 'Bob', email: 'bob@acme.example', role: 'admin' });
  const frank = await admin('POST', `/tenants/${W.free.id}/users`, su, { name: 'Frank', email: 'frank@free.example', role: 'admin' });
  W.alice = (await admin('POST', `/users/${alice.id}/tokens`, su, { name: 'alice browser' })).secret;
  W.bob = (await admin('POST', `/users/${bob.id}/tokens`, su, { name: 'bob browser' })).secret;
  W.frank = (await admin('POST', `/users/${frank.id}/tokens`, su, { name: 'frank browser' })).secret;
  const vera = await admin('POST', `/tenants/${W.acme.id}/users`, su, { name: 'Vera', email: 'vera@acme.example', role: 'viewer' });
  W.vera = (await admin('POST', `/users/${vera.id}/tokens`, su, { name: 'vera browser' })).secret;
  W.users = { alice: alice.id, vera: vera.id };
  const t = await admin('POST', `/systems/${W.system.id}/tokens`, su, { name: 'checkout', retention_days: 30 });
  W.checkout = t.token.id;
  for (let i = 0; i < 3; i++)
    await ingest(t.secret, { message: `order ${i} placed`, level: i === 2 ? 'error' : 'info', metadata: { order: 1000 + i } });
}

// ---------------------------------------------------------------------------
// The tests.

const tests = {};

tests.sign_in = async (page) => {
  // What the browser downloads on the first visit (an empty cache): every
  // response of the portal's own files, by size of body.
  const loads = [];
  const onResponse = async (res) => {
    if (!res.url().startsWith(S.admin + '/portal/')) return;
    const body = await res.buffer().catch(() => Buffer.alloc(0));
    loads.push([res.url().slice(S.admin.length), res.status(), body.length]);
  };
  page.on('response', onResponse);
  await page.goto(S.admin + '/', { waitUntil: 'networkidle0' });
  await page.waitForSelector('form.signin');
  page.off('response', onResponse);
  const total = loads.reduce((n, [, , b]) => n + b, 0);
  check(loads.every(([, status]) => status === 200) && loads.length >= 5, `the portal's files load (${JSON.stringify(loads)})`);
  writeFileSync(join(ARTIFACTS, 'first-load.txt'),
    loads.map(([u, st, b]) => `${b}\t${u}`).join('\n') + `\n${total}\ttotal, ${loads.length} files\n`);
  console.log(`first load: ${loads.length} files, ${total} bytes`);
  await docShot(page, 'sign-in');
  // A token that is not one: the API's own message.
  await page.type('form.signin input[name=token]', 'alu_' + 'x'.repeat(47));
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('form.signin .form-error:not([hidden])');
  check((await textOf(page, 'form.signin .form-error')).includes('invalid_token'), 'the API refusal is shown');
  await page.$eval('form.signin input[name=token]', (e) => { e.value = ''; });
  await page.type('form.signin input[name=token]', W.alice);
  await page.click('form.signin button[type=submit]');
  await page.waitForSelector('header.top .who');
  await page.waitForSelector(`a[href="#/systems/${W.system.id}/tokens"]`);
  check((await textOf(page, 'header.top .who')).includes('admin'), 'the header names the role');
  check(!(await page.$('a[href="#/tenants"]')), 'a tenant admin has no Tenants link');
  const stored = await page.evaluate(() => ({ s: sessionStorage.getItem('sluice.token'), l: localStorage.length, c: document.cookie }));
  check(stored.s === W.alice && stored.l === 0 && stored.c === '', 'the token is in sessionStorage only');
  await docShot(page, 'systems');
  await clickText(page, 'header.top button', 'Sign out');
  await page.waitForSelector('form.signin');
  check(await page.evaluate(() => sessionStorage.getItem('sluice.token')) === null, 'sign-out forgets the token');
};

tests.mint_token_secret_once = async (page) => {
  await signIn(page, W.alice);
  await go(page, `#/systems/${W.system.id}/tokens`, 'table.tokens');
  await clickText(page, 'button', 'New Token');
  await page.waitForSelector('dialog.modal[open] input[name=name]');
  await page.type('dialog.modal input[name=name]', 'mobile app');
  await page.select('dialog.modal select[name=retention_days]', '90');
  await page.select('dialog.modal select[name=expires_in]', '1y');
  await docShot(page, 'new-token');
  await page.click('dialog.modal button[type=submit]');
  await page.waitForSelector('dialog.modal[open] code.secret');
  const secret = await textOf(page, 'code.secret');
  check(/^al_[0-9A-Za-z]{40,}$/.test(secret), `a secret is shown (${secret.slice(0, 6)}…)`);
  check((await textOf(page, 'dialog.modal .warning')).includes('cannot be shown again'), 'the once-only warning');
  check((await page.$$('dialog.modal button')).length >= 2, 'a copy button');
  await docShot(page, 'secret-once');
  check((await ingest(secret, { message: 'from the new token' })).status === 202, 'the shown secret ingests');
  await clickText(page, 'dialog.modal button', 'I have stored it');
  await page.waitForFunction(() => !document.querySelector('dialog.modal'));
  await page.waitForSelector('table.tokens');
  const has = () => page.evaluate((s) => document.documentElement.outerHTML.includes(s)
    || JSON.stringify({ ...sessionStorage }).includes(s) || JSON.stringify({ ...localStorage }).includes(s), secret);
  check(!(await has()), 'the secret is gone from the page once the dialog closed');
  await clickText(page, 'button', 'New Token');
  await page.waitForSelector('dialog.modal[open] input[name=name]');
  check(!(await page.$('code.secret')) && !(await has()), 'reopening the dialog shows no secret');
  await clickText(page, 'dialog.modal button', 'Cancel');
  await page.reload({ waitUntil: 'networkidle0' });
  await page.waitForSelector('table.tokens');
  check(!(await has()), 'nor after a reload');
  const row = await page.$$eval('table.tokens tbody tr', (rows) => rows.map((r) => r.textContent).find((t) => t.includes('mobile app')));
  check(row && row.includes('90 days') && row.includes('active'), 'the new token is listed with its retention');
};

tests.free_tier_retention = async (page) => {
  await signIn(page, W.frank);
  await go(page, `#/systems/${W.freeSystem.id}/tokens`, '.toolbar button');
  await clickText(page, 'button', 'New Token');
  await page.waitForSelector('dialog.modal[open] select[name=retention_days]');
  const options = await page.$$eval('dialog.modal select[name=retention_days] option', (o) => o.map((x) => x.value));
  check(JSON.stringify(options) === '["7"]', `a free tenant is offered 7 days only (got ${options})`);
};

tests.revoke_refuses_ingest = async (page) => {
  const minted = await admin('POST', `/systems/${W.system.id}/tokens`, S.su, { name: 'old exporter' });
  check((await ingest(minted.secret, { message: 'before' })).status === 202, 'the token ingests before');
  await signIn(page, W.alice);
  await go(page, `#/systems/${W.system.id}/tokens`, `tr[data-token="${minted.token.id}"]`);
  await page.click(`tr[data-token="${minted.token.id}"] button.danger`);
  await page.waitForSelector('dialog.modal[open] textarea[name=reason]');
  check((await textOf(page, 'dialog.modal')).includes('“old exporter”'), 'the confirmation names the token');
  await docShot(page, 'revoke');
  await page.type('dialog.modal textarea[name=reason]', 'replaced by a token per runner');
  await clickText(page, 'dialog.modal button', 'Revoke old exporter');
  await page.waitForFunction((id) => document.querySelector(`tr[data-token="${id}"]`)?.textContent.includes('revoked'), {}, minted.token.id);
  const r = await ingest(minted.secret, { message: 'after' });
  check(r.status === 401 && r.json.error.code === 'token_revoked', `ingest is refused (${r.status} ${r.json?.error?.code})`);
};

tests.second_admin_approves = async (page) => {
  await signIn(page, W.alice);
  await go(page, `#/tenants/${W.acme.id}/tokens`, '.toolbar button');
  await clickText(page, 'button', 'New service token');
  await page.waitForSelector('dialog.modal[open] input[name=name]');
  await page.type('dialog.modal input[name=name]', 'deployer');
  await page.click('dialog.modal input[value="tokens:write"]');
  await page.waitForFunction(() => document.querySelector('[data-risk]').textContent === 'high');
  check(!(await page.$eval('dialog.modal textarea[name=reason]', (e) => e.closest('label').hidden)), 'high risk asks for a reason');
  await page.type('dialog.modal textarea[name=reason]', 'CD pipeline rotates ingest tokens');
  await docShot(page, 'new-service-token');
  await page.click('dialog.modal button[type=submit]');
  await page.waitForSelector('dialog.modal[open] code.secret');
  check((await textOf(page, 'dialog.modal')).includes('waits for approval'), 'the token waits for approval');
  const secret = await textOf(page, 'code.secret');
  await clickText(page, 'dialog.modal button', 'I have stored it');
  check((await call('GET', '/me', secret)).json.error.code === 'token_pending', 'refused while pending');
  await go(page, `#/tenants/${W.acme.id}/approvals`, 'tr[data-approval]');
  check((await textOf(page, 'tr[data-approval]')).includes('another admin must decide'), 'the requester is told why not');
  check(!(await page.$('tr[data-approval] button')), 'and gets no Approve button');
  await shot(page, 'second_admin_approves-alice');

  const bob = await newPage();
  try {
    await signIn(bob, W.bob);
    await go(bob, `#/tenants/${W.acme.id}/approvals`, 'tr[data-approval] button.primary');
    check((await textOf(bob, 'tr[data-approval]')).includes('Alice'), 'the requester is named');
    await docShot(bob, 'approvals');
    await bob.click('tr[data-approval] button.primary');
    await bob.waitForSelector('dialog.modal[open] textarea[name=reason]');
    await bob.type('dialog.modal textarea[name=reason]', 'reviewed the pipeline');
    await clickText(bob, 'dialog.modal button', 'Approve');
    await confirmed(bob, 'Approved');
    await shot(bob, 'second_admin_approves-bob');
  } finally { await bob.browserContext().close(); }
  const me = await call('GET', '/me', secret);
  check(me.status === 200 && me.json.scopes.includes('tokens:write'), 'the approved token works');
};

tests.service_token_for_one_system = async (page) => {
  await signIn(page, W.alice);
  await go(page, `#/tenants/${W.acme.id}/tokens`, '.toolbar button');
  await clickText(page, 'button', 'New service token');
  await page.waitForSelector('dialog.modal[open] input[name=name]');
  check(await page.$eval('fieldset.query-systems', (e) => e.hidden), 'no system choice before query is picked');
  await page.type('dialog.modal input[name=name]', 'grafana');
  await page.click('dialog.modal input[value="query"]');
  await page.waitForFunction(() => document.querySelector('[data-risk]').textContent === 'medium');
  await page.click(`fieldset.query-systems input[value="${W.system.id}"]`);
  await page.type('dialog.modal textarea[name=reason]', 'dashboards read billing logs');
  await page.click('dialog.modal button[type=submit]');
  await page.waitForSelector('dialog.modal[open] code.secret');
  const secret = await textOf(page, 'code.secret');
  await clickText(page, 'dialog.modal button', 'I have stored it');
  const me = (await call('GET', '/me', secret)).json;
  check(me.kind === 'service' && JSON.stringify(me.query_systems) === JSON.stringify([W.system.id]),
    `the token may query that one system (${JSON.stringify(me)})`);
  check((await call('GET', `/systems/${W.freeSystem.id}/messages`, secret)).status === 404, 'and no other tenant\'s');
};

tests.user_text_is_text = async (page) => {
  const payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
  const t = await admin('POST', `/systems/${W.system.id}/tokens`, S.su, { name: payload, description: payload, reason: payload });
  check((await ingest(t.secret, { message: payload, level: 'warn', metadata: { note: payload } })).status === 202, 'the payload is stored');
  await signIn(page, W.alice);
  const noScript = async (where) => {
    const r = await page.evaluate(() => ({
      flag: window.__xss, imgs: document.querySelectorAll('img').length, scripts: document.querySelectorAll('body script').length,
    }));
    check(r.flag === undefined, `${where}: no script ran`);
    check(r.imgs === 0 && r.scripts === 0, `${where}: no element was made from the text`);
  };
  await go(page, `#/systems/${W.system.id}/tokens`, `tr[data-token="${t.token.id}"]`);
  check((await textOf(page, `tr[data-token="${t.token.id}"] a`)) === payload, 'the name is shown as typed');
  await noScript('tokens table');
  await go(page, `#/tokens/${t.token.id}/overview`, 'dl.fields');
  check((await textOf(page, 'h1')).includes(payload), 'the token page shows the name as text');
  await noScript('token page');
  await go(page, `#/systems/${W.system.id}/messages?level=warn`, 'table.messages tbody tr');
  const body = await textOf(page, 'table.messages:not(.live) tbody tr pre.msg-body');
  check(body.includes(payload.replace(/"/g, '\\"')), 'the message body is shown as text');
  await noScript('messages');
  await shot(page, 'user_text_is_text-messages');
  await go(page, `#/tenants/${W.acme.id}/audit`, 'p.chain');
  await noScript('audit log');
  // A tenant admin reads the log, but verifying the whole chain (every
  // tenant's events) is the superusers': the page says so, with the API's words.
  await page.waitForSelector('p.chain[data-chain=forbidden]');
  const chain = await textOf(page, 'p.chain');
  check(chain.includes('not allowed for this role') && chain.includes('only a superuser may verify audit chain'),
    `the chain's verification is not allowed for a tenant admin (${chain})`);
  check(!(await page.$('p.chain button')), 'and there is no Verify now');
};

tests.viewer_sees_what_the_api_allows = async (page) => {
  await signIn(page, W.vera);
  check((await textOf(page, 'header.top .who')).includes('viewer'), 'the header names the role');
  check(!(await page.$(`a[href="#/tenants/${W.acme.id}/audit"]`)), 'no audit link without audit:read');
  await go(page, `#/systems/${W.system.id}/tokens`, 'table.tokens');
  check(!(await page.$('.toolbar button')) && !(await page.$('table.tokens button')), 'no New Token, no Revoke for a viewer');
  // Asked anyway, the API refuses, and the page shows its message.
  await go(page, `#/tenants/${W.acme.id}/audit`, 'main .form-error');
  const shown = await textOf(page, 'main .form-error');
  check(shown.includes('403 insufficient_scope') && shown.includes('audit:read'), `the API's refusal is shown (${shown})`);
  // A token's security settings: shown read-only, with nothing to save.
  await go(page, `#/tokens/${W.checkout}/security`, 'fieldset.readonly');
  check(await page.$eval('fieldset.readonly', (f) => f.disabled), 'the settings are read-only');
  check(!(await page.$('form.security-form')) && !(await page.$('main button[type=submit]')), 'no Save button for a viewer');
};

tests.a_refused_filter_keeps_the_filters = async (page) => {
  await signIn(page, W.alice);
  await go(page, `#/systems/${W.system.id}/messages?since=garbage`, 'main .form-error:not([hidden])');
  check((await textOf(page, 'main .form-error')).includes('400 invalid_argument'), 'the API refusal is shown');
  check(await page.$eval('form.filters input[name=since]', (i) => i.value) === 'garbage', 'under the filters as typed');
  check(!!(await page.$('nav.tabs')), 'and the system page around them');
  await page.$eval('form.filters input[name=since]', (i) => { i.value = ''; });
  await clickText(page, 'form.filters button', 'Filter');
  await page.waitForSelector('table.messages tbody tr');
  await go(page, `#/tenants/${W.acme.id}/audit?since=yesterday`, 'main .form-error:not([hidden])');
  check(await page.$eval('form.filters input[name=since]', (i) => i.value) === 'yesterday', 'the audit log keeps its filters too');
};

tests.a_service_token_lands_where_it_may_read = async (page) => {
  const svc = await admin('POST', `/tenants/${W.acme.id}/tokens`, S.su, { name: 'token auditor', scopes: ['tokens:read'] });
  check(svc.token.status === 'active', `a tokens:read token needs no approval (${svc.token.status})`);
  await signIn(page, svc.secret);
  await page.waitForFunction((h) => location.hash === h, {}, `#/tenants/${W.acme.id}/tokens`);
  await page.waitForSelector('main:not([aria-busy])');
  check(!(await page.$(`a[href="#/tenants/${W.acme.id}/systems"]`)), 'no Systems link without systems:read');
  check(!(await page.$('main .form-error')), 'the landing page is one it may read');
};

tests.revoked_while_tailing_signs_out = async (page) => {
  const mine = await admin('POST', `/users/${W.users.vera}/tokens`, S.su, { name: 'vera tail' });
  await signIn(page, mine.secret);
  await go(page, `#/systems/${W.system.id}/messages`, 'section.tail button');
  await clickText(page, 'section.tail button', 'Start live tail');
  await page.waitForFunction(() => document.querySelector('[data-tail-state]').textContent.startsWith('live'), { timeout: 10000 });
  await admin('POST', `/tokens/${mine.token.id}/revoke`, S.su, { reason: 'left the team' });
  // The stream ends with the token; its reconnection is refused and the tab signs out.
  await page.waitForSelector('form.signin .form-error:not([hidden])', { timeout: 15000 });
  check((await textOf(page, 'form.signin .form-error')).includes('token_revoked'), 'the API\'s reason is shown');
  check(await page.evaluate(() => sessionStorage.getItem('sluice.token')) === null, 'the revoked token is forgotten');
};

tests.a_dialog_goes_with_the_sign_out = async (page) => {
  const mine = await admin('POST', `/users/${W.users.alice}/tokens`, S.su, { name: 'alice laptop' });
  await signIn(page, mine.secret);
  await go(page, `#/systems/${W.system.id}/tokens`, '.toolbar button');
  await clickText(page, 'button', 'New Token');
  await page.waitForSelector('dialog.modal[open] input[name=name]');
  await page.type('dialog.modal input[name=name]', 'never minted');
  await admin('POST', `/tokens/${mine.token.id}/revoke`, S.su, { reason: 'laptop lost' });
  await page.click('dialog.modal button[type=submit]');
  await page.waitForSelector('form.signin .form-error:not([hidden])');
  check(!(await page.$('dialog[open]')), 'no dialog is left over the sign-in page');
  check((await admin('GET', `/systems/${W.system.id}/tokens`, S.su)).items.every((t) => t.name !== 'never minted'), 'nothing was minted');
};

tests.ending_emergency_access_says_so = async (page) => {
  const minted = await admin('POST', `/systems/${W.system.id}/tokens`, S.su, { name: 'office only', security: { ip_allowlist: ['10.0.0.0/8'] } });
  await admin('POST', `/tokens/${minted.token.id}/emergency-access`, S.su, { reason: 'INC-2', duration_hours: 1 });
  check((await ingest(minted.secret, { message: 'x' })).status === 202, 'emergency access lifts the allowlist');
  await signIn(page, S.su);
  await go(page, `#/tokens/${minted.token.id}/security`, '.danger-zone');
  await clickText(page, '.danger-zone button', 'End emergency access');
  await page.waitForSelector('dialog.modal[open]');
  await clickText(page, 'dialog.modal button', 'End it now');
  await confirmed(page, 'Emergency access ended');
  await clickText(page, '.danger-zone button', 'Open emergency access'); // offered again
  await clickText(page, 'dialog.modal button', 'Cancel');
  check((await ingest(minted.secret, { message: 'x' })).json.error.code === 'ip_not_allowed', 'the allowlist holds again');
};

tests.token_lifecycle = async (page) => {
  const minted = await admin('POST', `/systems/${W.system.id}/tokens`, S.su, { name: 'nightly export', retention_days: 30 });
  const id = minted.token.id;
  const record = () => admin('GET', `/tokens/${id}`, S.su);
  const reasonAnd = async (button, reason) => {
    await page.waitForSelector('dialog.modal[open] textarea[name=reason]');
    await page.type('dialog.modal textarea[name=reason]', reason);
    await clickText(page, 'dialog.modal button', button);
  };
  await signIn(page, S.su);
  await go(page, `#/tokens/${id}/overview`, 'details.edit');
  // Edit retention: said to apply to future messages only.
  await page.click('details.edit summary');
  check((await textOf(page, 'details.edit')).includes('Applies to future messages only'), 'the retention note');
  await page.select('details.edit select[name=retention_days]', '90');
  await page.click('details.edit button[type=submit]');
  await confirmed(page, 'Saved.');
  check((await record()).retention_days === 90, 'retention saved');
  // Security: a change needs a reason, and is in force.
  await go(page, `#/tokens/${id}/security`, '.danger-zone');
  await page.type('textarea[name=ip_allowlist]', '10.0.0.0/8');
  check(await page.$eval('form.security-form textarea[name=reason]', (e) => e.required), 'the change asks for a reason');
  await page.type('form.security-form textarea[name=reason]', 'only from the office network');
  await page.click('form.security-form button[type=submit]');
  await confirmed(page, 'Security settings saved');
  check((await ingest(minted.secret, { message: 'x' })).json.error.code === 'ip_not_allowed', 'the allowlist is in force');
  // Break-glass lifts it for its window.
  await clickText(page, '.danger-zone button', 'Open emergency access');
  await reasonAnd('Open emergency access', 'INC-1: export from home');
  await confirmed(page, 'Emergency access open');
  check((await ingest(minted.secret, { message: 'x' })).status === 202, 'emergency access lifts the allowlist');
  // Disable, enable, rotate with a grace.
  await go(page, `#/tokens/${id}/overview`, 'ol.timeline');
  await clickText(page, 'button', 'Disable');
  await reasonAnd('Disable', 'pause the export');
  await page.waitForFunction(() => document.querySelector('h1').textContent.includes('disabled'));
  check((await ingest(minted.secret, { message: 'x' })).json.error.code === 'token_disabled', 'disabled');
  await clickText(page, 'button', 'Enable');
  await reasonAnd('Enable', 'resume');
  await page.waitForFunction(() => document.querySelector('h1').textContent.includes('active'));
  await clickText(page, 'button', 'Rotate');
  await page.waitForSelector('dialog.modal[open] select[name=grace_seconds]');
  await page.select('dialog.modal select[name=grace_seconds]', '3600');
  await clickText(page, 'dialog.modal button', 'Rotate');
  await page.waitForSelector('dialog.modal[open] code.secret');
  const fresh = await textOf(page, 'code.secret');
  check(fresh !== minted.secret && fresh.startsWith('al_'), 'a new secret is shown once');
  await clickText(page, 'dialog.modal button', 'I have stored it');
  check((await ingest(fresh, { message: 'x' })).status === 202 && (await ingest(minted.secret, { message: 'x' })).status === 202,
    'the new secret works, and the old one during its grace');
  await go(page, `#/tokens/${id}/activity`, 'table.list');
  const actions = await page.$$eval('table.list tbody tr td:nth-child(2)', (c) => c.map((x) => x.textContent));
  for (const a of ['token.create', 'token.update', 'token.security', 'token.emergency_start', 'token.disable', 'token.enable', 'token.rotate'])
    check(actions.includes(a), `the activity lists ${a}`);
};

tests.live_tail = async (page) => {
  const source = await admin('POST', `/systems/${W.system.id}/tokens`, S.su, { name: 'tail source' });
  await signIn(page, W.alice);
  await go(page, `#/systems/${W.system.id}/messages`, 'section.tail button');
  await clickText(page, 'section.tail button', 'Start live tail');
  await page.waitForFunction(() => document.querySelector('[data-tail-state]').textContent.startsWith('live'), { timeout: 10000 });
  const marker = `shipped order ${Date.now()}`;
  check((await ingest(source.secret, { message: marker, level: 'info' })).status === 202, 'the message is ingested');
  await page.waitForFunction((m) => [...document.querySelectorAll('table.live tbody tr')].some((r) => r.textContent.includes(m)),
    { timeout: 10000 }, marker);
  const row = await page.$eval('table.live tbody tr', (r) => r.textContent);
  check(row.includes(marker) && row.includes(source.token.id) && row.includes(W.system.id), 'the row shows the message with its system and token');
  await docShot(page, 'live-tail');
  await clickText(page, 'section.tail button', 'Stop live tail');
  check((await textOf(page, '[data-tail-state]')) === 'stopped', 'the tail stops');
};

/** The rejected chart's refusals on the page, summed by reason from its bars, and its legend. */
const rejectedBars = (page) => page.$$eval('figure.chart', (figs) => {
  const fig = figs.find((f) => f.querySelector('figcaption strong')?.textContent.startsWith('Rejected requests per minute'));
  if (!fig) return null;
  const sums = {};
  for (const r of fig.querySelectorAll('rect.bar')) {
    const key = [...r.classList].find((c) => c.startsWith('k-')).slice(2);
    sums[key] = (sums[key] || 0) + Number(r.querySelector('title').textContent.match(/UTC: (\d+) /)[1]);
  }
  const legend = [...fig.querySelectorAll('.legend')].map((l) => [l.dataset.key, l.textContent]);
  return { sums, legend };
});

tests.usage_rejections_by_reason = async (page) => {
  // A token with a limit of one request an hour: two bodies that do not
  // decode (400, invalid), one request taken, then two over the limit (429).
  const minted = await admin('POST', `/systems/${W.system.id}/tokens`, S.su, { name: 'nightly import', security: { rate_limit: '1/hour' } });
  for (let i = 0; i < 2; i++) {
    const r = await ingest(minted.secret, { level: 'info' });
    check(r.status === 400, `a body without a message is refused (${r.status})`);
  }
  check((await ingest(minted.secret, { message: 'the one of this hour' })).status === 202, 'one request is taken');
  for (let i = 0; i < 2; i++) {
    const r = await ingest(minted.secret, { message: 'over the limit' });
    check(r.status === 429, `over the token's limit (${r.status})`);
  }
  await signIn(page, W.alice);
  for (const [where, hash] of [['token', `#/tokens/${minted.token.id}/overview`], ['system', `#/systems/${W.system.id}/usage`]]) {
    await go(page, hash, 'figure.chart');
    const chart = await rejectedBars(page);
    check(chart, `the ${where} page has a rejected chart`);
    // The system also counts the other tests' refusals of its tokens.
    const atLeast = where === 'token' ? (n) => n === 2 : (n) => n >= 2;
    check(atLeast(chart.sums.invalid) && atLeast(chart.sums.rate_limited), `the ${where}'s bars split by reason (${JSON.stringify(chart.sums)})`);
    const legend = Object.fromEntries(chart.legend);
    check(legend.invalid === 'invalid' && legend.rate_limited === 'rate limited', `the ${where}'s legend names both reasons (${JSON.stringify(chart.legend)})`);
    check(!('unrecorded' in legend), `nothing unrecorded on the ${where} page`);
  }
};

tests.pages_for_the_docs = async (page) => {
  // The remaining main pages, each rendered without a script error.
  await signIn(page, S.su);
  await go(page, '#/tenants', 'table.list');
  await docShot(page, 'tenants');
  await go(page, `#/systems/${W.system.id}/messages`, 'table.messages');
  await docShot(page, 'messages');
  await go(page, `#/systems/${W.system.id}/usage`, 'figure.chart');
  await docShot(page, 'usage');
  const tokens = await admin('GET', `/systems/${W.system.id}/tokens`, S.su);
  const checkout = tokens.items.find((t) => t.name === 'checkout');
  await go(page, `#/tokens/${checkout.id}/overview`, 'ol.timeline');
  await docShot(page, 'token-overview');
  await go(page, `#/tokens/${checkout.id}/security`, '.danger-zone');
  await docShot(page, 'token-security');
  // The whole chain, verified by the server (GET /audit/verification).
  await go(page, `#/tenants/${W.acme.id}/audit`, 'p.chain[data-chain=whole]');
  const verdict = await textOf(page, 'p.chain');
  const head = await admin('GET', '/audit/verification', S.su);
  check(verdict.includes('verified') && verdict.includes(head.head.id), `the chain is shown verified (${verdict})`);
  check(!verdict.includes('broken'), 'and not broken');
  // Verify now walks it again: a newer check, still verified.
  const first = await page.$eval('p.chain', (e) => e.dataset.checkedAt);
  await clickText(page, 'p.chain button', 'Verify now');
  await page.waitForFunction((before) => {
    const p = document.querySelector('p.chain[data-chain=whole]');
    return p && p.dataset.checkedAt > before && p.textContent.includes('verified');
  }, {}, first);
  await docShot(page, 'audit');
  await go(page, '#/audit?action=tenant.create', 'p.chain');
  await page.waitForFunction(() => document.querySelector('form.filters input[name=action]')?.value === 'tenant.create'
    && !document.querySelector('nav.tabs'));
  const rows = await page.$$eval('table.list tbody tr td:nth-child(2)', (c) => c.map((x) => x.textContent));
  check(rows.length === 2 && rows.every((a) => a === 'tenant.create'), `the filtered audit log of every tenant (${rows})`);
  await go(page, '#/approvals?status=all', 'nav.filters');
  await page.waitForFunction(() => document.querySelector('nav.filters a[aria-current=page]')?.textContent === 'all');
  await go(page, `#/tenants/${W.acme.id}/usage`, 'figure.chart');
  await go(page, `#/tenants/${W.acme.id}/users`, 'form.inline');
  const aliceRow = await page.$$eval('table.list tbody tr', (rows) => rows.findIndex((r) => r.textContent.includes('alice@acme.example')));
  await (await page.$$('table.list tbody tr'))[aliceRow].$('button').then((b) => b.click());
  await page.waitForSelector('dialog.modal[open] table.list');
  check((await textOf(page, 'dialog.modal')).includes('alice browser'), 'a user\'s personal tokens are listed');
  await clickText(page, 'dialog.modal button', '×');
  // A superuser moves the free tenant to pro: its New Token offers more.
  await go(page, `#/tenants/${W.free.id}/systems`, 'details.edit');
  await page.click('details.edit summary');
  await page.select('details.edit select[name=tier]', 'pro');
  await page.click('details.edit button[type=submit]');
  await confirmed(page, 'Tenant saved');
  await go(page, `#/systems/${W.freeSystem.id}/tokens`, '.toolbar button');
  await clickText(page, 'button', 'New Token');
  await page.waitForSelector('dialog.modal[open] select[name=retention_days]');
  const options = await page.$$eval('dialog.modal select[name=retention_days] option', (o) => o.map((x) => x.value));
  check(JSON.stringify(options) === '["7","30","90"]', `pro offers 7, 30, 90 (got ${options})`);
};

// ---------------------------------------------------------------------------

const only = process.argv.slice(2);
let failed = 0;
try {
  S = await startSluiced();
  browser = await puppeteer.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  await setUp();
  for (const [name, fn] of Object.entries(tests)) {
    if (only.length && !only.includes(name)) continue;
    const started = Date.now();
    const page = await newPage();
    const before = scriptErrors.length;
    try {
      await fn(page);
      check(scriptErrors.length === before, `no script error or foreign request in the page: ${scriptErrors.slice(before).join('; ')}`);
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${e.message}`);
    } finally {
      await shot(page, name).catch(() => {});
      await page.browserContext().close();
    }
  }
} catch (e) {
  failed++;
  console.log(`FAIL set-up: ${e.stack}`);
} finally {
  await browser?.close();
  if (S) {
    S.proc.kill('SIGTERM');
    await new Promise((r) => { S.proc.on('exit', r); setTimeout(r, 5000); });
    // The test's throwaway superuser secret is in the banner: left out.
    if (failed) console.log(`sluiced output:\n${S.output().slice(-4000).replace(/\b(alu|als|alw|al)_[0-9A-Za-z]{20,}/g, '$1_…')}`);
    rmSync(S.dir, { recursive: true, force: true });
  }
}
console.log(`${failed ? 'FAILED' : 'passed'}; screenshots in ${ARTIFACTS}`);
process.exit(failed ? 1 : 0);

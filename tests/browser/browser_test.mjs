// A real browser against the orders example: Debian's Chromium, headless, driven by
// playwright-core. The single-page app is served from one origin (127.0.0.1:A), the API from
// another (127.0.0.1:B); an attacker page from a third origin of the same site (127.0.0.1:C)
// and from another site (localhost:C).
//
// usage: node browser_test.mjs <path to the orders binary>
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = process.argv[2];
const ACCESS_TTL = 2;

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed += 1;
    console.log(`ok   ${name}`);
  } else {
    failed += 1;
    console.log(`FAIL ${name}: ${JSON.stringify(detail)}`);
  }
}

// A static server for the pages, on 127.0.0.1 only.
function servePages() {
  const server = http.createServer((req, res) => {
    const name = path.basename(new URL(req.url, 'http://x').pathname);
    const file = path.join(here, 'pages', name);
    if (!name.endsWith('.html') || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// Starts the orders binary; resolves with its base URL and a token from its start-up banner.
function startOrders(corsOrigin) {
  const child = spawn(binary, [], {
    env: {
      ...process.env,
      AUTH_ADDR: '127.0.0.1:0',
      AUTH_CORS_ORIGIN: corsOrigin,
      AUTH_ACCESS_TTL: String(ACCESS_TTL),
      AUTH_LEEWAY: '0',
      AUTH_FAILURE_LIMIT: '0',
      // Bearer only: the challenges this page reads are RFC 6750's (DPoP has its own suite).
      AUTH_DPOP: 'off',
      RUST_LOG: 'warn',
      AUTH_JWT_SECRET: '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('orders did not start: ' + out)), 30000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const base = out.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const token = out.match(/Authorization: Bearer ([A-Za-z0-9._-]+)'/);
      if (base && token) {
        clearTimeout(timer);
        resolve({ child, base: base[1], readToken: token[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`orders exited with ${code}: ${out}`)));
  });
}

const pages = await servePages();
const attacker = await servePages();
const appOrigin = `http://127.0.0.1:${pages.address().port}`;
const orders = await startOrders(appOrigin);
const api = orders.base;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${appOrigin}/app.html?api=${encodeURIComponent(api)}`);

  // 1. Header tokens across origins: the page reads the challenge.
  const none = await page.evaluate(() => call('/orders'));
  check('no token: 401', none.status === 401, none);
  // Every Bearer challenge names the protected-resource metadata (RFC 9728 §5.1).
  const metadata = `, resource_metadata="${api}/.well-known/oauth-protected-resource"`;
  check('no token: the page reads WWW-Authenticate', none.challenge === `Bearer realm="orders"${metadata}`, none);
  check('no token: problem body readable', none.body && none.body.error === 'unauthorized', none);
  const bad = await page.evaluate(() => call('/orders', { token: 'not.a.jwt' }));
  check('bad token: 401 invalid_token challenge readable',
    bad.status === 401 && bad.challenge === `Bearer realm="orders", error="invalid_token"${metadata}`, bad);
  const good = await page.evaluate((t) => call('/orders', { token: t }), orders.readToken);
  check('header token: 200 after the preflight', good.status === 200 && Array.isArray(good.body), good);
  const forbidden = await page.evaluate(
    (t) => call('/orders', { method: 'POST', token: t, json: { item: 'x', quantity: 1 } }),
    orders.readToken);
  check('header token without orders:write: 403 with scope readable',
    forbidden.status === 403 && forbidden.challenge.includes('error="insufficient_scope"'), forbidden);

  // 2. The cookie transport: login, request, write, expiry, refresh, logout.
  check('login: 204', (await page.evaluate(() => login('ops', 'ops-dev-password'))) === 204);
  const cookies = await context.cookies(api);
  const access = cookies.find((c) => c.name === 'orders_access');
  check('the access cookie is HttpOnly', access && access.httpOnly === true, cookies);
  const readable = await page.evaluate(() => document.cookie);
  check('no token is visible to the page', !readable.includes('eyJ'), readable);
  const list = await page.evaluate(() => call('/orders', { cookies: true }));
  check('cookie: GET 200', list.status === 200, list);
  const created = await page.evaluate(
    () => call('/orders', { method: 'POST', cookies: true, json: { item: 'book', quantity: 2 } }));
  check('cookie: POST from the trusted origin 201', created.status === 201, created);
  // The number of orders, as the SPA sees it (refreshing if the short-lived token expired).
  const count = async () => {
    const r = await page.evaluate(() => callWithRefresh('/orders'));
    const last = r.second || r.first;
    return last.status === 200 ? last.body.length : `status ${last.status}`;
  };
  const countBefore = await count();

  await page.waitForTimeout((ACCESS_TTL + 1) * 1000);
  const flow = await page.evaluate(() => callWithRefresh('/orders'));
  check('expired cookie token: 401 token_expired, readable',
    flow.first.status === 401 && flow.first.body.error === 'token_expired'
      && flow.first.challenge.includes('error_description="The access token expired"'), flow);
  check('refresh: 204', flow.refreshed === 204, flow);
  check('after refresh: 200', flow.second && flow.second.status === 200, flow);

  // 3. Forged requests from other pages, while the browser holds a valid session cookie.
  for (const [name, origin, expected] of [
    // Same site (cookies are sent), another origin: the framework's CSRF defence refuses.
    ['same-site cross-origin form POST', `http://127.0.0.1:${attacker.address().port}`, 403],
    // Another site: SameSite=Lax keeps the cookie home, so there are no credentials at all.
    ['cross-site form POST', `http://localhost:${attacker.address().port}`, 401],
  ]) {
    const evil = await context.newPage();
    const answered = evil.waitForResponse(
      (r) => r.url() === `${api}/orders` && r.request().method() === 'POST');
    await evil.goto(`${origin}/attacker.html?api=${encodeURIComponent(api)}`);
    const res = await answered;
    const body = await res.text();
    check(`${name}: refused with ${expected}`, res.status() === expected, { status: res.status(), body });
    if (expected === 403) {
      check(`${name}: problem cross_site_request`, body.includes('"cross_site_request"'), body);
    }
    await evil.close();
  }
  const countAfter = await count();
  check('no forged order was created',
    countAfter === countBefore && typeof countAfter === 'number', { countBefore, countAfter });

  // 4. EventSource with the access_token query parameter.
  const event = await page.evaluate((t) => firstEvent(t), orders.readToken);
  check('EventSource with ?access_token: event received', event.ok && event.data.orders === countAfter, event);
  const noEvent = await page.evaluate(() => firstEvent('not.a.jwt'));
  check('EventSource with a bad token: refused', noEvent.ok === false, noEvent);

  // 5. Logout ends the session.
  check('logout: 204', (await page.evaluate(() => logout())) === 204);
  const after = await page.evaluate(() => call('/orders', { cookies: true }));
  check('after logout: 401 with the plain challenge',
    after.status === 401 && after.challenge === `Bearer realm="orders"${metadata}`, after);
} catch (error) {
  failed += 1;
  console.log(`FAIL the browser test stopped: ${error.stack || error}`);
} finally {
  await browser.close();
  orders.child.kill();
  pages.close();
  attacker.close();
}

console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

// The web page in a real browser (Debian's chromium, headless, driven by
// puppeteer-core from web/node_modules), against a running stack: log in as a
// broker, place an order through the ticket, see it in the book, cross it from
// SQL as the other broker, see the trade, the candle and the fill appear
// without a reload, cancel the rest.  Run by regress/e2e/web_page.sh, which
// starts the stack and passes it in the environment:
//   PGX_WEB_URL       the page, e.g. http://127.0.0.1:PORT/
//   PGX_WEB_USER, PGX_WEB_PASSWORD, PGX_WEB_ACCOUNT   the broker on the page
//   PGX_WEB_CONTRA, PGX_WEB_CONTRA_ACCOUNT            the broker psql crosses with
//   PGX_WEB_SYMBOL    a symbol with tick 0.01 and an empty book
//   PGX_WEB_SHOT      where the screenshot goes (a .png)
//   PGX_WEB_PROFILE   chromium's profile directory (inside the stack: whatever
//                     is left of the browser dies with it)
//   PGX_WEB_RESTART   a shell command that restarts the server (the page must
//                     reconnect its streams)
//   PG* for psql
// Prints one "ok N - what" or "not ok N - what" line per check, and exits 1
// on the first failure.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const top = join(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(top, 'web/package.json'));
const puppeteer = require('puppeteer-core');

const env = (k) => {
	const v = process.env[k];
	if (!v) throw new Error(`${k} is not set`);
	return v;
};
const URL_ = env('PGX_WEB_URL');
const USER = env('PGX_WEB_USER');
const PASSWORD = env('PGX_WEB_PASSWORD');
const ACCOUNT = env('PGX_WEB_ACCOUNT');
const CONTRA = env('PGX_WEB_CONTRA');
const CONTRA_ACCOUNT = env('PGX_WEB_CONTRA_ACCOUNT');
const SYMBOL = env('PGX_WEB_SYMBOL');
const SHOT = env('PGX_WEB_SHOT');
const PROFILE = env('PGX_WEB_PROFILE');
const WAIT_MS = Number(process.env.PGX_WEB_WAIT_MS || 20000);
// a shell command that restarts the HTTP server on the same port (optional)
const RESTART = process.env.PGX_WEB_RESTART || '';

// the order the test enters; a price no double holds exactly
const PRICE = '189.57';
const QTY = 100;
const CROSS = 40;
// the other broker's asks before the page opens, best first
const ASKS = [[50, '189.61'], [25, '189.65'], [10, '189.70']];

let n = 0;
function ok(what) {
	console.log(`ok ${++n} - ${what}`);
}

// psql as the contra broker: the cross comes from SQL, not from the page
function sql(text) {
	return execFileSync('psql', ['-X', '-Atq', '-v', 'ON_ERROR_STOP=1', '-c', text], { encoding: 'utf8' }).trim();
}

const browser = await puppeteer.launch({
	executablePath: process.env.PGX_CHROMIUM || '/usr/bin/chromium',
	headless: true,
	userDataDir: PROFILE,
	// root in a container: chromium's sandbox needs user namespaces it may not have
	args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
});
const errors = [];
let page;
try {
	page = await browser.newPage();
	await page.setViewport({ width: 1400, height: 900 });
	page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
	page.on('console', (m) => {
		if (m.type() === 'error') console.log(`# console: ${m.text()}`);
	});
	const posts = [];
	page.on('request', (r) => {
		if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/order') posts.push(r.postData());
	});

	// text of the first element matching a selector, or null
	const text = (sel) => page.$eval(sel, (e) => e.textContent).catch(() => null);
	async function until(what, fn, ...args) {
		try {
			await page.waitForFunction(fn, { timeout: WAIT_MS, polling: 50 }, ...args);
		} catch (e) {
			throw new Error(`${what}: not seen within ${WAIT_MS} ms (${e.message.split('\n')[0]})`);
		}
		ok(what);
	}

	// a market before the page opens: the other broker's asks, and one trade
	// (the page's broker lifts 5 of the best ask from SQL)
	for (const [q, p] of ASKS)
		sql(`SET ROLE ${CONTRA}; SELECT status FROM exchange.submit_order('${CONTRA_ACCOUNT}', '${SYMBOL}', 'sell', ${q}, ${p}, time_in_force => 'gtc')`);
	const lift = sql(`SET ROLE ${USER}; SELECT status || ' ' || filled_quantity FROM exchange.submit_order('${ACCOUNT}', '${SYMBOL}', 'buy', 5, ${ASKS[0][1]})`);
	if (lift !== 'filled 5') throw new Error(`the first trade from SQL answered "${lift}"`);
	ok(`a market from SQL: asks ${ASKS.map(([q, p]) => q + ' @ ' + p).join(', ')}, then 5 @ ${ASKS[0][1]} traded`);

	const navStart = Date.now();
	const nav = await page.goto(`${URL_}#${encodeURIComponent(SYMBOL)}`, { waitUntil: 'load' });
	if (!nav || nav.status() !== 200) throw new Error(`GET ${URL_}: HTTP ${nav && nav.status()}`);
	ok('the page loads from the HTTP server');
	await until('the chart library is served from web/vendor and draws', () =>
		typeof window.LightweightCharts === 'object' && document.querySelector('#chart canvas') !== null);
	await until('logged out, the public book and the last candle show', () =>
		document.querySelectorAll('#asks tr').length === 3 && document.getElementById('last-candle').dataset.close !== '');
	const timing = await page.evaluate(() => {
		const n = performance.getEntriesByType('navigation')[0];
		const slow = performance.getEntriesByType('resource').sort((a, b) => b.duration - a.duration).slice(0, 3);
		return `DOMContentLoaded at ${Math.round(n.domContentLoadedEventEnd)} ms; slowest: ` +
			slow.map((r) => `${new URL(r.name).pathname} ${Math.round(r.duration)} ms`).join(', ');
	});
	console.log(`# the page with its book and chart took ${Date.now() - navStart} ms from navigation (one sample; ${timing})`);

	// a wrong password: PostgreSQL refuses it, the page says so and shows no ticket
	await page.type('#login-user', USER);
	await page.type('#login-password', PASSWORD + 'x');
	await page.click('#login button[type=submit]');
	await until('a wrong password is refused (401) and the ticket stays hidden', () =>
		/^login failed: 401/.test(document.getElementById('login-status').textContent) &&
		document.getElementById('ticket-panel').hidden);
	await page.$eval('#login-password', (e) => (e.value = ''));
	await page.type('#login-password', PASSWORD);
	await page.click('#login button[type=submit]');
	await until(`logged in as ${USER}: the ticket shows`, () => !document.getElementById('ticket-panel').hidden);
	await until(`the book shows the asks, best ${ASKS[0][0] - 5} @ ${ASKS[0][1]} next to the spread`, (p, q) => {
		const rows = [...document.querySelectorAll('#asks tr')];
		const best = rows[rows.length - 1];
		return rows.length === 3 && best.dataset.price === p && best.cells[1].textContent === q &&
			document.querySelectorAll('#bids tr').length === 0;
	}, ASKS[0][1], String(ASKS[0][0] - 5));
	await until(`the chart's last candle is that trade, 5 @ ${ASKS[0][1]}`, (p) =>
		document.getElementById('last-candle').dataset.close === p && document.getElementById('last-candle').dataset.volume === '5', ASKS[0][1]);

	await until(`the recent trades start with that trade (the L1's last)`, (p) => {
		const r = document.querySelector('#trades tr');
		return r !== null && r.dataset.price === p && r.dataset.quantity === '5';
	}, ASKS[0][1]);
	await until(`my fills show that trade`, (p) =>
		[...document.querySelectorAll('#fills tr')].some((r) => r.dataset.price === p), ASKS[0][1]);

	// a price finer than the tick is refused by the ticket, nothing is sent
	await page.evaluate((acct) => (document.getElementById('t-account').value = acct), ACCOUNT);
	await page.type('#t-price', '189.575');
	await page.type('#t-quantity', String(QTY));
	await page.click('#t-submit');
	await until('a price finer than the tick is refused in the page', () =>
		/more than 2 decimals/.test(document.getElementById('ticket-status').textContent));
	if (posts.length !== 0) throw new Error(`the refused ticket sent ${posts.length} request(s)`);
	ok('the refused ticket sent no request');

	// the order: buy 100 at 189.57, gtc
	await page.$eval('#t-price', (e) => (e.value = ''));
	await page.type('#t-price', PRICE);
	await page.select('#t-tif', 'gtc');
	await page.click('#t-submit');
	await until('the ticket places the order', () => /^order \d+: new/.test(document.getElementById('ticket-status').textContent));
	const orderId = (await text('#ticket-status')).match(/^order (\d+)/)[1];
	const body = JSON.parse(posts[0]);
	if (posts.length !== 1 || body.price !== PRICE || body.quantity !== QTY || body.symbol !== SYMBOL || body.account !== ACCOUNT)
		throw new Error(`the order's body was ${posts[0]}`);
	if (!posts[0].includes(`"price":"${PRICE}"`)) throw new Error(`price not sent as the decimal string: ${posts[0]}`);
	ok(`the body carries the price as the string "${PRICE}" and the quantity as an integer`);

	await until(`the open orders list order ${orderId}`, (id) =>
		document.querySelector(`#orders tr[data-order-id="${id}"]`) !== null, orderId);
	const bookHas = (p, q) => `[...document.querySelectorAll('#bids tr')].some((r) => r.dataset.price === '${p}' && r.cells[1].textContent === '${q}')`;
	await until(`the book shows the bid ${QTY} @ ${PRICE}`, bookHas(PRICE, QTY));

	// from here on the page must not reload: a mark on its window survives only
	// in the same document
	await page.evaluate(() => (window.__pgxNoReload = 'same document'));
	const navigations = [];
	page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));

	// the cross, from SQL as the other broker: sell 40 at the bid
	const crossSent = Date.now();
	const cross = sql(`SET ROLE ${CONTRA}; SELECT status || ' ' || filled_quantity FROM exchange.submit_order('${CONTRA_ACCOUNT}', '${SYMBOL}', 'sell', ${CROSS}, ${PRICE})`);
	if (cross !== `filled ${CROSS}`) throw new Error(`the cross from SQL answered "${cross}"`);
	ok(`psql as ${CONTRA} sold ${CROSS} @ ${PRICE}: ${cross}`);

	await until(`the recent trades show ${CROSS} @ ${PRICE}`, (p, q) =>
		[...document.querySelectorAll('#trades tr')].some((r) => r.dataset.price === p && r.dataset.quantity === q), PRICE, String(CROSS));
	const crossDone = Date.now();
	const shown = await page.evaluate(() => window.__pgxLastTradeShownAt);
	// one sample, on whatever load the machine has: the psql child's start,
	// the order's round trip and commit, the server's notify, SSE, the page
	console.log(`# the trade was on the page ${shown - crossSent} ms after psql started (psql returned after ${crossDone - crossSent} ms or less)`);
	// the same minute as the first trade, unless the minute turned in between
	await until(`the last candle closes at ${PRICE} with volume ${CROSS} (+5 in the same minute)`, (p, q) => {
		const c = document.getElementById('last-candle').dataset;
		return c.close === p && (c.volume === q || c.volume === String(Number(q) + 5));
	}, PRICE, String(CROSS));
	await until(`my fills show order ${orderId} filled ${CROSS} @ ${PRICE}`, (id, p) =>
		[...document.querySelectorAll('#fills tr')].some((r) => r.dataset.orderId === id && r.dataset.price === p), orderId, PRICE);
	await until(`the book shows the rest, ${QTY - CROSS} @ ${PRICE}`, bookHas(PRICE, QTY - CROSS));
	await until(`the open order shows ${QTY - CROSS} open`, (id, q) => {
		const r = document.querySelector(`#orders tr[data-order-id="${id}"]`);
		return r !== null && r.cells[4].textContent === q;
	}, orderId, String(QTY - CROSS));

	mkdirSync(dirname(SHOT), { recursive: true });
	await page.screenshot({ path: SHOT, fullPage: true });
	ok(`screenshot ${SHOT}`);
	// the one-column layout of a phone's width, to look at
	await page.setViewport({ width: 420, height: 900 });
	await page.screenshot({ path: SHOT.replace(/\.png$/, '-narrow.png'), fullPage: true });
	await page.setViewport({ width: 1400, height: 900 });
	ok(`screenshot ${SHOT.replace(/\.png$/, '-narrow.png')} (420 px wide)`);

	// the server's own candles at 1 s agree with what the page folded in live
	await page.click('.resolutions button[data-resolution="1"]');
	await until(`the 1 s candles from the server end with the trade, ${CROSS} @ ${PRICE}`, (p, q) => {
		const c = document.getElementById('last-candle').dataset;
		return c.close === p && c.volume === q && document.querySelector('[data-resolution="1"]').getAttribute('aria-pressed') === 'true';
	}, PRICE, String(CROSS));

	// cancel the rest through the page
	await page.click(`#orders tr[data-order-id="${orderId}"] button`);
	await until(`order ${orderId} is canceled and leaves the open orders`, (id) =>
		document.querySelector(`#orders tr[data-order-id="${id}"]`) === null, orderId);
	await until('the book has no bids again', () =>
		document.querySelectorAll('#bids tr').length === 0 && /one-sided/.test(document.getElementById('spread').textContent));
	const left = sql(`SELECT count(*) FROM exchange.order_book_l3('${SYMBOL}', 100) WHERE side = 'buy'`);
	if (left !== '0') throw new Error(`the book in SQL still has ${left} bid(s)`);
	ok('the book in SQL has no bids either');

	// a stop-limit through the ticket: its stop price is checked against the
	// tick like the price, sent as the string typed, and the order waits outside
	// the book (the last trade, 189.57, is below its stop)
	await page.select('#t-type', 'stop_limit');
	await page.$eval('#t-price', (e) => (e.value = ''));
	await page.type('#t-price', '189.80');
	await page.type('#t-stop', '189.755');
	const before = posts.length;
	await page.click('#t-submit');
	await until('a stop price finer than the tick is refused in the page', () =>
		/stop price has more than 2 decimals/.test(document.getElementById('ticket-status').textContent));
	if (posts.length !== before) throw new Error('the refused stop-limit sent a request');
	await page.$eval('#t-stop', (e) => (e.value = ''));
	await page.type('#t-stop', '189.75');
	await page.click('#t-submit');
	await until('the ticket places the stop-limit', () => /^order \d+: new/.test(document.getElementById('ticket-status').textContent));
	const stopId = (await text('#ticket-status')).match(/^order (\d+)/)[1];
	const stopBody = posts[posts.length - 1];
	if (posts.length !== before + 1 || !stopBody.includes('"orderType":"stop_limit"') || !stopBody.includes('"price":"189.80"') ||
		!stopBody.includes('"stopPrice":"189.75"') || stopBody.includes('postOnly') || stopBody.includes('expireTime'))
		throw new Error(`the stop-limit's body was ${stopBody}`);
	ok(`the stop-limit's body carries "stopPrice":"189.75" as a string: ${stopBody}`);
	await until(`the open orders list the waiting stop-limit ${stopId} with its stop`, (id) => {
		const r = document.querySelector(`#orders tr[data-order-id="${id}"]`);
		return r !== null && r.cells[3].textContent === '189.80 stop 189.75';
	}, stopId);
	if (sql(`SELECT count(*) FROM exchange.order_book_l3('${SYMBOL}', 100) WHERE order_id = ${stopId}`) !== '0')
		throw new Error('the waiting stop-limit is in the book');
	await page.click(`#orders tr[data-order-id="${stopId}"] button`);
	await until(`the stop-limit ${stopId} is canceled and leaves the open orders`, (id) =>
		document.querySelector(`#orders tr[data-order-id="${id}"]`) === null, stopId);

	// a post-only, good-till-date limit: the expiry typed in local time goes as
	// RFC 3339 UTC, the flag as a JSON true
	await page.select('#t-type', 'limit');
	await page.$eval('#t-price', (e) => (e.value = ''));
	await page.type('#t-price', '189.50');
	await page.select('#t-tif', 'gtd');
	await page.click('#t-submit');
	await until('a good-till-date order without its expiry is refused in the page', () =>
		/needs its expiry/.test(document.getElementById('ticket-status').textContent));
	const expiry = await page.evaluate(() => {
		const t = new Date(Date.now() + 3600e3);
		const p = (x) => String(x).padStart(2, '0');
		const local = `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())}T${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}`;
		document.getElementById('t-expire').value = local;
		return new Date(local).toISOString();
	});
	await page.click('#t-post');
	await page.click('#t-submit');
	await until('the ticket places the post-only gtd order', () => /^order \d+: new/.test(document.getElementById('ticket-status').textContent));
	const gtdId = (await text('#ticket-status')).match(/^order (\d+)/)[1];
	const gtdBody = posts[posts.length - 1];
	if (!gtdBody.includes('"postOnly":true') || !gtdBody.includes(`"expireTime":"${expiry}"`) || !gtdBody.includes('"timeInForce":"gtd"'))
		throw new Error(`the post-only gtd order's body was ${gtdBody}`);
	const journaled = sql(`SELECT post_only || ' ' || (expire_time = '${expiry}'::timestamptz) FROM exchange.journal WHERE seq = ${gtdId} AND idx = 0`);
	if (journaled !== 'true true') throw new Error(`order ${gtdId} was journaled with post_only, expire_time: ${journaled}`);
	ok(`the post-only gtd order's body carries "postOnly":true and "expireTime":"${expiry}", journaled as such`);
	await until('the book shows the post-only bid 100 @ 189.50', bookHas('189.50', QTY));
	await page.click(`#orders tr[data-order-id="${gtdId}"] button`);
	await until(`the gtd order ${gtdId} is canceled and the book has no bids again`, (id) =>
		document.querySelector(`#orders tr[data-order-id="${id}"]`) === null && document.querySelectorAll('#bids tr').length === 0, gtdId);
	await page.click('#t-post');
	await page.select('#t-tif', 'day');

	// the server restarts under the page: both streams drop and reconnect, and
	// the page is live again, still without a reload
	if (RESTART) {
		execFileSync('bash', ['-c', RESTART], { stdio: 'inherit' });
		ok('pgx-httpd restarted');
		sql(`SET ROLE ${CONTRA}; SELECT status FROM exchange.submit_order('${CONTRA_ACCOUNT}', '${SYMBOL}', 'sell', 7, 189.99, time_in_force => 'gtc')`);
		await until('after the restart the market stream is back: a new ask 7 @ 189.99 shows', () =>
			[...document.querySelectorAll('#asks tr')].some((r) => r.dataset.price === '189.99' && r.cells[1].textContent === '7'));
		// the executions stream reconnected (its second connection said ready)
		// before the fill: the fill must come as an event, not from the
		// reconnect's reread
		await until('the executions stream reconnected (a second ready event)', () =>
			document.getElementById('broker-stream').dataset.ready === '2');
		const lift = sql(`SET ROLE ${USER}; SELECT id || ' ' || status FROM exchange.submit_order('${ACCOUNT}', '${SYMBOL}', 'buy', 3, 189.99)`);
		const [liftId, liftStatus] = lift.split(' ');
		if (liftStatus !== 'filled') throw new Error(`the lift from SQL answered "${lift}"`);
		// (it buys at the best ask, 189.61, not at its limit)
		await until(`after the restart the executions stream is back: the fill of order ${liftId}, 3 @ ${ASKS[0][1]}, shows`, (id, p) =>
			[...document.querySelectorAll('#fills tr')].some((r) => r.dataset.orderId === id && r.dataset.price === p), liftId, ASKS[0][1]);
	}

	await page.click('#logout');
	await until('after Log out the ticket, orders and fills are gone', () =>
		document.getElementById('ticket-panel').hidden && document.getElementById('fills-panel').hidden &&
		document.querySelectorAll('#fills tr').length === 0 && !document.getElementById('login').hidden);

	const mark = await page.evaluate(() => window.__pgxNoReload);
	if (mark !== 'same document' || navigations.length !== 0)
		throw new Error(`the page reloaded or navigated: ${JSON.stringify(navigations)}`);
	ok('no reload or navigation since the order was placed');
	if (errors.length) throw new Error(errors.join('; '));
	ok('no script errors on the page');
	console.log(`${n} passed, 0 failed`);
} catch (e) {
	console.log(`not ok ${++n} - ${e.message}`);
	if (page) {
		try {
			mkdirSync(dirname(SHOT), { recursive: true });
			await page.screenshot({ path: SHOT.replace(/\.png$/, '-failed.png'), fullPage: true });
			console.log(`# screenshot of the failure: ${SHOT.replace(/\.png$/, '-failed.png')}`);
		} catch {
			/* the browser is gone */
		}
	}
	for (const err of errors) console.log(`# ${err}`);
	process.exitCode = 1;
} finally {
	await browser.close();
}

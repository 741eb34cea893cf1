// pgexchange's page: pick a symbol, see its L2 book, candles and trades live,
// and, logged in as a broker, enter and cancel orders and see its fills.
// Plain modules, no framework.  Prices stay decimal strings or BigInt units
// (js/decimal.js) from the server's answer to the screen and back.
import * as dec from './decimal.js';
import { request, query, stream, setCredentials, loggedIn, ApiError } from './api.js';

const $ = (id) => document.getElementById(id);

// how many buckets of history the chart loads for each resolution
const HISTORY_BUCKETS = 500;
const BOOK_DEPTH = 10;
const MAX_TRADES = 50;
const MAX_FILLS = 100;

const state = {
	symbol: null,
	scale: 2, // decimals of the symbol's prices
	tickUnits: 1n, // the tick in units of 10^-scale
	resolution: 60,
	candles: [], // {time, open, high, low, close (BigInt units), volume (BigInt)}
	symbolStream: null,
	brokerStream: null,
	user: null,
	orders: new Map(), // id (string) -> order
	fills: new Map(), // execution id (string) -> fill
	bookSeq: null, // asOfSeq of the book shown
	lastEventId: null, // of the market stream
};

// ---- small helpers -----------------------------------------------------------

function el(tag, attrs = {}, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (k === 'class') e.className = v;
		else if (k.startsWith('data-')) e.setAttribute(k, v);
		else if (k === 'text') e.textContent = v;
		else e[k] = v;
	}
	for (const c of children) e.append(c);
	return e;
}

function say(id, text, isError = false) {
	const n = $(id);
	n.textContent = text;
	n.classList.toggle('error', isError);
}

function errorText(e) {
	if (e instanceof ApiError) {
		const b = e.body;
		return `${e.status}${b.sqlstate ? ' ' + b.sqlstate : ''}: ${b.message || b.error || e.message}`;
	}
	return e.message || String(e);
}

// a time the server sent: epoch milliseconds (number or digits) or ISO 8601
function epochMs(v) {
	if (typeof v === 'number') return v;
	if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
	const t = Date.parse(v);
	return Number.isNaN(t) ? null : t;
}

function clock(ms) {
	return ms === null ? '' : new Date(ms).toISOString().slice(11, 19);
}

// a price the server sent (decimal string, or an exact JSON number kept as
// text by api.js) as units at the symbol's scale; the scale grows if the
// server sends more decimals than we assumed
function units(price) {
	const text = String(price);
	const d = dec.parse(text);
	if (!d) return null;
	if (d.scale > state.scale) rescale(d.scale);
	return dec.toUnits(text, state.scale);
}

function rescale(scale) {
	const f = 10n ** BigInt(scale - state.scale);
	state.tickUnits *= f;
	for (const c of state.candles) for (const k of ['open', 'high', 'low', 'close']) c[k] *= f;
	state.scale = scale;
	chart.applyScale();
}

const price = (u) => dec.format(u, state.scale);

// ---- symbols ----------------------------------------------------------------

async function loadSymbols() {
	try {
		const r = await request('GET', '/v1/symbols');
		const list = r.symbols || [];
		const dl = $('symbols');
		dl.replaceChildren(...list.map((s) => el('option', { value: s.symbol, text: s.description || '' })));
		return list;
	} catch {
		return [];
	}
}

async function selectSymbol(symbol, symbols = []) {
	symbol = symbol.trim().toUpperCase();
	if (!symbol || symbol === state.symbol) return;
	state.symbol = symbol;
	history.replaceState(null, '', '#' + encodeURIComponent(symbol));
	const info = symbols.find((s) => s.symbol === symbol);
	state.scale = 2;
	state.tickUnits = 1n;
	if (info && info.tickSize && dec.scaleOf(String(info.tickSize)) !== null) {
		state.scale = dec.scaleOf(String(info.tickSize));
		state.tickUnits = dec.toUnits(String(info.tickSize), state.scale);
	}
	chart.applyScale();
	state.bookSeq = null;
	$('trades').replaceChildren();
	say('symbol-status', `loading ${symbol}…`);
	if (state.symbolStream) state.symbolStream.stop();
	// the stream first, then the snapshots: nothing between them is lost
	state.lastEventId = null;
	state.symbolStream = stream(`/v1/stream/marketdata${query({ symbol })}`, onSymbolEvent, (s, d, opens) => {
		say('market-stream', `market data stream ${symbol}: ${s}${d ? ' (' + d + ')' : ''}`, s === 'error');
		$('market-stream').dataset.opens = String(opens ?? $('market-stream').dataset.opens ?? 0);
		// a new stream: its ids start again, its first event is the book; the
		// candles of the time between are read again
		if (s === 'open') state.lastEventId = null;
		if (s === 'open' && opens > 1) loadCandles();
	});
	await Promise.all([loadBook(), loadCandles(), loadLast()]);
	if (loggedIn()) await Promise.all([loadFills(), loadOpenOrders()]);
	renderOrders();
}

// ---- L2 book ------------------------------------------------------------------

async function loadBook() {
	const symbol = state.symbol;
	try {
		const r = await request('GET', `/v1/marketdata/orderBook/L2${query({ symbol, depth: BOOK_DEPTH })}`);
		if (symbol !== state.symbol) return;
		renderBook(r);
	} catch (e) {
		if (symbol === state.symbol) say('symbol-status', `${symbol}: ${errorText(e)}`, true);
	}
}

function renderBook(r) {
	// the newest book wins: a snapshot read by GET may answer after a newer
	// book event of the stream
	if (r.asOfSeq != null && state.bookSeq != null && r.asOfSeq < state.bookSeq) return;
	if (r.asOfSeq != null) state.bookSeq = r.asOfSeq;
	const bids = (r.bids || []).slice(0, BOOK_DEPTH).map(([p, q]) => ({ p: String(p), q: BigInt(q) }));
	const asks = (r.asks || []).slice(0, BOOK_DEPTH).map(([p, q]) => ({ p: String(p), q: BigInt(q) }));
	let max = 1n;
	for (const l of [...bids, ...asks]) if (l.q > max) max = l.q;
	const row = (l) =>
		el(
			'tr',
			{ 'data-price': l.p },
			el('td', {}, el('span', { class: 'v', text: l.p })),
			el(
				'td',
				{},
				el('span', { class: 'depth', style: `width:${Number((l.q * 100n) / max)}%` }),
				el('span', { class: 'v', text: l.q.toString() }),
			),
		);
	// asks best (lowest) at the bottom, next to the bids' best at the top
	$('asks').replaceChildren(...asks.slice().reverse().map(row));
	$('bids').replaceChildren(...bids.map(row));
	if (bids.length && asks.length) {
		const s = units(asks[0].p) - units(bids[0].p);
		$('spread').textContent = `spread ${price(s)}`;
	} else {
		$('spread').textContent = bids.length || asks.length ? 'one-sided book' : 'empty book';
	}
	$('book-seq').textContent = r.asOfSeq != null ? `as of seq ${r.asOfSeq}` : '';
}

// the last trade before the page opened (L1; the REST API has no public list
// of trades), and the symbol's session
async function loadLast() {
	const symbol = state.symbol;
	try {
		const r = await request('GET', `/v1/marketdata/orderBook/L1${query({ symbol })}`);
		if (symbol !== state.symbol) return;
		if (r.last && $('trades').children.length === 0) addTrade({ ...r.last, before: true });
		say('symbol-status', `${symbol}: market ${r.status}`);
	} catch (e) {
		if (symbol === state.symbol) say('symbol-status', `${symbol}: ${errorText(e)}`, true);
	}
}

// ---- candles -------------------------------------------------------------------

const chart = {
	api: null,
	series: null,
	volume: null,
	init() {
		const LC = window.LightweightCharts;
		if (!LC) {
			$('chart').textContent = 'chart library missing (web/vendor: run make web)';
			return;
		}
		this.api = LC.createChart($('chart'), {
			autoSize: true,
			layout: { background: { color: '#18202a' }, textColor: '#c8d1db' },
			grid: { vertLines: { color: '#222c38' }, horzLines: { color: '#222c38' } },
			timeScale: { timeVisible: true, secondsVisible: true, rightOffset: 4, barSpacing: 14 },
		});
		this.series = this.api.addSeries(LC.CandlestickSeries, {
			upColor: '#2fbf71',
			downColor: '#ef5350',
			borderVisible: false,
			wickUpColor: '#2fbf71',
			wickDownColor: '#ef5350',
		});
		this.volume = this.api.addSeries(LC.HistogramSeries, {
			priceScaleId: 'volume',
			priceFormat: { type: 'volume' },
			color: '#3b4b5e',
			lastValueVisible: false,
			priceLineVisible: false,
		});
		this.api.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
		this.series.priceScale().applyOptions({ scaleMargins: { top: 0.1, bottom: 0.25 } });
	},
	// the series plots integer units (exact in a double); labels are formatted
	// from them with BigInt
	applyScale() {
		if (!this.series) return;
		this.series.applyOptions({
			priceFormat: { type: 'custom', minMove: 1, formatter: (v) => price(BigInt(Math.round(v))) },
		});
	},
	point(c) {
		return {
			time: c.time,
			open: Number(c.open),
			high: Number(c.high),
			low: Number(c.low),
			close: Number(c.close),
		};
	},
	set(candles) {
		if (!this.series) return;
		this.series.setData(candles.map((c) => this.point(c)));
		this.volume.setData(candles.map((c) => ({ time: c.time, value: Number(c.volume) })));
		this.api.timeScale().scrollToRealTime();
	},
	update(c) {
		if (!this.series) return;
		this.series.update(this.point(c));
		this.volume.update({ time: c.time, value: Number(c.volume) });
	},
};

function candleOf(raw) {
	const t = epochMs(raw.timestampMs ?? raw.timestamp);
	return {
		time: Math.floor(t / 1000),
		open: units(raw.open),
		high: units(raw.high),
		low: units(raw.low),
		close: units(raw.close),
		volume: BigInt(raw.volume ?? 0),
	};
}

async function loadCandles() {
	const symbol = state.symbol;
	const resolution = state.resolution;
	const startTime = Date.now() - HISTORY_BUCKETS * resolution * 1000;
	try {
		const r = await request('GET', `/v1/marketdata/candles${query({ symbol, resolution, startTime })}`);
		if (symbol !== state.symbol || resolution !== state.resolution) return;
		state.candles = (r.candles || []).map(candleOf).sort((a, b) => a.time - b.time);
		chart.set(state.candles);
		showLastCandle();
	} catch (e) {
		if (symbol === state.symbol) say('symbol-status', `candles: ${errorText(e)}`, true);
	}
}

function showLastCandle() {
	const c = state.candles[state.candles.length - 1];
	$('last-candle').textContent = c
		? `last candle ${new Date(c.time * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC: ` +
			`O ${price(c.open)} H ${price(c.high)} L ${price(c.low)} C ${price(c.close)} V ${c.volume}`
		: 'no trades in this range yet';
	$('last-candle').dataset.close = c ? price(c.close) : '';
	$('last-candle').dataset.volume = c ? c.volume.toString() : '';
}

// ---- trades ----------------------------------------------------------------------

function addTrade(t) {
	// the stream's trades carry the seq, not a time: shown at their arrival
	const ms = epochMs(t.timeMs ?? t.time) ?? Date.now();
	const u = units(t.price);
	if (u === null) return;
	const qty = BigInt(t.quantity);
	const side = t.aggressorSide || t.side || '';
	const tr = el(
		'tr',
		{ class: t.before ? '' : 'new', 'data-price': price(u), 'data-quantity': qty.toString() },
		el('td', { text: clock(ms) }),
		el('td', { class: side, text: price(u) }),
		el('td', { text: qty.toString() }),
	);
	const body = $('trades');
	// when the last trade reached the screen (the browser test reports the delay)
	if (!t.before) window.__pgxLastTradeShownAt = Date.now();
	body.prepend(tr);
	while (body.children.length > MAX_TRADES) body.lastChild.remove();
}

// ---- the symbol's stream -------------------------------------------------------------

// events of /v1/stream/marketdata (docs/rest.md): "book" (the L2 book: first
// a snapshot, then again after every batch that changed it), "increment" (the
// batch's changes, order by order: the book event that follows has their sum),
// "trade", "candle" (the current candle at 1 s, 1 min and 1 h after trades),
// "gap" (events were lost; the stream ends and stream() reconnects)
function onSymbolEvent(ev) {
	const d = ev.data;
	// ids are consecutive per stream: a jump is a lost event (the next book
	// event repairs the book; the candles are read again)
	const id = ev.id !== undefined && /^\d+$/.test(ev.id) ? BigInt(ev.id) : null;
	if (id !== null && state.lastEventId !== null && id !== state.lastEventId + 1n) loadCandles();
	if (id !== null) state.lastEventId = id;
	if (typeof d !== 'object' || d === null) return;
	if (d.symbol && d.symbol !== state.symbol) return;
	switch (ev.event) {
		case 'book':
			renderBook(d);
			break;
		case 'trade':
			addTrade(d);
			break;
		case 'candle':
			for (const c of d.candles || []) if (Number(c.resolution) === state.resolution) candleEvent(c);
			break;
		case 'gap':
			// the stream ends after it; the reconnect brings a new book snapshot
			say('market-stream', `market data stream ${state.symbol}: gap, reconnecting`, true);
			break;
	}
}

function candleEvent(raw) {
	const c = candleOf(raw);
	const last = state.candles[state.candles.length - 1];
	if (last && c.time < last.time) return;
	if (last && c.time === last.time) state.candles[state.candles.length - 1] = c;
	else state.candles.push(c);
	chart.update(c);
	showLastCandle();
}

// ---- broker: login, orders, fills ------------------------------------------------------

async function login(user, password) {
	setCredentials(user, password);
	say('login-status', 'checking…');
	try {
		// an authenticated read proves the credentials; the broker's accounts fill the ticket
		await request('GET', '/v1/whoami');
		state.user = user;
		const r = await request('GET', '/v1/accounts');
		const accounts = (r.accounts || []).map((a) => a.account);
		$('accounts').replaceChildren(...accounts.map((a) => el('option', { value: a })));
		if (accounts.length && !$('t-account').value) $('t-account').value = accounts[0];
	} catch (e) {
		setCredentials(null);
		say('login-status', `login failed: ${errorText(e)}`, true);
		return;
	}
	say('login-status', '');
	$('session-user').textContent = user;
	$('login').hidden = true;
	$('session').hidden = false;
	for (const id of ['ticket-panel', 'orders-panel', 'fills-panel']) $(id).hidden = false;
	state.brokerStream = stream('/v1/stream/executions', onBrokerEvent, (s, d, opens) => {
		say('broker-stream', `executions stream: ${s}${d ? ' (' + d + ')' : ''}`, s === 'error');
		$('broker-stream').dataset.opens = String(opens ?? $('broker-stream').dataset.opens ?? 0);
		if (s === 'open' && opens > 1) {
			loadOpenOrders();
			loadFills();
		}
	});
	await Promise.all([loadOpenOrders(), loadFills()]);
}

function logout() {
	if (state.brokerStream) state.brokerStream.stop();
	state.brokerStream = null;
	say('broker-stream', '');
	delete $('broker-stream').dataset.ready;
	setCredentials(null);
	state.user = null;
	state.orders.clear();
	state.fills.clear();
	$('orders').replaceChildren();
	$('fills').replaceChildren();
	$('login').hidden = false;
	$('session').hidden = true;
	for (const id of ['ticket-panel', 'orders-panel', 'fills-panel']) $(id).hidden = true;
}

// the broker's open orders in the shown symbol (GET /v1/orders: the book's
// view, without status: open); the state of one comes from /v1/order/{id}
async function loadOpenOrders() {
	if (!state.symbol || !loggedIn()) return;
	const symbol = state.symbol;
	try {
		const r = await request('GET', `/v1/orders${query({ symbol })}`);
		const open = new Set();
		for (const o of r.orders || []) {
			open.add(String(o.id));
			upsertOrder({ status: 'open', ...state.orders.get(String(o.id)), ...o, symbol });
		}
		// an order of this symbol that left the book while nobody looked
		for (const o of state.orders.values())
			if (o.symbol === symbol && OPEN.has(o.status) && !open.has(o.id)) refreshOrder(o.id, symbol);
	} catch (e) {
		say('ticket-status', `open orders: ${errorText(e)}`, true);
	}
	renderOrders();
}

function upsertOrder(o) {
	const id = String(o.id ?? o.orderId);
	const prev = state.orders.get(id) || {};
	// the server shows a stop's price only once it fired: the one the ticket
	// sent stays until then
	state.orders.set(id, { ...prev, ...o, id, stopPrice: o.stopPrice ?? prev.stopPrice });
}

const OPEN = new Set(['open', 'new', 'partially_filled']);

function renderOrders() {
	const rows = [];
	for (const o of [...state.orders.values()].sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1))) {
		if (!OPEN.has(o.status) || (state.symbol && o.symbol && o.symbol !== state.symbol)) continue;
		const cancel = el('button', { type: 'button', text: 'Cancel' });
		cancel.setAttribute('aria-label', `Cancel order ${o.id}`);
		cancel.addEventListener('click', () => cancelOrder(o.id, cancel));
		rows.push(
			el(
				'tr',
				{ 'data-order-id': o.id },
				el('td', { text: o.id }),
				el('td', { text: o.account || '' }),
				el('td', { class: o.side, text: o.side }),
				el('td', { text: (o.price ?? 'market') + (o.stopPrice ? ` stop ${o.stopPrice}` : '') }),
				el('td', { text: String(o.remainingQuantity ?? '') }),
				el('td', { text: String(o.filledQuantity ?? 0) }),
				el('td', { text: String(o.status).replace('_', ' ') }),
				el('td', {}, cancel),
			),
		);
	}
	$('orders').replaceChildren(...rows);
}

async function cancelOrder(id, button) {
	button.disabled = true;
	try {
		const r = await request('DELETE', `/v1/order/${encodeURIComponent(id)}`);
		upsertOrder({ ...r, id });
		say('ticket-status', `order ${id} ${r.status}`);
	} catch (e) {
		button.disabled = false;
		say('ticket-status', `cancel ${id}: ${errorText(e)}`, true);
	}
	renderOrders();
}

// a datetime-local value (the browser's local time, no zone) as the RFC 3339
// UTC time the server takes; the server judges whether it is in the future
function expireTime(local) {
	const t = local ? new Date(local) : null;
	if (!t || Number.isNaN(t.getTime())) throw new Error('a good-till-date order needs its expiry date and time');
	return t.toISOString();
}

// the ticket's inputs that the order type and time in force allow
function ticketInputs() {
	const type = $('t-type').value;
	$('t-price').disabled = type === 'market' || type === 'stop';
	$('t-stop').disabled = type !== 'stop' && type !== 'stop_limit';
	$('t-expire').disabled = $('t-tif').value !== 'gtd';
}

async function placeOrder(ev) {
	ev.preventDefault();
	const type = $('t-type').value;
	let body;
	try {
		const quantity = dec.ticketQuantity($('t-quantity').value);
		// the body is written by hand so the quantity is an exact JSON integer and
		// the price the decimal string the broker typed (checked against the tick)
		const fields = {
			symbol: state.symbol,
			side: document.querySelector('input[name=side]:checked').value,
			orderType: type,
			timeInForce: $('t-tif').value,
			account: $('t-account').value.trim(),
		};
		if (type === 'limit' || type === 'stop_limit')
			fields.price = dec.ticketPrice($('t-price').value, state.scale, state.tickUnits);
		// the stop price goes as the decimal string typed too, checked against the tick
		if (type === 'stop' || type === 'stop_limit')
			fields.stopPrice = dec.ticketPrice($('t-stop').value, state.scale, state.tickUnits, 'stop price');
		if ($('t-post').checked) fields.postOnly = true;
		if (fields.timeInForce === 'gtd') fields.expireTime = expireTime($('t-expire').value);
		const clordid = $('t-clordid').value.trim();
		if (clordid) fields.clientOrderId = clordid;
		if (!fields.symbol) throw new Error('pick a symbol first');
		if (!fields.account) throw new Error('account is required');
		body = JSON.stringify(fields).replace(/}$/, `,"quantity":${quantity}}`);
	} catch (e) {
		say('ticket-status', e.message, true);
		return;
	}
	$('t-submit').disabled = true;
	say('ticket-status', 'sending…');
	try {
		const fields = JSON.parse(body);
		const r = await request('POST', '/v1/order', body);
		upsertOrder({ ...fields, ...r, quantity: String(fields.quantity) });
		say('ticket-status', `order ${r.id}: ${r.status}, filled ${r.filledQuantity}, open ${r.remainingQuantity}`);
		$('t-clordid').value = '';
		renderOrders();
	} catch (e) {
		say('ticket-status', `refused: ${errorText(e)}`, true);
	} finally {
		$('t-submit').disabled = false;
	}
}

async function loadFills() {
	if (!state.symbol || !loggedIn()) return;
	try {
		const r = await request('GET', `/v1/execution${query({ symbol: state.symbol })}`);
		for (const x of r.executions || []) addFill(x, false);
	} catch (e) {
		say('ticket-status', `fills: ${errorText(e)}`, true);
	}
	renderFills();
}

function addFill(x, live = true) {
	const id = String(x.id ?? `${x.seq}.${x.idx}`);
	if (state.fills.has(id)) return;
	state.fills.set(id, { ...x, id, live });
}

function renderFills() {
	const list = [...state.fills.values()]
		.filter((x) => !state.symbol || !x.symbol || x.symbol === state.symbol)
		.sort((a, b) => (epochMs(b.timeMs) ?? 0) - (epochMs(a.timeMs) ?? 0))
		.slice(0, MAX_FILLS);
	$('fills').replaceChildren(
		...list.map((x) =>
			el(
				'tr',
				{ class: x.live ? 'new' : '', 'data-order-id': String(x.orderId), 'data-price': String(x.price) },
				el('td', { text: clock(epochMs(x.timeMs)) }),
				el('td', { text: String(x.orderId) }),
				el('td', { class: x.side, text: x.side }),
				el('td', { text: String(x.price) }),
				el('td', { text: String(x.quantity) }),
			),
		),
	);
}

// events of /v1/stream/executions: "execution" names a fill of one of the
// broker's orders ({seq, idx, symbol, account, order_id, side}); its price and
// quantity are read from /v1/execution, the order's state from /v1/order/{id}
function onBrokerEvent(ev) {
	const d = ev.data;
	if (typeof d !== 'object' || d === null) return;
	if (ev.event === 'gap') return; // the stream ends; the reconnect reads orders and fills again
	if (ev.event === 'ready') {
		// the server subscribed this connection: events from here on arrive
		const n = $('broker-stream');
		n.dataset.ready = String(Number(n.dataset.ready || 0) + 1);
		return;
	}
	if (ev.event !== 'execution') return;
	const orderId = String(d.order_id ?? d.orderId);
	refreshOrder(orderId, d.symbol);
}

async function refreshOrder(orderId, symbol) {
	try {
		const [o, x] = await Promise.all([
			request('GET', `/v1/order/${encodeURIComponent(orderId)}`),
			request('GET', `/v1/execution${query({ symbol: symbol || state.symbol, orderId })}`),
		]);
		upsertOrder({ ...o, id: orderId });
		for (const f of x.executions || []) addFill(f, true);
	} catch (e) {
		say('ticket-status', `order ${orderId}: ${errorText(e)}`, true);
	}
	renderOrders();
	renderFills();
}

// ---- wiring --------------------------------------------------------------------------

async function main() {
	chart.init();
	const symbols = await loadSymbols();
	const input = $('symbol');
	input.addEventListener('change', () => selectSymbol(input.value, symbols));
	for (const b of document.querySelectorAll('.resolutions button')) {
		b.addEventListener('click', () => {
			for (const o of document.querySelectorAll('.resolutions button')) o.setAttribute('aria-pressed', String(o === b));
			state.resolution = Number(b.dataset.resolution);
			loadCandles();
		});
	}
	$('login').addEventListener('submit', (e) => {
		e.preventDefault();
		login($('login-user').value.trim(), $('login-password').value);
	});
	$('logout').addEventListener('click', logout);
	$('ticket').addEventListener('submit', placeOrder);
	$('t-type').addEventListener('change', ticketInputs);
	$('t-tif').addEventListener('change', ticketInputs);
	const first = decodeURIComponent(location.hash.slice(1)) || (symbols[0] && symbols[0].symbol) || '';
	input.value = first;
	if (first) await selectSymbol(first, symbols);
}

main();

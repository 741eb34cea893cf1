// The REST API /v1 (docs/rest.md) as the page uses it: JSON over fetch with
// HTTP Basic credentials, and Server-Sent Events read through fetch (an
// EventSource cannot send an Authorization header).

let authHeader = null;

// login(user, password): keep the credentials for the page's requests (in this
// tab's memory only; nothing is written to storage)
export function setCredentials(user, password) {
	authHeader = user ? 'Basic ' + btoa(unescape(encodeURIComponent(user + ':' + password))) : null;
}

export function loggedIn() {
	return authHeader !== null;
}

export class ApiError extends Error {
	constructor(status, body) {
		super((body && (body.message || body.error)) || `HTTP ${status}`);
		this.status = status;
		this.body = body || {};
	}
}

function headers(extra) {
	const h = { Accept: 'application/json', ...extra };
	if (authHeader) h.Authorization = authHeader;
	return h;
}

// request(method, path, body?): the answer's JSON, or throws ApiError with the
// server's {error, sqlstate, message}
export async function request(method, path, body) {
	// credentials 'omit': the Authorization header is ours; without it a 401
	// (WWW-Authenticate: Basic) would open the browser's own login dialog
	const init = {
		method,
		credentials: 'omit',
		headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
	};
	if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
	const r = await fetch(path, init);
	const text = await r.text();
	let json = null;
	if (text) {
		try {
			json = JSON.parse(text, keepNumbersExact);
		} catch {
			// not JSON (a proxy's or a static server's page): the status says it
			json = { message: r.statusText || `HTTP ${r.status}` };
		}
	}
	if (!r.ok) throw new ApiError(r.status, json);
	return json;
}

// JSON.parse turns numbers into doubles; a number the server sent that a
// double does not hold exactly (a price as an exact JSON number, a large id)
// is kept as its source text instead (the reviver's context, Chromium 114+)
function keepNumbersExact(key, value, context) {
	if (typeof value === 'number' && context && typeof context.source === 'string') {
		const src = context.source;
		if (!Number.isSafeInteger(value) || /[.eE]/.test(src)) return src;
	}
	return value;
}

export const query = (params) => {
	const q = new URLSearchParams();
	for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
	const s = q.toString();
	return s ? '?' + s : '';
};

// stream(path, onEvent, onState): reads text/event-stream from path until
// stop() is called; reconnects after a drop or the end of the stream (a
// pgx-httpd stream ends after a gap event; a new one starts with a fresh
// snapshot); onEvent({event, data, id}) with data parsed as JSON when it is
// JSON; onState('open' | 'closed' | 'error', detail, opens) where opens counts
// the connections made so far (more than 1: a reconnect, events may be lost)
export function stream(path, onEvent, onState = () => {}) {
	let stopped = false;
	let controller = null;
	let lastId = null;
	let delay = 500;
	let opens = 0;

	async function run() {
		while (!stopped) {
			controller = new AbortController();
			try {
				const h = headers({ Accept: 'text/event-stream' });
				if (lastId !== null) h['Last-Event-ID'] = lastId;
				const r = await fetch(path, { headers: h, signal: controller.signal, cache: 'no-store', credentials: 'omit' });
				if (!r.ok) {
					onState('error', `HTTP ${r.status}`);
					if (r.status === 401 || r.status === 403 || r.status === 404) return;
					throw new Error(`HTTP ${r.status}`);
				}
				onState('open', null, ++opens);
				delay = 500;
				await readEvents(r.body, (ev) => {
					if (ev.id !== undefined) lastId = ev.id;
					onEvent(ev);
				});
				onState('closed');
			} catch (e) {
				if (stopped) return;
				onState('error', e.message);
			}
			if (stopped) return;
			await new Promise((res) => setTimeout(res, delay));
			delay = Math.min(delay * 2, 8000);
		}
	}
	run();
	return {
		stop() {
			stopped = true;
			if (controller) controller.abort();
		},
	};
}

// the event-stream format (HTML Living Standard, server-sent events): lines
// "field: value", an empty line ends an event, ":" starts a comment
async function readEvents(body, emit) {
	const reader = body.pipeThrough(new TextDecoderStream()).getReader();
	let buf = '';
	let ev = { data: [] };
	for (;;) {
		const { value, done } = await reader.read();
		if (done) return;
		buf += value;
		let nl;
		while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
			const line = buf.slice(0, nl);
			buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
			if (line === '') {
				if (ev.data.length) {
					const text = ev.data.join('\n');
					let data = text;
					try {
						data = JSON.parse(text, keepNumbersExact);
					} catch {
						/* not JSON: the text itself */
					}
					emit({ event: ev.event || 'message', data, id: ev.id });
				}
				ev = { data: [] };
				continue;
			}
			if (line.startsWith(':')) continue;
			const colon = line.indexOf(':');
			const field = colon < 0 ? line : line.slice(0, colon);
			let val = colon < 0 ? '' : line.slice(colon + 1);
			if (val.startsWith(' ')) val = val.slice(1);
			if (field === 'data') ev.data.push(val);
			else if (field === 'event') ev.event = val;
			else if (field === 'id') ev.id = val;
		}
	}
}

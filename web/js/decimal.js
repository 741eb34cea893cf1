// Prices on this page are decimal strings from the server ("190.05") and never
// JavaScript numbers: a float cannot hold 0.1 exactly, and a price that
// changes on its way to the screen or into an order is a wrong price.  A price
// is held as a BigInt count of units of 10^-scale (190.05 at scale 2 is
// 19005n); the chart, which can only plot numbers, gets that integer count,
// which a double holds exactly up to 2^53.

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

// parse("190.05") -> {units: 19005n, scale: 2}; null for anything that is not a
// plain decimal (no exponent, no sign but a leading "-", no spaces)
export function parse(text) {
	if (typeof text !== 'string') return null;
	const m = DECIMAL.exec(text);
	if (!m) return null;
	const frac = m[3] || '';
	const units = BigInt(m[2] + frac);
	return { units: m[1] ? -units : units, scale: frac.length };
}

// units of the decimal at `scale`, or null when it has more digits than that
// scale holds (a price finer than the tick)
export function toUnits(text, scale) {
	const d = parse(text);
	if (!d) return null;
	if (d.scale <= scale) return d.units * 10n ** BigInt(scale - d.scale);
	const div = 10n ** BigInt(d.scale - scale);
	return d.units % div === 0n ? d.units / div : null;
}

// format(19005n, 2) -> "190.05"
export function format(units, scale) {
	const neg = units < 0n;
	let s = (neg ? -units : units).toString();
	if (scale > 0) {
		s = s.padStart(scale + 1, '0');
		s = s.slice(0, s.length - scale) + '.' + s.slice(s.length - scale);
	}
	return neg ? '-' + s : s;
}

// the number of decimals of a tick size ("0.01" -> 2, "1" -> 0), null if not one
export function scaleOf(text) {
	const d = parse(text);
	return d ? d.scale : null;
}

// compare two decimal strings exactly: -1, 0, 1
export function compare(a, b) {
	const x = parse(a);
	const y = parse(b);
	const s = Math.max(x.scale, y.scale);
	const u = x.units * 10n ** BigInt(s - x.scale);
	const v = y.units * 10n ** BigInt(s - y.scale);
	return u < v ? -1 : u > v ? 1 : 0;
}

// an order ticket's price: a positive decimal with at most `scale` decimals
// and a multiple of the tick (tickUnits at that scale); returns the canonical
// string to send, or throws with a message for the form
export function ticketPrice(text, scale, tickUnits = 1n, what = 'price') {
	const t = text.trim();
	const d = parse(t);
	if (!d || d.units <= 0n) throw new Error(`${what} must be a positive decimal, e.g. 189.50`);
	const units = toUnits(t, scale);
	if (units === null) throw new Error(`${what} has more than ${scale} decimals`);
	if (units % tickUnits !== 0n) throw new Error(`${what} is not a multiple of the tick ${format(tickUnits, scale)}`);
	return format(units, scale);
}

// a quantity: a positive integer, as a string of digits
export function ticketQuantity(text) {
	const t = text.trim();
	if (!/^[1-9]\d{0,14}$/.test(t)) throw new Error('quantity must be a positive whole number');
	return t;
}

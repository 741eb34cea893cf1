// web/js/decimal.js: the page's prices are decimal strings and BigInt units,
// never floats (node --test; scripts/test.sh counts it as suite web-unit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as dec from '../../web/js/decimal.js';

test('parse reads plain decimals exactly', () => {
	assert.deepEqual(dec.parse('190.05'), { units: 19005n, scale: 2 });
	assert.deepEqual(dec.parse('0.1'), { units: 1n, scale: 1 });
	assert.deepEqual(dec.parse('-3.000'), { units: -3000n, scale: 3 });
	assert.deepEqual(dec.parse('42'), { units: 42n, scale: 0 });
	assert.deepEqual(dec.parse('99999999999999999999.99'), { units: 9999999999999999999999n, scale: 2 });
});

test('parse refuses what is not a plain decimal', () => {
	for (const bad of ['', ' 1', '1 ', '1e3', '+1', '.5', '5.', '1,5', '0x10', 'NaN', 'Infinity', '--1'])
		assert.equal(dec.parse(bad), null, JSON.stringify(bad));
	assert.equal(dec.parse(1.5), null);
});

test('toUnits rescales exactly and refuses a finer price', () => {
	assert.equal(dec.toUnits('189.5', 2), 18950n);
	assert.equal(dec.toUnits('189.50', 2), 18950n);
	assert.equal(dec.toUnits('189.500', 2), 18950n);
	assert.equal(dec.toUnits('189.505', 2), null);
	assert.equal(dec.toUnits('7', 4), 70000n);
});

test('format writes units back as the same decimal string', () => {
	assert.equal(dec.format(19005n, 2), '190.05');
	assert.equal(dec.format(5n, 2), '0.05');
	assert.equal(dec.format(-5n, 3), '-0.005');
	assert.equal(dec.format(42n, 0), '42');
	// the float trap: 0.1 + 0.2 is 0.30000000000000004 as doubles, not here
	assert.equal(dec.format(dec.toUnits('0.1', 2) + dec.toUnits('0.2', 2), 2), '0.30');
	// beyond 2^53 units, still exact
	assert.equal(dec.format(9007199254740993n, 2), '90071992547409.93');
});

test('compare is exact across scales', () => {
	assert.equal(dec.compare('1.10', '1.1'), 0);
	assert.equal(dec.compare('1.09', '1.1'), -1);
	assert.equal(dec.compare('90071992547409.93', '90071992547409.92'), 1);
});

test('ticketPrice accepts a multiple of the tick and returns the canonical string', () => {
	assert.equal(dec.ticketPrice(' 189.5 ', 2), '189.50');
	assert.equal(dec.ticketPrice('189.57', 2), '189.57');
	assert.equal(dec.ticketPrice('10.05', 2, 5n), '10.05');
	assert.throws(() => dec.ticketPrice('10.03', 2, 5n), /not a multiple of the tick 0.05/);
	assert.throws(() => dec.ticketPrice('189.575', 2), /more than 2 decimals/);
	for (const bad of ['0', '0.00', '-1', 'abc', '1e2', ''])
		assert.throws(() => dec.ticketPrice(bad, 2), /positive decimal/, bad);
});

test('ticketQuantity takes whole positive numbers a double holds exactly', () => {
	assert.equal(dec.ticketQuantity(' 100 '), '100');
	assert.equal(dec.ticketQuantity('999999999999999'), '999999999999999');
	for (const bad of ['0', '-1', '1.5', '01', '1e3', '', '1000000000000000'])
		assert.throws(() => dec.ticketQuantity(bad), /positive whole number/, bad);
});

test('scaleOf gives a tick size\'s decimals', () => {
	assert.equal(dec.scaleOf('0.01'), 2);
	assert.equal(dec.scaleOf('1'), 0);
	assert.equal(dec.scaleOf('0.0001'), 4);
	assert.equal(dec.scaleOf('x'), null);
});

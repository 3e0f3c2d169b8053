import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parseSize } from '../../src/config/index.ts';

describe('parseDuration', () => {
  test('units and plain milliseconds', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('15s'), 15_000);
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration(' 15S '), 15_000);
    assert.equal(parseDuration(1200), 1200);
    assert.equal(parseDuration('1200'), 1200);
    assert.equal(parseDuration(0), 0);
  });

  test('rejects what is not a duration', () => {
    for (const bad of ['', 'abc', '5x', '10 minutes', 's', '-5s', '15s foo', '1d']) {
      assert.throws(() => parseDuration(bad), /invalid duration/, bad);
    }
    assert.throws(() => parseDuration(-1), /non-negative/);
    assert.throws(() => parseDuration(Number.NaN), /non-negative/);
  });
});

describe('parseSize', () => {
  test('units and plain bytes', () => {
    assert.equal(parseSize('20mb'), 20 * 1024 * 1024);
    assert.equal(parseSize('512kb'), 512 * 1024);
    assert.equal(parseSize('1gb'), 1024 ** 3);
    assert.equal(parseSize('100b'), 100);
    assert.equal(parseSize('2MB'), 2 * 1024 * 1024);
    assert.equal(parseSize(4096), 4096);
    assert.equal(parseSize('4096'), 4096);
  });

  test('rejects what is not a size', () => {
    for (const bad of ['', 'big', '20 megabytes', '5tb', 'mb']) assert.throws(() => parseSize(bad), /invalid size/, bad);
    assert.throws(() => parseSize(-5), /non-negative/);
  });
});

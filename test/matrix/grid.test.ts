// docs/dialect-matrix.md must be what the registry and the capability table say today.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DIALECTS, GRID_PATH, renderGrid } from './grid.ts';
import { registered } from './registry.ts';

test('docs/dialect-matrix.md is up to date (regenerate: node test/matrix/grid.ts --write)', () => {
  assert.equal(readFileSync(GRID_PATH, 'utf8'), renderGrid());
});

test('every registered front has a row in the grid', () => {
  const fronts = new Set(DIALECTS.map((d) => d.front));
  for (const f of registered().fronts) assert.ok(fronts.has(f), `front ${f} is in the grid`);
});

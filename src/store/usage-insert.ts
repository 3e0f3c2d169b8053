// Usage rows into SQLite, shared by the usage thread (store/usage-thread.ts) and, when that thread
// cannot run, the gateway's own connection: one transaction per batch, ROWS_PER_INSERT rows per
// INSERT statement (one call into SQLite per group instead of one per row; the shorter last group
// has a statement of its own size, prepared once per size).

import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { USAGE_COLUMNS, usageValues } from './columns.ts';
import type { UsageRow } from './types.ts';

export const ROWS_PER_INSERT = 32;
type Value = string | number | null;

/** The rows' column values, row after row, as the INSERT takes them (and as a thread receives them). */
export function usageArgs(rows: UsageRow[]): Value[] {
  const args: Value[] = [];
  for (const row of rows) {
    for (const v of usageValues(row, row.time.toISOString(), row.estimated ? 1 : 0) as Value[]) args.push(v);
  }
  return args;
}

export class UsageInserter {
  private readonly db: DatabaseSync;
  private readonly statements = new Map<number, StatementSync>();

  constructor(db: DatabaseSync) {
    this.db = db;
  }

  /** Writes the rows whose values `usageArgs` gave, in one transaction. */
  insert(args: Value[]): void {
    const width = USAGE_COLUMNS.length;
    const rows = args.length / width;
    if (rows === 0) return;
    this.db.exec('BEGIN');
    try {
      for (let i = 0; i < rows; i += ROWS_PER_INSERT) {
        const n = Math.min(ROWS_PER_INSERT, rows - i);
        this.statement(n).run(...args.slice(i * width, (i + n) * width));
      }
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  private statement(n: number): StatementSync {
    let stmt = this.statements.get(n);
    if (!stmt) {
      const values = `(${USAGE_COLUMNS.map(() => '?').join(', ')})`;
      stmt = this.db.prepare(`INSERT INTO sluice_usage (${USAGE_COLUMNS.join(', ')}) VALUES ${Array(n).fill(values).join(', ')}`);
      this.statements.set(n, stmt);
    }
    return stmt;
  }
}

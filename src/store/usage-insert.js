// @ts-check
// Usage rows into SQLite, shared by the usage thread (store/usage-worker.js) and, when that thread
// cannot run, the gateway's own connection (store/sqlite.ts): one transaction per batch,
// ROWS_PER_INSERT rows per INSERT statement (one call into SQLite per group instead of one per row;
// the shorter last group has a statement of its own size, prepared once per size).
//
// Plain JavaScript on purpose: the thread loads only .js files, so it does not load the TypeScript
// stripper into its own heap (a thread running .ts measured 93 against 82 MB of process memory).

/** @typedef {string | number | null} Value */

export const ROWS_PER_INSERT = 32;

export class UsageInserter {
  /**
   * @param {import('node:sqlite').DatabaseSync} db
   * @param {readonly string[]} columns the usage table's columns, in the order of each row's values
   */
  constructor(db, columns) {
    this.db = db;
    this.columns = columns;
    /** @type {Map<number, import('node:sqlite').StatementSync>} */
    this.statements = new Map();
  }

  /**
   * Writes the rows whose values `args` holds, row after row, in one transaction.
   * @param {Value[]} args
   */
  insert(args) {
    const width = this.columns.length;
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

  /** @param {number} n */
  statement(n) {
    let stmt = this.statements.get(n);
    if (!stmt) {
      const values = `(${this.columns.map(() => '?').join(', ')})`;
      stmt = this.db.prepare(`INSERT INTO sluice_usage (${this.columns.join(', ')}) VALUES ${Array(n).fill(values).join(', ')}`);
      this.statements.set(n, stmt);
    }
    return stmt;
  }
}

// Row <-> key limits, shared by both stores (NULL columns mean "no limit").

import type { KeyLimits } from './types.ts';

export interface LimitColumns {
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  concurrency: number | null;
}

export function limitsFromColumns(row: LimitColumns): KeyLimits {
  const limits: KeyLimits = {};
  if (row.models !== null) limits.models = JSON.parse(row.models) as string[];
  if (row.rpm !== null) limits.rpm = row.rpm;
  if (row.tpm !== null) limits.tpm = row.tpm;
  if (row.concurrency !== null) limits.concurrency = row.concurrency;
  return limits;
}

export function modelsColumn(limits: KeyLimits): string | null {
  return limits.models ? JSON.stringify(limits.models) : null;
}

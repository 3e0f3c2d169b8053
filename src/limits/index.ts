export { createAdmission, MINUTE_MS, SLOT_TTL_MS } from './admission.ts';
export { Budgets, formatUsd, periodOf, type BudgetOptions, type Period, type SpendSource } from './budget.ts';

export { createAdmission, MINUTE_MS, SLOT_TTL_MS } from './admission.ts';

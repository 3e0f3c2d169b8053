// `fallback`: the targets in the order the config lists them; later ones only when earlier ones fail
// or their circuit is open.

import type { OrderTargets } from './types.ts';

export const fallback: OrderTargets = (candidates) => [...candidates];

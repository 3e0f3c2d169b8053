// Optional services a running gateway wires in beside the pipeline: the key store, admission
// control, metrics. Each module adds itself here; the app itself stays ignorant of them.

import type { Logger } from 'pino';
import type { Config } from '../config/types.ts';
import type { AppOptions } from './app.ts';

export interface Services {
  appOptions: AppOptions;
  close(): Promise<void>;
}

export async function startServices(_config: Config, _log: Logger): Promise<Services> {
  return { appOptions: {}, async close() {} };
}

// The built-in `demo` provider type: an in-process upstream (core/protocol.ts Upstream kind 'local'),
// registered like every other provider type. No HTTP and no framing: its events go straight into the
// attempt's normalizer, so it exercises the whole rest of the pipeline.

import type { ProviderType } from '../../core/protocol.ts';
import { GatewayError } from '../../core/errors.ts';
import type { Protocol } from '../plugin.ts';
import { DEMO_DEFAULTS, runDemo } from './run.ts';

/** A non-streaming client waits for the whole answer: the demo then needs no token pacing. */
const UNPACED = { firstTokenMs: 0, tokenMs: 0 };

export const demoProviderType: ProviderType = {
  type: 'demo',
  defaultBaseUrl: '',
  create: () => ({
    kind: 'local',
    start: (req, _model, emit, opts) => {
      // Canned text cannot continue anyone's answer (docs/continuation.md): another target must.
      if (req.continuation) throw new GatewayError('unsupported', 'the demo provider cannot continue an answer');
      return runDemo(req, emit, opts.paced ? DEMO_DEFAULTS : UNPACED);
    },
  }),
};

export const demo: Protocol = { name: 'demo', providerTypes: [demoProviderType] };

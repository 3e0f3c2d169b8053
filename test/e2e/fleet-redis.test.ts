// Issue 4: the fleet suite (fleet-suite.ts) against one real redis-server.

import { fleetSuite } from './fleet-suite.ts';
import { startRedis } from '../helpers/redis.ts';

fleetSuite('one Redis', startRedis);

// Issue 14 item 6: the fleet suite (fleet-suite.ts) against a real 3-node Redis Cluster, named by
// its seed nodes (`redis: redis+cluster://h:p,h:p,h:p`): every key and script sluice uses works
// across the cluster's slots (hash tags), and the outage behaviour is the same as with one server.

import { fleetSuite } from './fleet-suite.ts';
import { startRedisCluster } from '../helpers/redis-cluster.ts';

fleetSuite('a Redis Cluster', startRedisCluster);

/**
 * Where a plugin-server process starts numbering its instances and events.
 *
 * Kong keeps the instance ids it was given across a restart of the plugin server: only a
 * `no plugin instance` answer makes it start one afresh (per config key before Kong 3.9), or the
 * `serverPid` notification, which neither kong-pdk's server nor this one sends. A process that
 * numbered from 0 again handed those very ids to the first instances Kong started after the
 * restart, so a request of one route ran with another route's config (its issuer, its
 * secrets) and Kong never noticed. A Step for an event of the dead process can likewise reach the
 * new one on a fresh pooled connection, and must not feed another request's event.
 *
 * Starting at a random point below 2^52 makes a stale id meet nothing (two processes' ranges
 * overlap with a chance of about ids used / 2^52), and the answer `no plugin instance` makes Kong
 * start the instance again. Ids stay exact integers: 2^52 more remain before 2^53.
 */
import { randomInt } from 'node:crypto';

/** A random integer in [0, 2^52): randomInt covers at most 2^48 values per call. */
export function randomIdBase(): number {
  return randomInt(0, 2 ** 20) * 2 ** 32 + randomInt(0, 2 ** 32);
}

/**
 * The recorded Kong 3.4.2 gateway (Postgres, test/fixtures/kong-admin) as the entity lists
 * fetchCurrent hands to buildCurrentState. The current-state, fetch and dump tests all describe
 * this one gateway; keeping its fixture numbers in one place keeps them describing the same one.
 */
import type { RawKongState } from '../../../cli/src/current/fetch';
import { listData } from '../kong/fixtures';

/** A fresh copy on every call: tests freeze, filter or extend what they get. */
export function recordedLists(): RawKongState {
  return {
    service: listData('103'),
    route: listData('106'),
    plugin: listData('107'),
    consumer: listData('109'),
    upstream: listData('110'),
    // Kong lists targets per upstream (GET /upstreams/{id}/targets), not as a collection of their own.
    target: listData('101'),
    keyauth_credential: listData('079'),
    jwt_secret: listData('080'),
    basicauth_credential: listData('081'),
    hmacauth_credential: listData('082'),
    acl: listData('083'),
  };
}

/**
 * One plan change → one Admin API write (apply/requests.ts): which method, path and body, and
 * whether it may be retried.
 */
import { describe, expect, it } from 'vitest';
import { buildWrite, type IdResolvers } from '../../../cli/src/apply/requests';
import { entity, update } from './helpers';

const SVC = '5a0e0000-0000-4000-8000-00000000000a';
const ids: IdResolvers = { desired: (k) => (k === 'service:orders' ? SVC : undefined), current: (k) => (k === 'service:orders' ? SVC : undefined) };
const newId = () => 'not-used';
const P = '3a0e0000-0000-4000-8000-0000000000f0';

describe('buildWrite, update', () => {
  it('PATCHes only the changed fields when the name stays', () => {
    const live = entity('plugin', { name: 'cors', config: { max_age: 1 }, enabled: true }, { service: 'service:orders' }, { id: P });
    const file = entity('plugin', { name: 'cors', config: { max_age: 7 }, enabled: true }, { service: 'service:orders' }, { id: P });
    expect(buildWrite(update(live, file, ['config.max_age']), ids, newId)).toEqual({ method: 'PATCH', path: `/plugins/${P}`, body: { config: { max_age: 7 } }, idempotent: true, id: P });
  });

  it('PUTs the whole entity when a plugin or a vault takes another name under its id', () => {
    // A PATCH would merge the live rate-limiting config into cors's, which Kong refuses.
    const live = entity('plugin', { name: 'rate-limiting', config: { minute: 5 }, enabled: true }, { service: 'service:orders' }, { id: P });
    const file = entity('plugin', { name: 'cors', config: { max_age: 7 }, enabled: true, protocols: null }, { service: 'service:orders', route: null }, { id: P });
    expect(buildWrite(update(live, file, ['name', 'config.max_age', 'config.minute']), ids, newId)).toEqual({
      method: 'PUT',
      path: `/plugins/${P}`,
      body: { name: 'cors', config: { max_age: 7 }, enabled: true, service: { id: SVC } },
      idempotent: true,
      id: P,
    });
    const V = '6a0e0000-0000-4000-8000-0000000000f0';
    const vault = entity('vault', { name: 'env', prefix: 'app', config: { prefix: 'APP_' } }, {}, { id: V });
    const aws = entity('vault', { name: 'aws', prefix: 'app', config: { region: 'eu-west-1' } }, {}, { id: V });
    expect(buildWrite(update(vault, aws, ['name', 'config.prefix', 'config.region']), ids, newId)).toMatchObject({ method: 'PUT', path: `/vaults/${V}`, body: { name: 'aws', prefix: 'app', config: { region: 'eu-west-1' } } });
  });
});

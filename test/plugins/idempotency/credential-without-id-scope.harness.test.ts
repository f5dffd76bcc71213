/**
 * A credential without an `id` still scopes the key to its client: Kong's ldap-auth, in the
 * releases before its credentials got an id (kong/plugins/ldap-auth/access.lua load_credential
 * `return {username = given_username, password = given_password}`, then
 * `kong.client.authenticate(nil, credential)`), is scoped by the username, never the password,
 * and never by the client IP other users share (draft-ietf-httpapi-idempotency-key-header §6).
 * A credential with neither id nor username is refused with Kong's 500 and a logged reason.
 * Found by review: such credentials fell back to the IP scope, so two users behind one address
 * got each other's stored responses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAllStores } from '../../../plugins/shared/store';
import { KongSim, PluginServerProcess, dumpAllPlugins, kongRoute, kongService, type NativePlugin } from '../../harness';
import { KONG_VERSION, PLUGIN_DIR, TestUpstream, assertBuilt, freshKey, post } from './env';

/** Kong's ldap-auth (kong/plugins/ldap-auth/access.lua, PRIORITY 1200), with the LDAP bind faked. */
const USERS: Record<string, string> = { alice: 'alice-pw', bob: 'bob-pw' };
const ldapAuth: NativePlugin = {
  name: 'ldap-auth',
  priority: 1200,
  defaults: { header_type: 'ldap', hide_credentials: false, anonymous: null },
  access(pdk) {
    const value = pdk.call('kong.request.get_header', 'authorization') as string | undefined;
    const m = /^ldap\s+(\S+)$/i.exec(value ?? '');
    const [user, pass] = m ? Buffer.from(m[1]!, 'base64').toString().split(':') : [];
    if (!user || USERS[user] !== pass) return void pdk.call('kong.response.exit', 403, { message: 'Invalid authentication credentials' });
    // load_credential: `return { username = given_username, password = given_password }`
    pdk.call('kong.client.authenticate', undefined, { username: user, password: pass });
    pdk.call('kong.service.request.set_header', 'X-Credential-Identifier', user);
  },
};
/** An auth plugin whose credential names no one (neither id nor username). */
const namelessAuth: NativePlugin = {
  name: 'nameless-auth',
  priority: 1200,
  access(pdk) {
    pdk.call('kong.client.authenticate', undefined, { secret: 'opaque' });
  },
};
const ldap = (user: string): [string, string] => ['Authorization', `ldap ${Buffer.from(`${user}:${USERS[user]}`).toString('base64')}`];

let upstream: TestUpstream;
let server: PluginServerProcess;
let sim: KongSim;

beforeAll(async () => {
  assertBuilt();
  upstream = new TestUpstream();
  await upstream.start();
  server = PluginServerProcess.underTest({
    pluginsDirectory: PLUGIN_DIR,
    prefix: fs.mkdtempSync(path.join(os.tmpdir(), 'idempotency-ldap-')),
    sockName: 'idempotency.sock',
  });
  await server.start();
  const service = kongService({ name: 'api', host: '127.0.0.1', port: upstream.port });
  const route = kongRoute({ name: 'ldap', paths: ['/ldap'], service: { id: service.id } });
  const nameless = kongRoute({ name: 'nameless', paths: ['/nameless'], service: { id: service.id } });
  sim = new KongSim({
    kongVersion: KONG_VERSION,
    servers: [{ name: 'idempotency', socketPath: server.socketPath, plugins: await dumpAllPlugins(PLUGIN_DIR) }],
    nativePlugins: [ldapAuth, namelessAuth],
    services: [service],
    routes: [route, nameless],
    plugins: [
      { name: 'idempotency', route: route.id, config: {} },
      { name: 'ldap-auth', route: route.id, config: {} },
      { name: 'idempotency', route: nameless.id, config: {} },
      { name: 'nameless-auth', route: nameless.id, config: {} },
    ],
  });
});
afterAll(async () => {
  sim?.close();
  await server?.stop();
  await closeAllStores();
  await upstream?.close();
});

describe('two ldap-auth users behind one address', () => {
  it('never get each other\'s stored response', async () => {
    const key = freshKey(); // or a low-entropy key such as "order-1": the draft's §6 case
    const asAlice = await sim.request({ ...post('/ldap/account', key, '{}', [ldap('alice')]), clientIp: '203.0.113.7' });
    expect(asAlice.status).toBe(201);
    expect(asAlice.upstreamRequest?.headers.first('x-credential-identifier')).toBe('alice');

    const asBob = await sim.request({ ...post('/ldap/account', key, '{}', [ldap('bob')]), clientIp: '203.0.113.7' });
    expect(asBob.status).toBe(201);
    // Bob is an authenticated, different principal: his request must reach the upstream, not
    // replay Alice's response.
    expect(asBob.headers.first('idempotent-replayed'), 'Bob was served Alice\'s stored response').toBeUndefined();
    expect(asBob.upstreamRequest?.headers.first('x-credential-identifier')).toBe('bob');

    // Each user's own retry still replays their own response.
    const aliceAgain = await sim.request({ ...post('/ldap/account', key, '{}', [ldap('alice')]), clientIp: '198.51.100.9' });
    expect(aliceAgain.headers.first('idempotent-replayed')).toBe('true');
    expect(aliceAgain.body.equals(asAlice.body)).toBe(true);
    const bobAgain = await sim.request({ ...post('/ldap/account', key, '{}', [ldap('bob')]), clientIp: '203.0.113.7' });
    expect(bobAgain.headers.first('idempotent-replayed')).toBe('true');
    expect(bobAgain.body.equals(asBob.body)).toBe(true);
  });
});

describe('a credential with neither id nor username', () => {
  it('is refused with Kong\'s 500 and a logged reason, never scoped by the client IP', async () => {
    const res = await sim.request({ ...post('/nameless/account', freshKey(), '{}'), clientIp: '203.0.113.7' });
    expect(res.status).toBe(500);
    expect(res.json()).toEqual({ message: 'An unexpected error occurred' });
    expect(res.upstreamRequest).toBeUndefined();
    expect(res.kongLog.some((l) => l.plugin === 'idempotency' && l.level === 'err' && /neither an id nor a username/.test(l.message))).toBe(true);
  });
});

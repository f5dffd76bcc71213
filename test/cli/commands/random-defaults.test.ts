/**
 * Kong's session plugin draws `config.secret`'s default at random when the schema module loads
 * (kong/plugins/session/schema.lua: `default = random_string()`), so GET /schemas/plugins/session
 * answers a different default after every restart and on every node. A plugin the file writes
 * without a secret holds the value its node drew when it was created: a file that leaves the
 * secret out must accept it (docs/plan-json.md: "values Kong generated for fields the file
 * leaves out ... never produce a change"), not plan to overwrite it with this node's default
 * (which would invalidate every session on each apply).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { ADMIN, liveNode } from './live-node';
import { nockSession } from './nock-session';

const { write } = nockSession('kong-ctl-random-defaults-', { unaskedAllowed: true });

const LIVE_SESSION = {
  id: '2b6f6d0e-9a51-4c47-8f7a-5f2c1a9e0d11',
  name: 'session',
  service: null,
  route: null,
  consumer: null,
  instance_name: null,
  enabled: true,
  tags: null,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  created_at: 1795466991,
  updated_at: 1795466991,
  config: {
    // drawn by the node (before a restart) that created the plugin: not the schema's current default
    secret: 'pY0kq2Xw9mB3sL7vN1cR5tE8uH4jG6fD0aZxQwErTyUi',
    storage: 'cookie',
    audience: 'default',
    idling_timeout: 900,
    rolling_timeout: 3600,
    absolute_timeout: 86400,
    stale_ttl: 10,
    cookie_name: 'session',
    cookie_path: '/',
    cookie_domain: null,
    cookie_same_site: 'Strict',
    cookie_http_only: true,
    cookie_secure: true,
    remember: false,
    remember_cookie_name: 'remember',
    remember_rolling_timeout: 604800,
    remember_absolute_timeout: 2592000,
    response_headers: null,
    request_headers: null,
    logout_methods: ['DELETE', 'POST'],
    logout_query_arg: 'session_logout',
    logout_post_arg: 'session_logout',
  },
};

describe('session plugin secret left to Kong', () => {
  it('is no change when the file does not set config.secret', async () => {
    liveNode({ plugins: [LIVE_SESSION] });
    const f = write('session.yaml', `_format_version: "3.0"\nplugins:\n- name: session\n`);
    const r = await runCli(['diff', '-f', f, '--kong-addr', ADMIN]);
    expect(r.stdout).not.toContain('config.secret');
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('is compared as any field when the file sets it', async () => {
    liveNode({ plugins: [LIVE_SESSION] });
    const f = write('session-set.yaml', `_format_version: "3.0"\nplugins:\n- name: session\n  config:\n    secret: rotated-secret-value\n`);
    const r = await runCli(['diff', '-f', f, '--kong-addr', ADMIN]);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain('config.secret');
    expect(r.stdout).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
  });
});

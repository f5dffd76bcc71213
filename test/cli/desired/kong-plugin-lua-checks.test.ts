/**
 * Bundled plugins' own Lua checks (kong-plugin-lua-checks.ts), which `/schemas` does not show:
 * through `kong-ctl validate`, at their line, with Kong's messages.
 */
import { describe, expect, it } from 'vitest';
import { located, yamlValidator } from './validate-yaml';

const diagnostics = yamlValidator('kong-ctl-plugin-lua-');
const validate = async (yaml: string) => (await diagnostics(yaml)).map(located);

describe("bundled plugins' Lua checks, offline", () => {
  it('request-transformer: header names, and body/querystring entries without a value', async () => {
    expect(
      await validate(`plugins:
- name: request-transformer
  config:
    remove:
      headers: [X-Old, "X Old"]
    rename:
      headers: ["X-From:X To"]
      querystring: ["from:"]
    add:
      headers: ["X Tenant:acme", "X-Ok:any value, with spaces"]
      querystring: [debug]
      body: ["a:1"]
`),
    ).toEqual([
      "6:24 plugins[0]: config.remove.headers[1]: 'X Old' is not a valid header",
      "8:17 plugins[0]: config.rename.headers[0]: 'X To' is not a valid header",
      "9:21 plugins[0]: config.rename.querystring[0]: key 'from' has no value",
      "11:17 plugins[0]: config.add.headers[0]: 'X Tenant' is not a valid header",
      "12:21 plugins[0]: config.add.querystring[0]: key 'debug' has no value",
    ]);
  });

  it('response-transformer: a rename to a name that is no header name', async () => {
    expect(
      await validate(`plugins:
- name: response-transformer
  config:
    rename:
      headers: ["X-Upstream:X Served By"]
`),
    ).toEqual(["6:17 plugins[0]: config.rename.headers[0]: 'X Served By' is not a valid header"]);
  });

  it('cors: an origin that is neither * nor a regex', async () => {
    expect(
      await validate(`plugins:
- name: cors
  config:
    origins: ["*", "https://app.example.com", "https://(.*\\\\.example.com"]
`),
    ).toEqual(["5:47 plugins[0]: config.origins[2]: 'https://(.*\\.example.com' is not a valid regex"]);
  });

  it('aws-lambda: a proxy spoken to in https', async () => {
    expect(
      await validate(`plugins:
- name: aws-lambda
  config:
    function_name: f
    aws_region: us-east-1
    proxy_url: https://proxy.internal:3128
`),
    ).toEqual(['7:16 plugins[0]: config.proxy_url: proxy_url scheme must be http']);
  });

  it('rate-limiting and response-ratelimiting: a longer period allowing fewer requests than a shorter one', async () => {
    expect(
      await validate(`plugins:
- name: rate-limiting
  config:
    second: 10
    minute: 5
- name: response-ratelimiting
  config:
    limits:
      video:
        minute: 100
        hour: 60.5
`),
    ).toEqual([
      '5:5 plugins[0]: config: The limit for minute(5.0) cannot be lower than the limit for second(10.0)',
      '11:9 plugins[1]: config.limits.video: The limit for hour(60.5) cannot be lower than the limit for minute(100.0)',
    ]);
  });

  it('request-termination: message with a body, a content type without one, echo with a body', async () => {
    expect(
      await validate(`plugins:
- name: request-termination
  config:
    message: gone
    body: '{"gone":true}'
- name: request-termination
  route: r
  config:
    content_type: application/json
- name: request-termination
  service: s
  config:
    echo: true
    body: x
    content_type: text/plain
services:
- name: s
  host: example.com
  routes:
  - name: r
    paths: [/]
`),
    ).toEqual([
      '5:5 plugins[0]: config: message cannot be used with content_type or body',
      '10:5 plugins[1]: config: content_type requires a body',
      '14:5 plugins[2]: config: echo cannot be used with content_type and body',
    ]);
  });

  it("oauth2: a config that enables no flow (they all default to false; Kong's own spec)", async () => {
    expect(
      await validate(`plugins:
- name: oauth2
  config:
    scopes: [read]
`),
    ).toEqual([
      '5:5 plugins[0]: config: at least one of these fields must be true: enable_authorization_code, enable_implicit_grant, enable_client_credentials, enable_password_grant',
    ]);
  });

  it('leaves good configs alone', async () => {
    expect(
      await validate(`plugins:
- name: request-transformer
  config:
    rename:
      headers: ["X-From:X-To"]
    append:
      querystring: ["a:b:c"]
- name: cors
  config:
    origins: ["https://.*\\\\.example\\\\.com"]
- name: aws-lambda
  config:
    function_name: f
    aws_region: us-east-1
    proxy_url: http://proxy.internal:3128
- name: rate-limiting
  config:
    second: 5
    hour: 5
- name: oauth2
  config:
    enable_client_credentials: true
- name: request-termination
  config:
    status_code: 403
    content_type: application/json
    body: '{"denied":true}'
`),
    ).toEqual([]);
  });
});

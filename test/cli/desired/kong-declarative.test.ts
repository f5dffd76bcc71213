/**
 * Kong's spec/01-unit/01-db/01-schema/11-declarative_config/01-validate_spec.lua, ported as
 * differential tests of `kong-ctl validate` (kong-declarative.ts says how a case is judged;
 * test/fixtures/kong-declarative/README.md which version of the spec, and the cases not ported).
 * Kong's inputs are its `_format_version: "1.1"` files: here they say "3.0", the only version
 * kong-ctl reads (README, `convert`), which changes nothing else in them (plain paths, no regex).
 */
import { describe, it } from 'vitest';
import { checkCase, OAUTH2_NO_CLIENT_ID, UNNAMED_ROUTE, WHY, y, type KongCase } from './kong-declarative';

const { unresolvedNames: UNRESOLVED, oauth2Tokens: OAUTH2_TOKENS_UNMANAGED, routeIdentity: ROUTE_IDENTITY, oauth2Identity: OAUTH2_IDENTITY } = WHY;
const TOKENS_KEY =
  'oauth2_tokens: kong-ctl does not manage oauth2 tokens (Kong issues them at run time): remove this key from the file (kong-ctl neither reads nor writes them)';
const NO_CONSUMER =
  'consumer: required field missing: an entry of the top-level oauth2_credentials names its consumer (by username or id), or nests under it (consumers[].oauth2_credentials)';

const FORMAT_VERSION: KongCase[] = [
  {
    kong: '_format_version requires version 1.1 or 2.1 or 3.0: a number',
    yaml: y`
      _format_version: 1.1
    `,
    kongErrors: [['_format_version', 'expected a string']],
    kongCtl: ['1:18: _format_version must be the string "3.0", not the number 1.1: quote it'],
  },
  {
    kong: '_format_version requires version 1.1 or 2.1 or 3.0: "foobar"',
    yaml: y`
      _format_version: "foobar"
    `,
    kongErrors: [['_format_version', 'expected one of: 1.1, 2.1, 3.0']],
    kongCtl: ['1:18: _format_version "foobar" is not supported: kong-ctl reads decK\'s format for Kong 3.x, _format_version: "3.0"'],
  },
  ...['1.1', '2.1'].map(
    (v): KongCase => ({
      kong: `_format_version requires version 1.1 or 2.1 or 3.0: "${v}"`,
      yaml: `_format_version: "${v}"\n`,
      kongCtl: [
        `1:18: _format_version "${v}" is not supported: kong-ctl reads decK's format for Kong 3.x, _format_version: "3.0" (\`kong-ctl convert -f FILE -o NEW\` converts a Kong 2.x file)`,
      ],
      verdictDiffers: 'kong-ctl reads Kong 3.x files only; `kong-ctl convert` makes one of a Kong 2.x file, as Kong migrates it when it loads one (README)',
    }),
  ),
];

const COMMENT_AND_IGNORE: KongCase[] = [
  {
    kong: '_comment accepts a string: 1234',
    yaml: y`
      _format_version: "3.0"
      _comment: 1234
    `,
    kongErrors: [['_comment', 'expected a string']],
    kongCtl: ['2:11: _comment: expected a string'],
  },
  {
    kong: '_comment accepts a string: "1234"',
    yaml: y`
      _format_version: "3.0"
      _comment: "1234" # this is how yaml works!
    `,
    kongCtl: [],
  },
  {
    kong: '_comment accepts a string: a map',
    yaml: y`
      _format_version: "3.0"
      _comment:
        foo: bar
    `,
    kongErrors: [['_comment', 'expected a string']],
    kongCtl: ['3:3: _comment: expected a string'],
  },
  {
    kong: '_comment accepts a string: a plain one',
    yaml: y`
      _format_version: "3.0"
      _comment: I am a happy comment!
    `,
    kongCtl: [],
  },
  {
    kong: '_ignore accepts an array of anything: 1234',
    yaml: y`
      _format_version: "3.0"
      _ignore: 1234
    `,
    kongErrors: [['_ignore', 'expected an array']],
    kongCtl: ['2:10: _ignore: expected an array'],
  },
  {
    kong: '_ignore accepts an array of anything: [1234]',
    yaml: y`
      _format_version: "3.0"
      _ignore:
      - 1234
    `,
    kongCtl: [],
  },
  {
    kong: '_ignore accepts an array of anything: a map',
    yaml: y`
      _format_version: "3.0"
      _ignore:
        foo: bar
        bla: 123
    `,
    kongErrors: [['_ignore', 'expected an array']],
    kongCtl: ['3:3: _ignore: expected an array'],
  },
  {
    kong: '_ignore accepts an array of anything: maps, strings, numbers',
    yaml: y`
      _format_version: "3.0"
      _ignore:
      - foo: bar
        bla: 123
      - "Hello, world"
      - 1234
    `,
    kongCtl: [],
  },
];

const SERVICES: KongCase[] = [
  {
    kong: 'core entities services: accepts an empty list',
    yaml: y`
      _format_version: "3.0"
      services:
    `,
    kongCtl: [],
  },
  {
    kong: 'core entities services: accepts entities',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        host: example.com
        protocol: https
        _comment: my comment
        _ignore:
        - foo: bar
      - name: bar
        host: example.test
        port: 3000
        _comment: my comment
        _ignore:
        - foo: bar
    `,
    kongCtl: [],
  },
  {
    kong: 'core entities services: verifies required fields',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
    `,
    kongErrors: [['services[1].host', 'required field missing']],
    kongCtl: ['3:3 services[0]: host: required field missing'],
  },
  {
    kong: 'core entities services: performs regular validations',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        retries: -1
        protocol: foo
        host: 1234
        port: 99999
        path: /foo//bar/
    `,
    kongErrors: [
      ['services[1].host', 'expected a string'],
      ['services[1].path', 'must not have empty segments'],
      ['services[1].port', 'value should be between 0 and 65535'],
      ['services[1].protocol', 'expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp'],
      ['services[1].retries', 'value should be between 0 and 32767'],
    ],
    kongCtl: [
      '4:12 services[0]: retries: value should be between 0 and 32767',
      '5:13 services[0]: protocol: expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp',
      '6:9 services[0]: host: expected a string',
      '7:9 services[0]: port: value should be between 0 and 65535',
      '8:9 services[0]: path: must not have empty segments',
    ],
  },
  {
    kong: 'core entities services: allows url shorthand',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        # url shorthand also works, and expands into multiple fields
        url: https://example.com:8000/hello/world
    `,
    kongCtl: [],
  },
];

const PLUGINS: KongCase[] = [
  {
    kong: 'core entities plugins: accepts an empty list',
    yaml: y`
      _format_version: "3.0"
      plugins:
    `,
    kongCtl: [],
  },
  {
    kong: 'core entities plugins: accepts entities',
    yaml: y`
      _format_version: "3.0"
      plugins:
        - name: key-auth
          _comment: my comment
          _ignore:
          - foo: bar
        - name: http-log
          config:
            http_endpoint: https://example.com
          _comment: my comment
          _ignore:
          - foo: bar
    `,
    kongCtl: [],
  },
  {
    kong: 'core entities plugins: allows foreign relationships as strings',
    yaml: y`
      _format_version: "3.0"
      plugins:
        - name: key-auth
          route: foo
        - name: http-log
          service: svc1
          consumer: my-consumer
          config:
            http_endpoint: https://example.com
    `,
    kongCtl: [
      "4:12 plugins[0]: route: unknown route 'foo': no route with this name or id in the file(s)",
      "6:14 plugins[1]: service: unknown service 'svc1': no service with this name or id in the file(s)",
      "7:15 plugins[1]: consumer: unknown consumer 'my-consumer': no consumer with this name or id in the file(s)",
    ],
    // Kong's `validate` checks the schema alone; loading the file (`flatten`, what POST /config
    // and a DB-less start do) refuses these references, 03-flatten_spec "fails with missing
    // foreign relationships": kong-ctl's verdict is the load's.
    verdictDiffers: UNRESOLVED,
  },
];

const PLUGINS_IN_SERVICES: KongCase[] = [
  {
    kong: 'nested relationships: plugins in services accepts an empty list',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        plugins: []
        host: example.com
    `,
    kongCtl: [],
  },
  {
    kong: 'nested relationships: plugins in services accepts entities',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        host: example.com
        protocol: https
        _comment: my comment
        _ignore:
        - foo: bar
        plugins:
          - name: key-auth
            _comment: my comment
            _ignore:
            - foo: bar
          - name: http-log
            config:
              http_endpoint: https://example.com
      - name: bar
        host: example.test
        port: 3000
        plugins:
        - name: basic-auth
        - name: tcp-log
          config:
            host: 127.0.0.1
            port: 10000
    `,
    kongCtl: [],
  },
  {
    kong: 'nested relationships: plugins in services verifies required fields',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        url: https://example.com
        plugins:
        - enabled: true
    `,
    kongErrors: [['services[1].plugins[1].name', 'required field missing']],
    kongCtl: ['6:5 services[0].plugins[0]: name: required field missing'],
  },
  {
    kong: 'nested relationships: plugins in services performs regular validations',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        url: https://example.com
        plugins:
        - name: foo
    `,
    kongErrors: [['services[1].plugins[1].name', "plugin 'foo' not enabled; add it to the 'plugins' configuration property"]],
    kongCtl: ["6:11 services[0].plugins[0]: name: unknown plugin 'foo': neither bundled with Kong (up to 3.9) nor one of this project's plugins"],
  },
  {
    kong: 'nested relationships: plugins in services does not accept additional foreign keys',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        url: https://example.com
        plugins:
        - name: key-auth
          consumer: foo
    `,
    kongErrors: [['services[1].plugins[1].consumer', 'value must be null']],
    // decK lets a plugin nested in a service name a consumer too (one plugin for the pair), and
    // kong-ctl renders it as Kong's flat plugin naming both (docs/from-deck.md): what it refuses
    // here is key-auth's own refusal of any consumer, and a consumer the file does not declare.
    kongCtl: [
      "7:15 services[0].plugins[0]: consumer: plugin 'key-auth' cannot be applied to a consumer: Kong's schema for it refuses that scope",
      "7:15 services[0].plugins[0]: consumer: unknown consumer 'foo': no consumer with this name or id in the file(s)",
    ],
  },
];

const ROUTES_IN_SERVICES: KongCase[] = [
  {
    kong: 'nested relationships: routes in services accepts an empty list',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        routes: []
        host: example.com
    `,
    kongCtl: [],
  },
  {
    kong: 'nested relationships: routes in services accepts entities',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        host: example.com
        protocol: https
        routes:
          - paths:
            - /path
          - hosts:
            - example.com
          - methods: ["GET", "POST"]
      - name: bar
        host: example.test
        port: 3000
        routes:
          - paths:
            - /path
            hosts:
            - example.com
            methods: ["GET", "POST"]
    `,
    kongCtl: [
      `7:7 services[0].routes[0]: ${UNNAMED_ROUTE}`,
      `9:7 services[0].routes[1]: ${UNNAMED_ROUTE}`,
      `11:7 services[0].routes[2]: ${UNNAMED_ROUTE}`,
      `16:7 services[1].routes[0]: ${UNNAMED_ROUTE}`,
    ],
    verdictDiffers: ROUTE_IDENTITY,
  },
  {
    kong: 'nested relationships: routes in services verifies required fields',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        url: https://example.com
        routes:
        - preserve_host: true
    `,
    kongErrors: [
      ['services[1].routes[1].@entity', "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'"],
    ],
    kongCtl: [
      `6:5 services[0].routes[0]: ${UNNAMED_ROUTE}`,
      "6:5 services[0].routes[0]: must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https'",
    ],
  },
  {
    kong: 'nested relationships: routes in services performs regular validations',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        url: https://example.com
        routes:
        - name: foo
          paths:
          - bla
    `,
    kongErrors: [['services[1].routes[1].paths[1]', 'should start with: / (fixed path) or ~/ (regex path)']],
    kongCtl: ['8:7 services[0].routes[0]: paths[0]: should start with: / (fixed path) or ~/ (regex path)'],
  },
];

const PLUGINS_IN_ROUTES: KongCase[] = [
  {
    kong: 'nested relationships: plugins in routes in services accepts an empty list',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        host: example.com
        routes:
        - name: foo
          methods: ["GET"]
          plugins: []
    `,
    kongCtl: [],
  },
  {
    kong: 'nested relationships: plugins in routes in services accepts entities',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        host: example.com
        protocol: https
        routes:
        - name: foo
          methods: ["GET"]
          plugins:
            - name: key-auth
            - name: http-log
              config:
                http_endpoint: https://example.com
      - name: bar
        host: example.test
        port: 3000
        routes:
        - name: bar
          paths:
          - /
          plugins:
          - name: basic-auth
          - name: tcp-log
            config:
              host: 127.0.0.1
              port: 10000
    `,
    kongCtl: [],
  },
  {
    kong: 'nested relationships: plugins in routes in services verifies required fields',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        url: https://example.com
        routes:
        - paths:
          - /
          plugins:
          - enabled: true
    `,
    kongErrors: [['services[1].routes[1].plugins[1].name', 'required field missing']],
    kongCtl: [`6:5 services[0].routes[0]: ${UNNAMED_ROUTE}`, '9:7 services[0].routes[0].plugins[0]: name: required field missing'],
  },
  {
    kong: 'nested relationships: plugins in routes in services performs regular validations',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        url: https://example.com
        routes:
        - paths:
          - /
          plugins:
          - name: foo
    `,
    kongErrors: [['services[1].routes[1].plugins[1].name', "plugin 'foo' not enabled; add it to the 'plugins' configuration property"]],
    kongCtl: [
      `6:5 services[0].routes[0]: ${UNNAMED_ROUTE}`,
      "9:13 services[0].routes[0].plugins[0]: name: unknown plugin 'foo': neither bundled with Kong (up to 3.9) nor one of this project's plugins",
    ],
  },
  {
    kong: 'nested relationships: plugins in routes in services does not accept additional foreign keys',
    yaml: y`
      _format_version: "3.0"
      services:
      - name: foo
        url: https://example.com
        routes:
        - paths:
          - /
          plugins:
          - name: key-auth
            route: foo
    `,
    kongErrors: [['services[1].routes[1].plugins[1].route', 'value must be null']],
    kongCtl: [
      `6:5 services[0].routes[0]: ${UNNAMED_ROUTE}`,
      '10:7 services[0].routes[0].plugins[0]: route: not allowed here: this plugin is nested under the route at services[0].routes[0], which is its route',
    ],
  },
];

const VAULTS: KongCase[] = ['_', '-'].map((c) => ({
  kong: `core entities vaults: accepts vaults (${c === '_' ? 'underscore' : 'dash'})`,
  yaml: y`
    _format_version: "3.0"
    vaults:
    - prefix: aba
      config:
        prefix: "BANANA${c}"
      description: "Banana vault"
      tags: ~
      name: env
  `,
  kongCtl: [],
}));

const OAUTH2_CREDENTIALS: KongCase[] = [
  {
    kong: 'custom entities oauth2_credentials: accepts an empty list',
    yaml: y`
      _format_version: "3.0"
      oauth2_credentials:
    `,
    kongCtl: [],
  },
  {
    kong: 'custom entities oauth2_credentials: accepts entities',
    yaml: y`
      _format_version: "3.0"
      oauth2_credentials:
      - name: my-credential
        consumer: foo
        redirect_uris:
        - https://example.com
      - name: another-credential
        consumer: foo
        redirect_uris:
        - https://example.test
    `,
    // Kong's top-level list, each credential naming its consumer: read as Kong reads it, but
    // consumer foo is in no file (Kong's load refuses it too, 03-flatten_spec).
    kongCtl: [
      `3:3 oauth2_credentials[0]: ${OAUTH2_NO_CLIENT_ID}`,
      "4:13 oauth2_credentials[0]: consumer: unknown consumer 'foo': no consumer with this name or id in the file(s)",
      `7:3 oauth2_credentials[1]: ${OAUTH2_NO_CLIENT_ID}`,
      "8:13 oauth2_credentials[1]: consumer: unknown consumer 'foo': no consumer with this name or id in the file(s)",
    ],
    verdictDiffers: `${UNRESOLVED}; ${OAUTH2_IDENTITY}`,
  },
  {
    kong: 'custom entities oauth2_credentials: verifies required fields',
    yaml: y`
      _format_version: "3.0"
      oauth2_credentials:
      - consumer: foo
    `,
    kongErrors: [['oauth2_credentials[1].name', 'required field missing']],
    kongCtl: [
      '3:3 oauth2_credentials[0]: name: required field missing',
      `3:3 oauth2_credentials[0]: ${OAUTH2_NO_CLIENT_ID}`,
      "3:13 oauth2_credentials[0]: consumer: unknown consumer 'foo': no consumer with this name or id in the file(s)",
    ],
  },
  {
    kong: 'custom entities oauth2_credentials: performs regular validations',
    yaml: y`
      _format_version: "3.0"
      oauth2_credentials:
      - name: my-credential
        redirect_uris:
        - https://example.com
        - foobar
      - name: my-credential
        consumer: 1234
        redirect_uris:
        - foobar
        - https://example.com
    `,
    kongErrors: [
      ['oauth2_credentials[1].consumer', 'required field missing'],
      ['oauth2_credentials[1].redirect_uris[2]', "cannot parse 'foobar'"],
      ['oauth2_credentials[2].consumer', 'expected a string'],
      ['oauth2_credentials[2].redirect_uris[1]', "cannot parse 'foobar'"],
    ],
    kongCtl: [
      `3:3 oauth2_credentials[0]: ${NO_CONSUMER}`,
      `3:3 oauth2_credentials[0]: ${OAUTH2_NO_CLIENT_ID}`,
      "6:5 oauth2_credentials[0]: redirect_uris[1]: cannot parse 'foobar'",
      `7:3 oauth2_credentials[1]: ${OAUTH2_NO_CLIENT_ID}`,
      '8:13 oauth2_credentials[1]: consumer: expected a name or an id',
      "10:5 oauth2_credentials[1]: redirect_uris[0]: cannot parse 'foobar'",
    ],
  },
];

const OAUTH2_IN_CONSUMERS: KongCase[] = [
  {
    kong: 'nested relationships: oauth2_credentials in consumers accepts an empty list',
    yaml: y`
      _format_version: "3.0"
      consumers:
      - username: bob
        oauth2_credentials:
    `,
    kongCtl: [],
  },
  {
    kong: 'nested relationships: oauth2_credentials in consumers accepts entities',
    yaml: y`
      _format_version: "3.0"
      consumers:
      - username: bob
        oauth2_credentials:
        - name: my-credential
          redirect_uris:
          - https://example.com
        - name: another-credential
          redirect_uris:
          - https://example.test
    `,
    kongCtl: [`5:5 consumers[0].oauth2_credentials[0]: ${OAUTH2_NO_CLIENT_ID}`, `8:5 consumers[0].oauth2_credentials[1]: ${OAUTH2_NO_CLIENT_ID}`],
    verdictDiffers: OAUTH2_IDENTITY,
  },
  {
    kong: 'nested relationships: oauth2_credentials in consumers performs regular validations',
    yaml: y`
      _format_version: "3.0"
      consumers:
      - username: bob
        oauth2_credentials:
        - name: my-credential
          redirect_uris:
          - https://example.com
          - foobar
        - name: my-credential
          redirect_uris:
          - foobar
          - https://example.com
    `,
    kongErrors: [
      ['consumers[1].oauth2_credentials[1].redirect_uris[2]', "cannot parse 'foobar'"],
      ['consumers[1].oauth2_credentials[2].redirect_uris[1]', "cannot parse 'foobar'"],
    ],
    kongCtl: [
      `5:5 consumers[0].oauth2_credentials[0]: ${OAUTH2_NO_CLIENT_ID}`,
      "8:7 consumers[0].oauth2_credentials[0]: redirect_uris[1]: cannot parse 'foobar'",
      `9:5 consumers[0].oauth2_credentials[1]: ${OAUTH2_NO_CLIENT_ID}`,
      "11:7 consumers[0].oauth2_credentials[1]: redirect_uris[0]: cannot parse 'foobar'",
    ],
  },
  {
    kong: 'nested relationships: oauth2_credentials in consumers does not accept foreign fields',
    yaml: y`
      _format_version: "3.0"
      consumers:
      - username: bob
        oauth2_credentials:
        - name: hello
          redirect_uris:
          - https://example.com
          consumer: foo
    `,
    kongErrors: [['consumers[1].oauth2_credentials[1].consumer', 'value must be null']],
    kongCtl: [
      `5:5 consumers[0].oauth2_credentials[0]: ${OAUTH2_NO_CLIENT_ID}`,
      '8:5 consumers[0].oauth2_credentials[0]: consumer: not allowed here: this oauth2 credential is nested under consumer bob, which is its consumer',
    ],
  },
];

const OAUTH2_TOKENS: KongCase[] = [
  {
    kong: 'nested relationships: oauth2_tokens in oauth2_credentials accepts an empty list',
    yaml: y`
      _format_version: "3.0"
      oauth2_credentials:
      - name: my-credential
        consumer: bob
        redirect_uris:
        - https://example.com
        oauth2_tokens:
    `,
    kongCtl: [
      `3:3 oauth2_credentials[0]: ${OAUTH2_NO_CLIENT_ID}`,
      "4:13 oauth2_credentials[0]: consumer: unknown consumer 'bob': no consumer with this name or id in the file(s)",
      `7:3 oauth2_credentials[0]: ${TOKENS_KEY}`,
    ],
    verdictDiffers: `${UNRESOLVED}; ${OAUTH2_IDENTITY}; ${OAUTH2_TOKENS_UNMANAGED}`,
  },
  {
    kong: 'nested relationships: oauth2_tokens in oauth2_credentials accepts entities',
    yaml: y`
      _format_version: "3.0"
      oauth2_credentials:
      - name: my-credential
        consumer: bob
        redirect_uris:
        - https://example.com
        oauth2_tokens:
        - expires_in: 1
        - expires_in: 10
          scope: "foo"
    `,
    kongCtl: [
      `3:3 oauth2_credentials[0]: ${OAUTH2_NO_CLIENT_ID}`,
      "4:13 oauth2_credentials[0]: consumer: unknown consumer 'bob': no consumer with this name or id in the file(s)",
      `7:3 oauth2_credentials[0]: ${TOKENS_KEY}`,
    ],
    verdictDiffers: `${UNRESOLVED}; ${OAUTH2_IDENTITY}; ${OAUTH2_TOKENS_UNMANAGED}`,
  },
  {
    kong: 'nested relationships: oauth2_tokens in oauth2_credentials verifies required fields',
    yaml: y`
      _format_version: "3.0"
      oauth2_credentials:
      - name: my-credential
        redirect_uris:
        - https://example.com
        oauth2_tokens:
        - scope: "foo"
    `,
    kongErrors: [
      ['oauth2_credentials[1].consumer', 'required field missing'],
      ['oauth2_credentials[1].oauth2_tokens[1].expires_in', 'required field missing'],
    ],
    kongCtl: [
      `3:3 oauth2_credentials[0]: ${NO_CONSUMER}`,
      `3:3 oauth2_credentials[0]: ${OAUTH2_NO_CLIENT_ID}`,
      `6:3 oauth2_credentials[0]: ${TOKENS_KEY}`,
    ],
    differs: { 'oauth2_credentials[1].oauth2_tokens[1].expires_in': OAUTH2_TOKENS_UNMANAGED },
  },
  {
    kong: 'nested relationships: oauth2_tokens in oauth2_credentials does not accept foreign fields',
    yaml: y`
      _format_version: "3.0"
      oauth2_credentials:
      - name: my-credential
        consumer: bob
        redirect_uris:
        - https://example.com
        oauth2_tokens:
        - expires_in: 1
          service: svc1
    `,
    kongErrors: [['oauth2_credentials[1].oauth2_tokens[1].service', 'value must be null']],
    kongCtl: [
      `3:3 oauth2_credentials[0]: ${OAUTH2_NO_CLIENT_ID}`,
      "4:13 oauth2_credentials[0]: consumer: unknown consumer 'bob': no consumer with this name or id in the file(s)",
      `7:3 oauth2_credentials[0]: ${TOKENS_KEY}`,
    ],
    differs: { 'oauth2_credentials[1].oauth2_tokens[1].service': OAUTH2_TOKENS_UNMANAGED },
  },
  {
    // Not Kong's input: "accepts entities" with the credential nested under its consumer, as
    // decK's format has it, to show what kong-ctl says of the tokens themselves.
    kong: 'oauth2_tokens of "accepts entities", under a credential nested in its consumer',
    yaml: y`
      _format_version: "3.0"
      consumers:
      - username: bob
        oauth2_credentials:
        - name: my-credential
          client_id: my-client
          redirect_uris:
          - https://example.com
          oauth2_tokens:
          - expires_in: 1
          - expires_in: 10
            scope: "foo"
    `,
    kongCtl: [
      '9:5 consumers[0].oauth2_credentials[0]: oauth2_tokens: kong-ctl does not manage oauth2 tokens (Kong issues them at run time): remove this key from the file (kong-ctl neither reads nor writes them)',
    ],
    verdictDiffers: OAUTH2_TOKENS_UNMANAGED,
  },
];

describe("Kong's 01-validate_spec.lua: declarative config: validate", () => {
  const all: Array<[string, KongCase[]]> = [
    ['_format_version', FORMAT_VERSION],
    ['_comment and _ignore', COMMENT_AND_IGNORE],
    ['services', SERVICES],
    ['plugins', PLUGINS],
    ['plugins in services', PLUGINS_IN_SERVICES],
    ['routes in services', ROUTES_IN_SERVICES],
    ['plugins in routes in services', PLUGINS_IN_ROUTES],
    ['vaults', VAULTS],
    ['oauth2_credentials', OAUTH2_CREDENTIALS],
    ['oauth2_credentials in consumers', OAUTH2_IN_CONSUMERS],
    ['oauth2_tokens', OAUTH2_TOKENS],
  ];
  for (const [group, cases] of all) {
    describe(group, () => {
      for (const c of cases) it(c.kong, () => checkCase(c));
    });
  }
});

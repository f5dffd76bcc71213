/**
 * decK's own integration tests of `deck file validate` and `deck gateway validate`
 * (tests/integration/validate_test.go), run as differential tests of `kong-ctl validate`:
 * offline for `deck file validate`, `--online` against the simulated Kong 3.4.2
 * (bench/ctl/simulator.ts) for `deck gateway validate`. The files hold decK's data unchanged
 * (test/fixtures/deck-validate-render/README.md: their decK paths and commits, and the decK
 * cases not ported, with why).
 *
 * For each case: decK's verdict (valid, or refused) and kong-ctl's; for a refusal, that
 * kong-ctl's problem points at what decK's error names (file:line:column) and says the same
 * thing, in its own words. decK's Konnect, workspace, RBAC and partials cases are not ported
 * (Kong Enterprise and Konnect, which kong-ctl does not manage); where their file is stored,
 * kong-ctl must still refuse it with a message naming what it does not manage, at its line,
 * rather than drop it silently (README, "Entities managed").
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli';
import { simSession } from './sim-session';

const DIR = join(__dirname, '..', '..', 'fixtures', 'deck-validate-render', 'validate');
const fixture = (name: string) => join(DIR, name);

const { addr } = simSession('kong-ctl-deck-validate-');

const MODES = [
  ['offline (deck file validate)', false],
  ['--online (deck gateway validate)', true],
] as const;

async function validate(name: string, online: boolean) {
  const f = fixture(name);
  const r = await runCli(['validate', '-f', f, ...(online ? ['--online', ...addr()] : [])]);
  return { ...r, f };
}

describe.each(MODES)('decK validate_test.go, files decK finds valid: %s', (_mode, online) => {
  const against = online ? ', checked against Kong 3.4.2 at ' : '.';

  it('Test_Validate_Gateway "validate with kong basic auth" (kong-basic-auth.yaml): valid', async () => {
    const r = await validate('kong-basic-auth.yaml', online);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Valid: 2 entities (1 consumer, 1 basicauth credential)${against}`);
  });

  it('Test_Validate_Gateway_EE "validate format version 3.0" (kong-ee.yaml, nothing of Kong Enterprise in it): valid', async () => {
    // decK runs this one against Kong Enterprise; the file is a service, its route and
    // rate-limiting, two key-auth consumers and a global key-auth: Kong OSS takes it all.
    const r = await validate('kong-ee.yaml', online);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Valid: 8 entities (1 service, 1 route, 2 consumers, 2 keyauth credentials, 2 plugins)${against}`);
  });

  it('Test_Validate_Konnect "validate with no konnect config in file, passed via cli flag …" (konnect_invalid.yaml): valid', async () => {
    // decK validates it against a Konnect control plane named by a flag; without `_konnect`,
    // the file is a plain Kong 3.x one (a service and its route, with ids).
    const r = await validate('konnect_invalid.yaml', online);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Valid: 2 entities (1 service, 1 route)${against}`);
  });
});

describe.each(MODES)('decK validate_test.go, files decK refuses: %s', (_mode, online) => {
  it('Test_Validate_Konnect "validate with 1.1 version file" (konnect_1_1.yaml): refused at _format_version', async () => {
    // decK: "[version] decK file version must be '3.0' or greater" (its Konnect mode; against a
    // gateway decK reads a "1.1" file as Kong 2.x). kong-ctl reads Kong 3.x files only, in every
    // mode (README): the same refusal, at the version's value, pointing at `convert`.
    const r = await validate('konnect_1_1.yaml', online);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${r.f}:1:18: error: _format_version "1.1" is not supported: kong-ctl reads decK's format for Kong 3.x`);
    expect(r.stderr).toContain('`kong-ctl convert -f FILE -o NEW` converts a Kong 2.x file');
    expect(r.stderr).toContain(`${r.f}:2:1: error: _konnect: kong-ctl does not manage Konnect settings`);
  });

  it('Test_Validate_Konnect "validate with no version in deck file" (konnect_no_version.yaml): refused, missing _format_version', async () => {
    // decK: "[version] unable to determine decK file version".
    const r = await validate('konnect_no_version.yaml', online);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${r.f}:1:1: error: missing _format_version: kong-ctl reads decK's format for Kong 3.x`);
    expect(r.stderr).toContain(`${r.f}:1:1: error: _konnect: kong-ctl does not manage Konnect settings`);
  });

  if (online) {
    it('nothing is asked of Kong about a file refused offline', async () => {
      // Offline problems stop the run before the online pass (README: validate --online also checks).
      const r = await validate('konnect_1_1.yaml', online);
      expect(r.stderr).toContain('nothing was sent to Kong');
      expect(r.stderr).not.toContain('checked against Kong');
    });
  }
});

describe('decK cases not ported (Kong Enterprise, Konnect): their files are refused, each key named at its line', () => {
  it.each([
    // Test_Validate_Konnect "validate with konnect", Test_Validate_Gateway "validate with --konnect-compatibility"
    ['konnect.yaml', '2:1', '_konnect: kong-ctl does not manage Konnect settings'],
    // Test_Validate_Gateway_EE "validate with non existent _workspace in state file" (decK: "workspace doesn't exist")
    ['kong-ee-non-existent-workspace.yaml', '1:1', '_workspace: kong-ctl does not manage workspaces (a Kong Enterprise feature)'],
    // Test_Validate_Gateway_EE "validate with non-default _workspace and default_lookup_tags"
    ['kong-ee-non-default-workspace-with-lookup-tags.yaml', '6:1', '_workspace: kong-ctl does not manage workspaces (a Kong Enterprise feature)'],
    // Test_Validate_File "file validate with --rbac-resources-only"
    ['rbac-resources.yaml', '2:1', 'rbac_roles: kong-ctl does not manage RBAC roles (a Kong Enterprise entity)'],
    // Test_Validate_Konnect "validate with custom-entities present" (an earlier version of the file)
    ['custom-entities-konnect.yaml', '11:1', 'custom_entities: kong-ctl does not manage custom entities (Kong Enterprise)'],
    // Test_Validate_PartialLookupTags "validate default_lookup_tags with partials"
    ['001-partials/partial-lookup-tags.yaml', '4:5', '_info.default_lookup_tags.partials: kong-ctl does not manage partials'],
  ])('%s', async (name, at, message) => {
    const r = await validate(name, false);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${r.f}:${at}: error: ${message}`);
    expect(r.stderr).toContain('remove this key from the file (kong-ctl neither reads nor writes them)');
  });

  it('kong-ee-non-default-workspace-with-lookup-tags.yaml: default_lookup_tags without select tags are refused too', async () => {
    // decK takes them (and validates against the workspace's live services). Without select
    // tags the file manages the whole gateway, so applying it would delete the very service it
    // looks up: kong-ctl refuses that at the lookup (README, `_info.default_lookup_tags`).
    const r = await validate('kong-ee-non-default-workspace-with-lookup-tags.yaml', false);
    expect(r.stderr).toContain(`${r.f}:4:5: error: _info.default_lookup_tags.services: default_lookup_tags need select tags`);
  });

  it.each(MODES)('Test_Validate_Gateway_PluginAutoFields (rate-limiting-advanced, Kong Enterprise): refused by Kong OSS, %s', async (_mode, online) => {
    // decK runs it on Kong Enterprise only, where the plugin fills its own namespace.
    const r = await validate('rate-limiting-advanced-auto-namespace.yaml', online);
    expect(r.code).toBe(1);
    if (online) expect(r.stderr).toContain(`${r.f}:3:11: error: plugins[0]: name: plugin 'rate-limiting-advanced' is not installed on this Kong 3.4.2`);
    else {
      expect(r.stderr).toContain(`${r.f}:3:11: error: plugins[0]: name: unknown plugin 'rate-limiting-advanced'`);
      expect(r.stderr).toContain('`kong-ctl validate --online` checks the files against its own schemas');
    }
  });
});

/**
 * The query command and plugin loading: our `--dump-all-plugins`, `--dump` and
 * `--dump-plugin-info` print byte for byte what kong-pdk's print for the same plugins directory,
 * so Kong registers every plugin the same way; no TypeScript compiler is ever loaded.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KONG_JS_PLUGINSERVER, KongSim, PluginServerProcess, REPO_ROOT, getPluginInfo, kongRoute, kongService } from '../harness';
import { FIXTURES, PROBE_JS, echoUpstream, pluginsDir, type TestUpstream } from '../harness-tests/helpers';
import { OUR_SERVER_BIN, fixtureDir, ourDumpAllPlugins, ourServer } from './helpers';

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function run(argv: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

const ours = (...args: string[]) => run([OUR_SERVER_BIN, ...args]);
const kongPdk = (...args: string[]) => run([KONG_JS_PLUGINSERVER, ...args]);

/** The project's built plugins: one directory each (scripts/layout-plugins.js). */
const BUILT = path.join(REPO_ROOT, 'dist', 'kong-plugins');
const builtDirs = fs.existsSync(BUILT) ? fs.readdirSync(BUILT).map((n) => path.join(BUILT, n)) : [];
const fixtureDirs = fs.readdirSync(path.join(FIXTURES, 'plugins')).map((n) => path.join(FIXTURES, 'plugins', n));

describe("the query command with kong-pdk's one-dash flags", () => {
  // kong-pdk's cli.js takes -dump-all-plugins and -dump-plugin-info too, so a kong.conf query_cmd
  // written for it may use them; ours read the first as `-d ump-all-plugins` (the plugins directory)
  // and Kong's process.lua ask_info got no JSON ("Not a plugin info table").
  const dir = path.join(BUILT, 'jwt-claims');

  it('-dump-all-plugins prints the same JSON as kong-pdk', async () => {
    const [mine, pdk] = await Promise.all([ours('--plugins-directory', dir, '-dump-all-plugins'), kongPdk('--plugins-directory', dir, '-dump-all-plugins')]);
    expect(pdk.code).toBe(0);
    expect(JSON.parse(pdk.stdout.toString())[0].Name).toBe('jwt-claims');
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.stdout.toString()).toBe(pdk.stdout.toString());
  });

  it('-dump-plugin-info <name> prints the same MessagePack as kong-pdk', async () => {
    const [mine, pdk] = await Promise.all([ours('-d', dir, '-dump-plugin-info', 'jwt-claims'), kongPdk('-d', dir, '-dump-plugin-info', 'jwt-claims')]);
    expect(pdk.code).toBe(0);
    expect(pdk.stdout.length).toBeGreaterThan(100);
    expect(mine.code, mine.stderr).toBe(0);
    expect(mine.stdout.equals(pdk.stdout)).toBe(true);
  });
});

describe('the query command', () => {
  it('prints the same --dump-all-plugins bytes as kong-pdk for jwt-claims and every built plugin', async () => {
    expect(builtDirs.map((d) => path.basename(d))).toContain('jwt-claims');
    for (const dir of builtDirs) {
      const [a, b] = await Promise.all([ours('--plugins-directory', dir, '--dump-all-plugins'), kongPdk('--plugins-directory', dir, '--dump-all-plugins')]);
      expect(a.code).toBe(0);
      expect(b.code).toBe(0);
      expect(a.stdout.toString()).toBe(b.stdout.toString());
      expect(JSON.parse(a.stdout.toString())).toHaveLength(1);
    }
  });

  it('prints the same bytes as kong-pdk for the test plugins, the probe, and --dump is the same query', async () => {
    const dirs = [...fixtureDirs, pluginsDir(PROBE_JS), fixtureDir('ender')];
    const runs = await Promise.all(dirs.map((dir) => Promise.all([ours('-d', dir, '--dump-all-plugins'), kongPdk('-d', dir, '--dump-all-plugins'), ours('-d', dir, '--dump')])));
    for (const [a, b, dump] of runs) {
      expect(a.code).toBe(0);
      expect(a.stdout.toString()).toBe(b.stdout.toString());
      expect(dump.stdout.equals(a.stdout)).toBe(true);
    }
  });

  it('prints the same --dump-plugin-info MessagePack bytes, and the same table over plugin.GetPluginInfo', async () => {
    const dir = path.join(BUILT, 'jwt-claims');
    const [a, b] = await Promise.all([ours('-d', dir, '--dump-plugin-info', 'jwt-claims'), kongPdk('-d', dir, '--dump-plugin-info', 'jwt-claims')]);
    expect(a.code).toBe(0);
    expect(a.stdout.length).toBeGreaterThan(100);
    expect(a.stdout.equals(b.stdout)).toBe(true);
    const server = ourServer({ pluginsDirectory: dir, sockName: 'info.sock' });
    await server.start();
    try {
      expect([await getPluginInfo(server.socketPath, 'jwt-claims')]).toEqual(await ourDumpAllPlugins(dir));
    } finally {
      await server.stop();
    }
    const unknown = await ours('-d', dir, '--dump-plugin-info', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stdout.length).toBe(0);
    expect(unknown.stderr).toContain('nope not initizlied');
  });

  it("follows kong-pdk's loading rules, and keeps stdout pure JSON where kong-pdk mixes its warnings in", async () => {
    const dir = fixtureDir('loader-mix');
    const [a, b] = await Promise.all([ours('-vv', '-d', dir, '--dump-all-plugins'), kongPdk('-d', dir, '--dump-all-plugins')]);
    expect(a.code).toBe(0);
    const theirJson = b.stdout
      .toString()
      .split('\n')
      .find((l) => l.startsWith('[{'));
    // kong-pdk prints its load warnings to stdout too: Kong would fail to parse that query output
    expect(b.stdout.toString().startsWith('[')).toBe(false);
    expect(a.stdout.toString()).toBe(`${theirJson}\n`);
    expect(JSON.parse(a.stdout.toString()).map((p: { Name: string }) => p.Name)).toEqual(['a-first', 'b-plugin', 'noext', 'index']);
    expect(a.stderr).toContain('[WARN] error loading plugin "broken"');
    expect(a.stderr).toContain('[WARN] error loading plugin "noclass"');
    expect(a.stderr).toContain('[DEBUG] loaded plugin "a-first" from');
  });

  it('skips TypeScript plugins with a warning instead of compiling them at start-up', async () => {
    const a = await ours('-d', fixtureDir('typescript-only'), '--dump-all-plugins');
    expect(JSON.parse(a.stdout.toString()).map((p: { Name: string }) => p.Name)).toEqual(['ender']);
    expect(a.stderr).toMatch(/\[WARN\] skipping .*typed\.ts: TypeScript is not loaded at run time/);
  });

  it('fails with exit code 1 and the reason for a missing plugins directory, a missing -d or a bad bound; prints its version', async () => {
    const missing = await ours('-d', path.join(REPO_ROOT, 'no-such-plugins-dir'), '--dump-all-plugins');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ENOENT');
    expect(missing.stdout.length).toBe(0);
    const noDir = await ours('--dump-all-plugins');
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toContain("required option '-d, --plugins-directory <dir>' not specified");
    const invalid = await ours('-d', fixtureDir('ender'), '--max-events', '0');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("option '--max-events <n>' argument '0' is invalid. expected a positive integer");
    const version = await ours('--version');
    expect(version.code).toBe(0);
    expect(version.stdout.toString().trim()).toBe((JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });
});

describe('no TypeScript compiler at run time', () => {
  let upstream: TestUpstream;
  const servers: PluginServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await upstream?.close();
  });

  it('has no ts-node or typescript module in require.cache once serving (kong-pdk has)', async () => {
    upstream = await echoUpstream();
    const dir = fixtureDir('ender');
    const loadedIn = async (server: PluginServerProcess): Promise<string | undefined> => {
      servers.push(server);
      await server.start();
      const service = kongService({ host: '127.0.0.1', port: upstream.port });
      const route = kongRoute({ paths: ['/m'], service: { id: service.id } });
      const sim = new KongSim({
        servers: [{ name: 'ender', socketPath: server.socketPath, plugins: await ourDumpAllPlugins(dir) }],
        services: [service],
        routes: [route],
        plugins: [{ name: 'ender', route: route.id, config: { access: 'modules' } }],
      });
      const res = await sim.request({ method: 'GET', path: '/m' });
      sim.close();
      return res.upstreamRequest?.headers.first('x-ender-ts-modules');
    };
    expect(await loadedIn(ourServer({ pluginsDirectory: dir, sockName: 'mods.sock' }))).toBe('0');
    expect(Number(await loadedIn(PluginServerProcess.kongJs({ pluginsDirectory: dir, sockName: 'mods-kp.sock' })))).toBeGreaterThan(0);
  });
});

/**
 * kong/kong.conf, kong/Dockerfile, kong/js-pluginserver and docker-compose.yml checked against
 * the BUILT tree (`npm run build` first): every path they name exists where the Dockerfile puts
 * it, every enabled plugin server's query command reports exactly the one plugin its directory is
 * named after, and its start command serves that plugin on the configured socket. Container paths
 * are mapped to the repository through the Dockerfile's own COPY lines.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { MsgpackRpcClient, PluginServerProcess, REPO_ROOT, runQueryCommand } from '../harness';

const read = (rel: string): string => fs.readFileSync(path.join(REPO_ROOT, rel), 'utf8');
const PROJECT_PLUGINS = ['jwt-claims', 'idempotency', 'webhook-signature', 'circuit-breaker'];
const KONG_PREFIX = '/usr/local/kong';
const BUILT = path.join(REPO_ROOT, 'dist', 'kong-plugins');

/** `key = value` lines; commented-out ones (`#key = value`) separately. */
function parseConf(text: string): { active: Map<string, string>; commented: Map<string, string> } {
  const active = new Map<string, string>();
  const commented = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(#?)([a-z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) (m[1] ? commented : active).set(m[2], m[3]);
  }
  return { active, commented };
}

const conf = parseConf(read('kong/kong.conf'));
const list = (v: string | undefined): string[] => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const keyOf = (name: string, suffix: string): string => `pluginserver_${name.toLowerCase().replace(/-/g, '_')}_${suffix}`;
const enabled = list(conf.active.get('pluginserver_names'));

interface Copy {
  from?: string;
  src: string;
  dest: string;
}

const dockerfile = read('kong/Dockerfile');
const copies: Copy[] = [...dockerfile.matchAll(/^COPY\s+(?:--from=(\S+)\s+)?(\S+)\s+(\S+)\s*$/gm)].map((m) => ({ from: m[1], src: m[2], dest: m[3] }));
const buildWorkdir = /FROM\s+\S+\s+AS\s+build[\s\S]*?WORKDIR\s+(\S+)/.exec(dockerfile)?.[1] ?? '';

/** Where a COPY source lives on this machine: the repo for the context and the build stage's workdir, this Node for the node binary. */
function sourceOnHost(c: Copy): string {
  if (!c.from) return path.join(REPO_ROOT, c.src);
  if (c.src === '/usr/local/bin/node') return process.execPath;
  if (c.src.startsWith(`${buildWorkdir}/`)) return path.join(REPO_ROOT, c.src.slice(buildWorkdir.length + 1));
  throw new Error(`unmapped COPY source ${c.src}`);
}

/** A container path mapped through the COPY destinations (longest first); the Kong prefix goes to `prefix`. */
function hostPath(p: string, prefix: string): string {
  const hit = [...copies].sort((a, b) => b.dest.length - a.dest.length).find((c) => p === c.dest || p.startsWith(`${c.dest}/`));
  if (hit) return sourceOnHost(hit) + p.slice(hit.dest.length);
  if (p === KONG_PREFIX || p.startsWith(`${KONG_PREFIX}/`)) return prefix + p.slice(KONG_PREFIX.length);
  return p;
}

/** The wrapper's `exec ... "$@"` line with its paths mapped, prepended to the command's arguments. */
function hostCommand(cmd: string, prefix: string): string[] {
  const [exe, ...args] = cmd.split(/\s+/);
  const mapped = args.map((a) => (a.startsWith('/') ? hostPath(a, prefix) : a));
  if (exe !== '/usr/local/kong/js/bin/js-pluginserver') return [hostPath(exe, prefix), ...mapped];
  const exec = /^exec\s+(.+?)\s+"\$@"\s*$/m.exec(fs.readFileSync(hostPath(exe, prefix), 'utf8'));
  if (!exec) throw new Error('kong/js-pluginserver has no `exec ... "$@"` line');
  return [...exec[1].split(/\s+/).map((t) => (t.startsWith('/') ? hostPath(t, prefix) : t)), ...mapped];
}

describe('kong/kong.conf', () => {
  it('enables exactly the built plugins, each through a plugin server of its own', () => {
    if (!fs.existsSync(BUILT)) throw new Error(`${BUILT} is missing: run \`npm run build\` first`);
    const built = fs.readdirSync(BUILT).sort();
    expect([...enabled].sort(), 'pluginserver_names vs dist/kong-plugins/*: enable a built plugin by uncommenting its block').toEqual(built);
    expect(list(conf.active.get('plugins'))).toEqual(['bundled', ...enabled]);
    for (const name of enabled) {
      for (const suffix of ['socket', 'start_cmd', 'query_cmd']) expect(conf.active.get(keyOf(name, suffix)), `${keyOf(name, suffix)}`).toBeDefined();
    }
  });

  it('has a block, active or ready to uncomment, for each of the four project plugins, all in one layout', () => {
    const metricsPorts = new Set<string>();
    for (const name of PROJECT_PLUGINS) {
      const get = (suffix: string): string | undefined => conf.active.get(keyOf(name, suffix)) ?? conf.commented.get(keyOf(name, suffix));
      const sock = `${name.replace(/-/g, '_')}.sock`;
      const dir = `/usr/local/kong/js/dist/kong-plugins/${name}`;
      expect(get('socket')).toBe(`${KONG_PREFIX}/${sock}`);
      // each plugin server serves its metrics on a port of its own (docs/metrics.md)
      const start = get('start_cmd') ?? '';
      const port = /^(.*) --metrics-port (\d+)$/.exec(start);
      expect(port?.[1]).toBe(`/usr/local/kong/js/bin/js-pluginserver --plugins-directory ${dir} --kong-prefix ${KONG_PREFIX} --sock-name ${sock}`);
      metricsPorts.add(port?.[2] ?? '');
      expect(get('query_cmd')).toBe(`/usr/local/kong/js/bin/js-pluginserver --plugins-directory ${dir} --dump-all-plugins`);
    }
    expect(metricsPorts.size).toBe(PROJECT_PLUGINS.length);
  });
});

describe('kong/Dockerfile', () => {
  it('extends kong:3.9 with Node 20 and ends as the kong user', () => {
    expect(dockerfile).toMatch(/^ARG KONG_IMAGE=kong:3\.9$/m);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20[-\w.]*$/m);
    expect(dockerfile).toMatch(/^FROM \$\{KONG_IMAGE\}$/m);
    expect([...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]).pop()).toBe('kong');
    expect(copies).toContainEqual({ src: 'kong/kong.conf', dest: '/etc/kong/kong.conf' });
  });

  it('copies only things that exist in the built tree', () => {
    for (const c of copies) expect(fs.existsSync(sourceOnHost(c)), `COPY ${c.from ? `--from=${c.from} ` : ''}${c.src}`).toBe(true);
    const wrapper = copies.find((c) => c.src === 'kong/js-pluginserver');
    expect(wrapper?.dest).toBe('/usr/local/kong/js/bin/js-pluginserver');
    expect(fs.statSync(path.join(REPO_ROOT, 'kong/js-pluginserver')).mode & 0o111).not.toBe(0);
  });
});

describe('the enabled plugin servers, run as kong.conf says', () => {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-prefix-'));
  const started: PluginServerProcess[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it('names only paths that exist once mapped through the Dockerfile', () => {
    expect(enabled.length).toBeGreaterThan(0);
    for (const name of enabled) {
      for (const suffix of ['start_cmd', 'query_cmd']) {
        for (const token of hostCommand(conf.active.get(keyOf(name, suffix)) as string, prefix)) {
          if (token.startsWith('/') && !token.startsWith(prefix)) expect(fs.existsSync(token), `${keyOf(name, suffix)}: ${token}`).toBe(true);
        }
      }
    }
  });

  it('each query command reports exactly one plugin, named after its directory', async () => {
    for (const name of enabled) {
      const argv = hostCommand(conf.active.get(keyOf(name, 'query_cmd')) as string, prefix);
      const dir = argv[argv.indexOf('--plugins-directory') + 1];
      const infos = await runQueryCommand(argv);
      expect(infos.map((i) => i.Name)).toEqual([name]);
      expect(path.basename(dir)).toBe(name);
    }
  });

  // Kong writes each line a plugin server prints at INFO (kong/runloop/plugin_servers/process.lua
  // grab_logs: raw_log(ngx_INFO, ...)); nginx drops messages below the error_log level.
  it("keeps what the plugin servers print: a server that cannot start says why on its output, which Kong logs at INFO", () => {
    const argv = hostCommand(conf.active.get(keyOf(enabled[0], 'start_cmd')) as string, prefix);
    argv[argv.indexOf('--kong-prefix') + 1] = path.join(prefix, 'no-such-kong-prefix');
    const metrics = argv.indexOf('--metrics-port');
    if (metrics >= 0) argv.splice(metrics, 2);
    const run = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    expect(run.stdout + run.stderr).toContain('cannot listen on');
    const levels = ['debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'];
    const level = conf.active.get('log_level') ?? 'notice';
    expect(levels.indexOf(level), `log_level = ${level} drops every line Kong logs from a plugin server`).toBeLessThanOrEqual(levels.indexOf('info'));
  });

  it('each start command serves its plugin on the configured socket', async () => {
    for (const name of enabled) {
      const socketPath = hostPath(conf.active.get(keyOf(name, 'socket')) as string, prefix);
      const argv = hostCommand(conf.active.get(keyOf(name, 'start_cmd')) as string, prefix);
      const server = new PluginServerProcess({ argv, socketPath });
      started.push(server);
      await server.start();
      const rpc = new MsgpackRpcClient(socketPath);
      expect(await rpc.call('plugin.GetPluginInfo', name)).toMatchObject({ ok: true, result: { Name: name } });
      rpc.close();
      await server.stop();
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = YAML.parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, any> };

  it('runs Postgres, the migrations one-shot, Kong from kong/Dockerfile, Redis and an echo upstream', () => {
    const s = compose.services;
    expect(Object.keys(s).sort()).toEqual(['echo', 'kong', 'kong-migrations', 'postgres', 'redis']);
    expect(s['kong-migrations'].command).toBe('kong migrations bootstrap');
    for (const k of ['kong', 'kong-migrations']) {
      expect(s[k].build).toEqual({ context: '.', dockerfile: 'kong/Dockerfile' });
      expect(s[k].environment.KONG_DATABASE).toBe('postgres');
      expect(s[k].environment.KONG_PG_HOST).toBe('postgres');
    }
    expect(s.kong.depends_on['kong-migrations']).toEqual({ condition: 'service_completed_successfully' });
    expect(s.kong.depends_on.postgres).toEqual({ condition: 'service_healthy' });
    expect(s.kong.ports).toEqual(['127.0.0.1:8000:8000', '127.0.0.1:8001:8001']);
  });

  it('passes `docker-compose config -q` where docker-compose is installed (CI installs it)', () => {
    const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
    if (probe.error) {
      // not installed here: the structural checks above still ran
      expect((probe.error as NodeJS.ErrnoException).code).toBe('ENOENT');
      return;
    }
    const res = spawnSync('docker-compose', ['-f', path.join(REPO_ROOT, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8', cwd: REPO_ROOT });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });
});

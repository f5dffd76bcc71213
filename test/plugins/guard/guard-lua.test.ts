/**
 * The guard's Lua for real: the blocks docs/fail-closed-guard.md shows are exactly what kong-ctl
 * emits, LuaJIT (Kong's VM) compiles them, and run inside a replay of Kong's post-function
 * (kong-post-function.lua: compile_phase_array, the sandbox's `kong`, exit yielding the access
 * coroutine, a fresh kong.ctx.shared per request) they refuse and pass the right requests.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GUARD_REFUSAL, renderGuardLua, type GuardedPlugin } from '../../../cli/src/desired/guard';

const ROOT = path.resolve(__dirname, '../../..');
const DOC = readFileSync(path.join(ROOT, 'docs/fail-closed-guard.md'), 'utf8');
const DRIVER = path.join(__dirname, 'kong-post-function.lua');
const LUAJIT = process.env.LUAJIT ?? 'luajit';

function luajit(args: string[], input: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(LUAJIT, args, { input, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${LUAJIT} (install LuaJIT, e.g. apt-get install luajit): ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const compile = (chunk: string) => luajit(['-e', "assert(loadstring(io.read('*a'), '=guard'))"], chunk);

/** One line per request: `pass` or `exit <status> <json>`. */
function serve(chunk: string, requests: string[]): string[] {
  const r = luajit([DRIVER, ...requests], chunk);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trimEnd().split('\n');
}

const REFUSED = `exit ${GUARD_REFUSAL.status} {"message":"${GUARD_REFUSAL.message}"}`;
const JWT: GuardedPlugin = { name: 'jwt-claims' };
const WEBHOOK: GuardedPlugin = { name: 'webhook-signature' };
const JWT_PREFLIGHT: GuardedPlugin = { name: 'jwt-claims', preflightPasses: true };

describe('docs/fail-closed-guard.md', () => {
  const blocks = [...DOC.matchAll(/```lua\n([\s\S]*?)\n```/g)].map((m) => m[1]);

  it('shows exactly what kong-ctl emits, for one marker, for two, and with preflights passing', () => {
    expect(blocks).toEqual([renderGuardLua([JWT]), renderGuardLua([JWT, WEBHOOK]), renderGuardLua([JWT_PREFLIGHT])]);
  });

  it("shows the plan of test/fixtures/plan/015-fail-closed-guard as kong-ctl renders it", () => {
    const plan = /```\n(\+ plugin jwt-claims[\s\S]*?)\n```/.exec(DOC)?.[1];
    const golden = readFileSync(path.join(ROOT, 'test/fixtures/plan/015-fail-closed-guard/expected.txt'), 'utf8');
    expect(plan).toBeDefined();
    expect(golden).toContain(`${plan}\n`);
  });

  it('whose every block LuaJIT compiles', () => {
    expect(blocks).toHaveLength(3);
    for (const chunk of blocks) expect(compile(chunk)).toMatchObject({ status: 0, stderr: '' });
    // the check itself can fail
    expect(compile(blocks[0].replace('then', '')).status).not.toBe(0);
  });
});

describe("the guard under LuaJIT, in Kong's post-function", () => {
  it('one marker: refuses every request jwt-claims did not mark, from the first request on', () => {
    // The first request exits early (Kong keeps its first-run closure), the later ones run the chunk again.
    expect(serve(renderGuardLua([JWT]), ['', 'jwt_claims_passed', '', 'webhook_signature_passed', 'jwt_claims_passed', ''])).toEqual([
      REFUSED,
      'pass',
      REFUSED,
      REFUSED,
      'pass',
      REFUSED,
    ]);
  });

  it('two markers: both must be there', () => {
    const both = 'jwt_claims_passed,webhook_signature_passed';
    expect(serve(renderGuardLua([JWT, WEBHOOK]), [both, 'jwt_claims_passed', 'webhook_signature_passed', '', both])).toEqual([
      'pass',
      REFUSED,
      REFUSED,
      REFUSED,
      'pass',
    ]);
  });

  it('a CORS preflight passes without the marker only for a plugin that lets preflights through', () => {
    expect(serve(renderGuardLua([JWT]), ['preflight:'])).toEqual([REFUSED]);
    expect(serve(renderGuardLua([JWT_PREFLIGHT]), ['preflight:', '', 'jwt_claims_passed', 'preflight:jwt_claims_passed'])).toEqual([
      'pass',
      REFUSED,
      'pass',
      'pass',
    ]);
    expect(serve(renderGuardLua([JWT_PREFLIGHT, WEBHOOK]), ['preflight:', 'preflight:webhook_signature_passed', 'webhook_signature_passed'])).toEqual([
      REFUSED,
      'pass',
      REFUSED,
    ]);
  });

  it("the replay is Kong's: a chunk that returns a handler reading kong.ctx.shared once would keep the first request's table", () => {
    const wrong = [
      'local shared = kong.ctx.shared',
      'return function()',
      '  if not shared.jwt_claims_passed then',
      '    return kong.response.exit(503, { message = "x" })',
      '  end',
      'end',
    ].join('\n');
    // The second request has no marker, yet passes: what kong-ctl's guard must never do.
    expect(serve(wrong, ['jwt_claims_passed', ''])).toEqual(['pass', 'pass']);
  });

  it('needs nothing but `kong` (the sandbox gives it kong and ngx), and only the PDK calls the stubs know', () => {
    const r = luajit([DRIVER, ''], 'local s = string.format("%d", 1)');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/attempt to index global 'string'/);
  });
});

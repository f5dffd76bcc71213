/**
 * The harness is faithful if, given the setup and requests recorded in
 * test/fixtures/kong-pdk/trace-kong-3.4.2.jsonl, the real kong-js-pluginserver running
 * pdk-probe.js has the same conversation with KongSim as it had with Kong 3.4.2: same messages
 * in the same order (so the same PDK calls, the same Step types, no Step after exit/error), and
 * the same Data — except for the values listed in RUN_SPECIFIC (trace-scenario.ts), which no two
 * runs share.
 *
 * The setup is read from the trace itself (trace-scenario.ts); entity fields the trace does not
 * show as inputs come from the harness's own Kong defaults, so they are checked, not copied.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginServerProcess, dumpAllPlugins, type KongSim, type SimResult, type WireRecord } from '../harness';
import { binAsTrace, type TestUpstream, type TraceLine } from './helpers';
import { RS, maskHeaders, maskProbeResult, maskSerialize, modes, replayTrace, trace, type TraceRun } from './trace-scenario';

/** One message with the run-specific values replaced; `lastCall` is the PDK call a Step answers. */
function normalize(line: { dir: string; msg: unknown[] }, lastCall: { method: string; args: unknown[] } | undefined): unknown {
  const msg = structuredClone(binAsTrace(line.msg)) as any[];
  if (line.dir === 'ps->kong' && msg[0] === 1 && msg[3] && typeof msg[3] === 'object' && 'StartTime' in msg[3]) msg[3].StartTime = RS;
  if (line.dir === 'ps->kong' && msg[0] === 1) {
    const data = msg[3]?.Data;
    if (data?.Method === 'kong.ctx.shared.set' && data.Args[0] === 'probe_access_result') data.Args[1] = maskProbeResult(data.Args[1]);
  }
  if (line.dir === 'kong->ps' && typeof msg[2] === 'string' && msg[2].startsWith('plugin.Step') && lastCall) {
    const p = msg[3][0] as { Data?: any };
    const m = lastCall.method;
    if (m === 'kong.request.get_start_time' || (m === 'kong.nginx.get_var' && lastCall.args[0] === 'request_id')) p.Data = RS;
    if (m === 'kong.router.get_service' && p.Data) p.Data.port = RS;
    if (m === 'kong.response.get_headers') maskHeaders(p.Data);
    if (m === 'kong.log.serialize') p.Data = maskSerialize(p.Data);
  }
  if (line.dir === 'kong->ps' && msg[2] === 'plugin.StartInstance') msg[3][0].Config = JSON.parse(msg[3][0].Config);
  return { dir: line.dir, msg };
}

function normalizeAll(lines: Array<{ dir: string; msg: unknown[] }>): unknown[] {
  let last: { method: string; args: unknown[] } | undefined;
  return lines.map((l) => {
    const n = normalize(l, last);
    const data = (l.msg as any[])[3]?.Data;
    if (l.dir === 'ps->kong') last = data && typeof data === 'object' && 'Method' in data ? { method: data.Method, args: data.Args } : undefined;
    return n;
  });
}


describe('KongSim replays the recorded Kong 3.4.2 conversation', () => {
  let run: TraceRun;
  let upstream: TestUpstream;
  let sim: KongSim;
  let wire: WireRecord[];
  let results: Map<string, SimResult>;

  beforeAll(async () => {
    run = await replayTrace(async (dir) => {
      const server = PluginServerProcess.kongJs({ pluginsDirectory: dir, sockName: 'probe.sock' });
      await server.start();
      return { server, plugins: await dumpAllPlugins(dir) };
    });
    ({ upstream, sim, wire, results } = run);
  });

  afterAll(async () => {
    await run?.close();
  });

  it('recorded the eight requests the trace describes', () => {
    expect(modes).toEqual(['pass', 'exit', 'exit-table', 'error', 'throw', 'noop', 'respond', 'pass']);
    expect(results.size).toBe(8);
  });

  it('has the same conversation, message by message, modulo the listed run-specific values', () => {
    const ours = normalizeAll(wire);
    const theirs = normalizeAll(trace as TraceLine[]);
    const firstDiff = theirs.findIndex((m, i) => !isDeepStrictEqual(m, ours[i]));
    if (firstDiff >= 0) expect({ index: firstDiff, ...(ours[firstDiff] as object) }).toEqual({ index: firstDiff, ...(theirs[firstDiff] as object) });
    expect(ours.length).toBe(theirs.length);
    expect(ours).toEqual(theirs);
  });

  it('answers with the Step type Kong chose for every PDK method', () => {
    const stepOf = (lines: Array<{ dir: string; msg: unknown[] }>): string[] => {
      const out: string[] = [];
      for (let i = 0; i + 1 < lines.length; i++) {
        const data = (lines[i].msg as any[])[3]?.Data;
        if (lines[i].dir === 'ps->kong' && data?.Method && lines[i + 1].dir === 'kong->ps') out.push(`${data.Method} -> ${String(lines[i + 1].msg[2])}`);
      }
      return out;
    };
    expect(stepOf(wire)).toEqual(stepOf(trace));
    const ours = stepOf(wire);
    for (const typed of ['StepMultiMap', 'StepConsumer', 'StepCredential', 'StepRoute', 'StepService']) expect(ours.some((s) => s.endsWith(`plugin.${typed}`))).toBe(true);
    // no Step after exit/error: Kong's next message is the next event
    expect(ours.filter((s) => /kong\.response\.(exit|error) ->/.test(s)).every((s) => s.endsWith('plugin.HandleEvent'))).toBe(true);
  });

  it('ends each request the way the trace README says Kong did', () => {
    const exit = results.get('exit') as SimResult;
    expect(exit.status).toBe(418);
    expect(exit.text()).toBe('{"message":"probe exit"}');
    expect(exit.headers.first('x-probe-exit')).toBe('yes');
    expect(exit.headers.first('x-probe-resp')).toBe('r');
    expect(exit.upstreamRequest).toBeUndefined();

    const table = results.get('exit-table') as SimResult;
    expect(table.status).toBe(403);
    expect(table.text()).toBe('{"message":"probe exit table"}');
    expect(table.headers.first('content-type')).toBe('application/json; charset=utf-8');

    const error = results.get('error') as SimResult;
    expect(error.status).toBe(403);
    expect(error.text()).toBe('{\n  "message":"probe error"\n}');

    const thrown = results.get('throw') as SimResult;
    expect(thrown.status).toBe(501);
    expect(thrown.source).toBe('service');

    const respond = results.get('respond') as SimResult;
    expect(respond.status).toBe(200);
    expect(respond.text()).toBe('replayed-body');
    expect(respond.headers.first('x-replayed')).toBe('true');
    expect(respond.headers.first('server')).toBe('SimpleHTTP/0.6 Python/3.11.7');
    expect(respond.headers.first('content-type')).toBe('text/html;charset=utf-8');
  });

  it('proxied the service-request mutations and key-auth headers upstream', () => {
    const pass = results.get('pass') as SimResult;
    const sent = pass.upstreamRequest;
    expect(sent?.path).toBe('/x?a=1&a=2&b=3');
    expect(sent?.headers.values('x-probe-b')).toEqual(['b1', 'b2']);
    expect(sent?.headers.has('x-strip-me')).toBe(false);
    const auth = results.get('auth') as SimResult;
    expect(auth.upstreamRequest?.headers.first('x-consumer-username')).toBe('probe-user');
    expect(upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual([...Array(4).fill('POST /x?a=1&a=2&b=3'), 'GET /y']);
  });

  it('flags the probe\'s unknown PDK method, which real Kong answered with nothing', () => {
    const unknown = sim.violations.filter((v) => v.kind === 'unknown-method');
    expect(unknown.map((v) => v.method)).toEqual(Array(6).fill('kong.request.get_no_such_thing'));
    expect(sim.violations.filter((v) => v.kind !== 'unknown-method')).toEqual([]);
  });
});

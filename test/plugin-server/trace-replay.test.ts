/**
 * The recorded Kong 3.4.2 conversation (test/fixtures/kong-pdk/trace-kong-3.4.2.jsonl), replayed
 * by KongSim against OUR plugin server running pdk-probe.js: the same setup and requests as
 * test/harness-tests/trace-replay.test.ts (which runs kong-pdk's server), compared message by
 * message with the trace.
 *
 * One request differs by design: mode "throw". kong-pdk answers a throwing handler with "ret"
 * and Kong proxies (fail open); ours answers `kong.response.exit(500, {message = "An unexpected
 * error occurred"})`, so Kong ends that request with its 500, never proxies, and runs no response
 * phase — one event and one RPC fewer. Every other request must be identical; ids (msgid,
 * EventId) are compared relative to the request's first, since the throw request shifts them,
 * and instance ids relative to the conversation's first: kong-pdk numbers them from 0, ours
 * from a random point (plugins/server/id-base.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpAllPlugins, type KongSim, type PluginServerProcess, type SimResult, type WireRecord } from '../harness';
import { binAsTrace, type TestUpstream, type TraceLine } from '../harness-tests/helpers';
import { RS, maskHeaders, maskProbeResult, maskSerialize, modes, replayTrace, trace, type TraceRun } from '../harness-tests/trace-scenario';
import { ourDumpAllPlugins, ourServer } from './helpers';

type Line = { dir: string; msg: unknown[] };

/** The first instance id a conversation's StartInstance answers gave. */
function firstInstanceId(lines: Line[]): number {
  const answer = lines.find((l) => l.dir === 'ps->kong' && typeof (l.msg[3] as { Id?: unknown } | null)?.Id === 'number');
  if (!answer) throw new Error('no StartInstance answer in the conversation');
  return (answer.msg[3] as { Id: number }).Id;
}

/**
 * One request's messages, run-specific values masked, msgid and EventId relative to the
 * request's first, instance ids relative to `instanceBase`.
 */
function normalizeSegment(lines: Line[], instanceBase: number): unknown[] {
  let last: { method: string; args: unknown[] } | undefined;
  const firstMsgid = lines[0].msg[1] as number;
  let firstEvent: number | undefined;
  return lines.map((line) => {
    const msg = structuredClone(binAsTrace(line.msg)) as any[];
    msg[1] = (msg[1] as number) - firstMsgid;
    if (line.dir === 'ps->kong' && msg[0] === 1 && msg[3] && typeof msg[3] === 'object') {
      if ('StartTime' in msg[3]) msg[3].StartTime = RS;
      if (typeof msg[3].Id === 'number') msg[3].Id -= instanceBase;
      const data = msg[3].Data;
      if (data?.Method === 'kong.ctx.shared.set' && data.Args[0] === 'probe_access_result') data.Args[1] = maskProbeResult(data.Args[1]);
      if (typeof msg[3].EventId === 'number') {
        firstEvent ??= msg[3].EventId;
        msg[3].EventId -= firstEvent as number;
      }
    }
    if (line.dir === 'kong->ps' && typeof msg[2] === 'string' && msg[2].startsWith('plugin.Step')) {
      const p = msg[3][0] as { Data?: any; EventId: number };
      p.EventId -= firstEvent as number;
      const m = last?.method;
      if (m === 'kong.request.get_start_time' || (m === 'kong.nginx.get_var' && last?.args[0] === 'request_id')) p.Data = RS;
      if (m === 'kong.router.get_service' && p.Data) p.Data.port = RS;
      if (m === 'kong.response.get_headers') maskHeaders(p.Data);
      if (m === 'kong.log.serialize') p.Data = maskSerialize(p.Data);
    }
    if (line.dir === 'kong->ps' && msg[2] === 'plugin.StartInstance') msg[3][0].Config = JSON.parse(msg[3][0].Config);
    if (line.dir === 'kong->ps' && msg[2] === 'plugin.HandleEvent') msg[3][0].InstanceId -= instanceBase;
    if (line.dir === 'kong->ps' && (msg[2] === 'plugin.CloseInstance' || msg[2] === 'plugin.InstanceStatus')) msg[3][0] -= instanceBase;
    const data = (line.msg[3] as { Data?: any } | undefined)?.Data;
    if (line.dir === 'ps->kong') last = data && typeof data === 'object' && 'Method' in data ? { method: data.Method, args: data.Args } : undefined;
    return { dir: line.dir, msg };
  });
}

/** Splits a conversation into requests: each of the eight requests starts its own instance. */
function segments(lines: Line[]): Line[][] {
  const out: Line[][] = [];
  for (const l of lines) {
    if (l.dir === 'kong->ps' && l.msg[2] === 'plugin.StartInstance') out.push([]);
    out[out.length - 1].push(l);
  }
  return out;
}

/** "kong->ps plugin.X" / "ps->kong <PDK method | ret>" for each message. */
function shape(lines: Line[]): string[] {
  return lines.map((l) => {
    if (l.dir === 'kong->ps') return `kong->ps ${String(l.msg[2])}`;
    const data = (l.msg[3] as { Data?: any } | undefined)?.Data;
    return `ps->kong ${data && typeof data === 'object' && 'Method' in data ? data.Method : JSON.stringify(data ?? null)}`;
  });
}


describe('the recorded Kong 3.4.2 conversation, replayed against our plugin server', () => {
  let run: TraceRun;
  let server: PluginServerProcess;
  let upstream: TestUpstream;
  let sim: KongSim;
  let wire: WireRecord[];
  let results: Map<string, SimResult>;
  let dir: string;
  const throwIndex = modes.indexOf('throw');

  beforeAll(async () => {
    run = await replayTrace(async (pluginsDirectory) => {
      const started = ourServer({ pluginsDirectory, sockName: 'probe.sock' });
      await started.start();
      // registered from OUR query command, as Kong would with our server in kong.conf
      return { server: started, plugins: await ourDumpAllPlugins(pluginsDirectory) };
    });
    ({ server, upstream, sim, wire, results, dir } = run);
  });

  afterAll(async () => {
    await run?.close();
  });

  it('registers the probe from our query command exactly as from kong-pdk\'s', async () => {
    expect(await ourDumpAllPlugins(dir)).toEqual(await dumpAllPlugins(dir));
  });

  it('has the same conversation as real Kong had, request by request, except the throw request', () => {
    const ours = segments(wire);
    const theirs = segments(trace as TraceLine[]);
    expect(ours.length).toBe(8);
    expect(theirs.length).toBe(8);
    expect(throwIndex).toBe(4);
    for (let i = 0; i < theirs.length; i++) {
      if (i === throwIndex) continue;
      const a = normalizeSegment(ours[i], firstInstanceId(wire));
      const b = normalizeSegment(theirs[i], firstInstanceId(trace as TraceLine[]));
      const firstDiff = b.findIndex((m, j) => !isDeepStrictEqual(m, a[j]));
      if (firstDiff >= 0) expect({ request: modes[i], index: firstDiff, ...(a[firstDiff] as object) }).toEqual({ request: modes[i], index: firstDiff, ...(b[firstDiff] as object) });
      expect(a).toEqual(b);
    }
    // kong-pdk hands ids out from 0 (the trace), ours from a random point, one new instance per request
    expect((trace[1].msg[3] as { Id: number }).Id).toBe(0);
    expect((trace[3].msg[3] as { EventId: number }).EventId).toBe(0);
    expect((wire[1].msg[3] as { Id: number }).Id).toBe(firstInstanceId(wire));
    expect((wire[3].msg[3] as { EventId: number }).EventId).toBeGreaterThan(0);
  });

  it('answers the throw with Kong\'s 500 exit instead of "ret", so no response phase runs', () => {
    const ours = segments(wire)[throwIndex];
    const theirs = segments(trace as TraceLine[])[throwIndex];
    const recorded = shape(theirs);
    expect(recorded).toEqual(expect.arrayContaining(['kong->ps plugin.HandleEvent']));
    // recorded: access -> "ret", response -> "ret", then the log event
    const logStart = theirs.findIndex((l) => l.dir === 'kong->ps' && (l.msg[3] as any[])[0]?.EventName === 'log');
    const expected = [
      ...recorded.slice(0, 3),
      'ps->kong kong.response.exit',
      ...recorded.slice(logStart),
    ];
    expect(shape(ours)).toEqual(expected);
    expect(normalizeSegment(ours, firstInstanceId(wire)).slice(0, 2)).toEqual(normalizeSegment(theirs, firstInstanceId(trace as TraceLine[])).slice(0, 2));
    expect((ours[3].msg[3] as { Data: unknown }).Data).toEqual({ Method: 'kong.response.exit', Args: [500, { message: 'An unexpected error occurred' }] });
    const thrown = results.get('throw') as SimResult;
    expect(thrown.status).toBe(500);
    expect(thrown.source).toBe('exit');
    expect(thrown.text()).toBe('{"message":"An unexpected error occurred"}');
    expect(thrown.upstreamRequest).toBeUndefined();
    expect(thrown.events.map((e) => e.phase)).toEqual(['access', 'log']);
    const status = thrown.calls.find((c) => c.phase === 'log' && c.method === 'kong.response.get_status');
    expect(status?.data).toBe(500);
    const instance = firstInstanceId(wire) + throwIndex;
    const logged = new RegExp(`\\[WARN\\] unhandled exception in pdk-probe\\.access on instance #${instance} \\(event #\\d+\\); answered 500: Error: probe: deliberate throw`);
    expect(server.logs.some((l) => logged.test(l))).toBe(true);
  });

  it('answers with the Step type Kong chose for every PDK method, and no Step follows exit/error', () => {
    const stepOf = (lines: Line[]): string[] => {
      const out: string[] = [];
      for (let i = 0; i + 1 < lines.length; i++) {
        const data = (lines[i].msg as any[])[3]?.Data;
        if (lines[i].dir === 'ps->kong' && data?.Method && lines[i + 1].dir === 'kong->ps') out.push(`${data.Method} -> ${String(lines[i + 1].msg[2])}`);
      }
      return out;
    };
    const withoutThrow = (lines: Line[]): Line[] => segments(lines).filter((_, i) => i !== throwIndex).flat();
    expect(stepOf(withoutThrow(wire))).toEqual(stepOf(withoutThrow(trace as TraceLine[])));
    const ours = stepOf(wire);
    for (const typed of ['StepMultiMap', 'StepConsumer', 'StepRoute', 'StepCredential', 'StepService']) expect(ours.some((s) => s.endsWith(`plugin.${typed}`))).toBe(true);
    expect(ours.filter((s) => /kong\.response\.(exit|error) ->/.test(s)).every((s) => s.endsWith('plugin.HandleEvent'))).toBe(true);
  });

  it('ends the other requests the way the trace README says Kong did', () => {
    expect(results.get('exit')?.status).toBe(418);
    expect(results.get('exit')?.text()).toBe('{"message":"probe exit"}');
    expect(results.get('exit-table')?.text()).toBe('{"message":"probe exit table"}');
    expect(results.get('error')?.text()).toBe('{\n  "message":"probe error"\n}');
    expect(results.get('noop')?.status).toBe(501);
    expect(results.get('respond')?.text()).toBe('replayed-body');
    expect(results.get('auth')?.upstreamRequest?.headers.first('x-consumer-username')).toBe('probe-user');
    // pass, noop, respond and the second pass reached the upstream; the throw did not
    expect(upstream.requests.map((r) => `${r.method} ${r.url}`)).toEqual([...Array(3).fill('POST /x?a=1&a=2&b=3'), 'GET /y']);
  });

  it('still lets KongSim flag the probe\'s unknown PDK method (strictness works with our server)', () => {
    const unknown = sim.violations.filter((v) => v.kind === 'unknown-method');
    // one per request whose access got that far: not the throw, not the noop
    expect(unknown.map((v) => v.method)).toEqual(Array(6).fill('kong.request.get_no_such_thing'));
    expect(sim.violations.filter((v) => v.kind !== 'unknown-method')).toEqual([]);
  });
});

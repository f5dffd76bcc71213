/**
 * With the event table full (--max-events), the event waiting longest for Kong is evicted. Kong
 * has not abandoned it: it is running the PDK call and sends its Step, which used to get the RPC
 * error "event id N not found"; Kong's Rpc:handle_event (rpc/mp_rpc.lua; plugin_servers/mp_rpc.lua
 * before 3.8) only logs such an error, so the request was proxied although the plugin's access
 * handler never finished. The Step of an evicted access event now gets the 503 exit.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RawConnection } from './helpers';
import { startOurs, type ServerProc } from './spawned-server';

const procs: ServerProc[] = [];
const start = (config: Record<string, unknown>) => ({ Name: 'ender', Config: JSON.stringify({ __seq__: 0, __plugin_id: 'p', ms: 0, access: 'zero', response: 'zero', log: 'zero', ...config }) });

describe('an access event evicted from a full table', () => {
  afterAll(() => {
    for (const p of procs) p.kill();
  });

  it("is not answered with an error that makes Kong proxy the request (Kong's Step still comes)", async () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'review-evict-'));
    const server = startOurs(prefix, 'ev.sock', ['ender'], ['--max-events', '1']);
    procs.push(server);
    await server.listening();
    const kong = await RawConnection.open(server.socketPath);
    try {
      await kong.write(kong.request(1, 'plugin.StartInstance', start({ access: 'return' })));
      const [started] = await kong.waitFor(1);
      const id = (started[3] as { Id: number }).Id;
      // request A: access asks Kong for a header; Kong is running that PDK call
      await kong.write(kong.request(2, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' }));
      const [, a] = await kong.waitFor(2);
      const eventA = (a[3] as { EventId: number; Data: { Method: string } });
      expect(eventA.Data.Method).toBe('kong.request.get_header');
      // request B arrives while A's PDK call runs: the table is full, A is evicted
      await kong.write(kong.request(3, 'plugin.HandleEvent', { InstanceId: id, EventName: 'access' }));
      await kong.waitFor(3);
      // Kong's Step for A (the header's value)
      await kong.write(kong.request(4, 'plugin.Step', { EventId: eventA.EventId, Data: 'v' }));
      const answers = await kong.waitFor(4);
      const stepAnswer = answers[3];
      expect(stepAnswer[1]).toBe(4);
      // an error here means Kong logs it and proxies request A without the plugin's verdict
      expect(stepAnswer[2]).toBeNull();
    } finally {
      kong.close();
    }
  });
});

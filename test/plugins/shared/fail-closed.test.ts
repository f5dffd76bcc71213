/**
 * Pure-logic checks of the wrapper with a recording stand-in for `kong`; the acceptance test of
 * fail-closed through the real plugin server is in test/plugins/jwt-claims/harness.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { failClosed } from '../../../plugins/shared/fail-closed';
import { markPassed, passedMarkerKey } from '../../../plugins/shared/ctx-marker';
import { refuse } from '../../../plugins/shared/respond';
import type { Kong } from '../../../plugins/shared/pdk';

type Call = [string, ...unknown[]];

function recordingKong(failing: Set<string> = new Set()): { kong: Kong; calls: Call[] } {
  const calls: Call[] = [];
  const leaf = (path: string) => async (...args: unknown[]) => {
    calls.push([path, ...args]);
    if (failing.has(path)) throw new Error(`PDK method ${path} failed`);
    return undefined;
  };
  const kong = {
    log: { err: leaf('kong.log.err') },
    response: { exit: leaf('kong.response.exit') },
    ctx: { shared: { set: leaf('kong.ctx.shared.set') } },
  } as unknown as Kong;
  return { kong, calls };
}

describe('failClosed', () => {
  it('turns an exception into one log call and a 500 with Kong text, without internals', async () => {
    const { kong, calls } = recordingKong();
    await failClosed(kong, 'p', 'access', async () => {
      throw new Error('secret internals: db password=hunter2');
    });
    expect(calls).toHaveLength(2);
    expect(calls[0]![0]).toBe('kong.log.err');
    expect(String(calls[0]![1])).toContain('secret internals');
    expect(calls[1]).toEqual(['kong.response.exit', 500, { message: 'An unexpected error occurred' }]);
  });

  it('still refuses when logging fails, and only logs in the log phase', async () => {
    const broken = recordingKong(new Set(['kong.log.err']));
    await failClosed(broken.kong, 'p', 'access', async () => Promise.reject(new Error('x')));
    expect(broken.calls.map((c) => c[0])).toEqual(['kong.log.err', 'kong.response.exit']);

    const logPhase = recordingKong();
    await failClosed(logPhase.kong, 'p', 'log', async () => Promise.reject('plain string'));
    expect(logPhase.calls.map((c) => c[0])).toEqual(['kong.log.err']);
  });

  it('makes no call when the handler succeeds', async () => {
    const { kong, calls } = recordingKong();
    await failClosed(kong, 'p', 'access', async () => undefined);
    expect(calls).toEqual([]);
  });
});

describe('refuse and markPassed', () => {
  it('sends status, Kong body shape and headers in one exit call', async () => {
    const { kong, calls } = recordingKong();
    await refuse(kong, 401, 'Unauthorized', { 'WWW-Authenticate': 'Bearer' });
    await refuse(kong, 429, 'Slow down');
    expect(calls).toEqual([
      ['kong.response.exit', 401, { message: 'Unauthorized' }, { 'WWW-Authenticate': 'Bearer' }],
      ['kong.response.exit', 429, { message: 'Slow down' }],
    ]);
  });

  it('marks a passed request under a Lua-friendly key', async () => {
    const { kong, calls } = recordingKong();
    await markPassed(kong, 'jwt-claims');
    expect(passedMarkerKey('webhook-verify')).toBe('webhook_verify_passed');
    expect(calls).toEqual([['kong.ctx.shared.set', 'jwt_claims_passed', true]]);
  });
});

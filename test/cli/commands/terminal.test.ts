/**
 * Human output: colour only on a terminal and never with NO_COLOR or --no-color; progress is one
 * rewriting line on a terminal and plain lines in CI logs.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { useColor } from '../../../cli/src/commands/options';
import { progressReporter } from '../../../cli/src/commands/progress';
import type { Io } from '../../../cli/src/commands/context';
import type { Change } from '../../../cli/src/model/plan';

describe('colour', () => {
  it('only on a TTY', () => {
    expect(useColor({ color: true }, { isTTY: true }, {})).toBe(true);
    expect(useColor({ color: true }, { isTTY: false }, {})).toBe(false);
    expect(useColor({ color: true }, {}, {})).toBe(false);
  });
  it('never with NO_COLOR (any non-empty value) or --no-color', () => {
    expect(useColor({ color: true }, { isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ color: false }, { isTTY: true }, {})).toBe(false);
    expect(useColor({ color: true }, { isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });
});

function io(tty: boolean): { io: Io; text: () => string } {
  const err = Object.assign(new PassThrough(), { isTTY: tty });
  let text = '';
  err.on('data', (c) => (text += c.toString()));
  const out = Object.assign(new PassThrough(), { isTTY: tty });
  return { io: { stdout: out, stderr: err, env: {}, readStdin: async () => '' }, text: () => text };
}

const change = { op: 'create', kind: 'service', key: 'service:orders', label: 'service orders' } as Change;

describe('progress', () => {
  it('plain lines when stderr is not a terminal (CI)', async () => {
    const t = io(false);
    const p = progressReporter(t.io, false);
    p.update(1, 2, change);
    p.update(2, 2, change);
    p.finish();
    await new Promise((r) => setImmediate(r));
    expect(t.text()).toBe('[1/2] create service orders\n[2/2] create service orders\n');
  });
  it('one rewriting line on a terminal, cleared at the end', async () => {
    const t = io(true);
    const p = progressReporter(t.io, false);
    p.update(1, 2, change);
    p.finish();
    await new Promise((r) => setImmediate(r));
    expect(t.text()).toBe('\r\x1b[2K[1/2] create service orders\r\x1b[2K');
  });
  it('nothing with JSON output', async () => {
    const t = io(true);
    const p = progressReporter(t.io, true);
    p.update(1, 1, change);
    p.finish();
    await new Promise((r) => setImmediate(r));
    expect(t.text()).toBe('');
  });
});

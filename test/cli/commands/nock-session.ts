/**
 * Command tests that play Kong's side with nock: no request may reach the network, a test fails
 * when it leaves a mocked answer unasked (a request kong-ctl stopped making must not pass
 * unnoticed), and a temporary folder holds the files the tests write.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

export interface NockSession {
  /** The session's folder (set once the file's tests start). */
  dir(): string;
  /** Writes `text` to `name` in the folder; its path. */
  write(name: string, text: string): string;
}

/**
 * `unaskedAllowed`: for tests serving a whole live node (every schema, every list) of which a run
 * asks only what its file needs.
 */
export function nockSession(prefix: string, opts: { unaskedAllowed?: boolean } = {}): NockSession {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    nock.disableNetConnect();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    nock.enableNetConnect();
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    if (!opts.unaskedAllowed) expect(pending).toEqual([]);
  });
  return {
    dir: () => dir,
    write: (name, text) => {
      const f = join(dir, name);
      writeFileSync(f, text);
      return f;
    },
  };
}

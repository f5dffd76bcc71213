/**
 * Runs a pre-function `config.access` chunk under LuaJIT as Kong's pre-function runs it
 * (kong-pre-function-uri.lua), for one request per upstream URI: the URIs after the chunk ran.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

const LUAJIT = process.env.LUAJIT ?? 'luajit';
const DRIVER = join(__dirname, 'kong-pre-function-uri.lua');

export function runPreFunction(chunk: string, uris: string[]): string[] {
  const r = spawnSync(LUAJIT, [DRIVER, ...uris], { input: chunk, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${LUAJIT} (install LuaJIT, e.g. apt-get install luajit): ${r.error.message}`);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').slice(0, uris.length);
}

/**
 * `kong-ctl validate` of a decK file given as YAML (after its `_format_version`), written to a
 * temporary folder the calling test file removes when done: what the tests of offline checks
 * feed one case at a time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import type { Diagnostic } from '../../../cli/src/model/errors';

/** The problems `kong-ctl validate` finds in one file, offline. */
export async function validateFile(file: string): Promise<Diagnostic[]> {
  return validateDesired(await loadDesired({ files: [file], env: {} }));
}

/** Registers the folder's removal in the calling test file; returns the validator. */
export function yamlValidator(prefix: string): (yaml: string) => Promise<Diagnostic[]> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  return async (yaml) => {
    const file = path.join(dir, `f${n++}.yaml`);
    writeFileSync(file, `_format_version: "3.0"\n${yaml}`);
    return validateFile(file);
  };
}

/** `line:column path: message`, each problem at its place. */
export const located = (d: Diagnostic) => `${d.source?.line}:${d.source?.column} ${d.source?.path ?? ''}: ${d.message}`;

/**
 * Turning `-f` values into texts: a file, a directory (decK walks it recursively in lexical
 * order and takes every .yaml/.yml/.json, case-insensitively) or `-` for stdin.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from '../model/errors';

export interface SourceText {
  name: string;
  text: string;
}

export const STDIN_NAME = '<stdin>';
const CONFIG_EXT = new Set(['.yaml', '.yml', '.json']);

async function walk(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (CONFIG_EXT.has(path.extname(e.name).toLowerCase())) out.push(p);
  }
  return out;
}

export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file or directory';
  if (e.code === 'EACCES') return 'permission denied';
  return e.message ?? String(err);
}

export async function readSources(
  inputs: string[],
  readStdin: () => Promise<string> = readAllStdin,
): Promise<{ sources: SourceText[]; diagnostics: Diagnostic[] }> {
  const sources: SourceText[] = [];
  const diagnostics: Diagnostic[] = [];
  if (inputs.length === 0) diagnostics.push({ code: 'E_USAGE', message: 'no state file given (use -f FILE, -f DIR or -f -)' });
  let stdin: string | undefined;
  // A file named twice (or a directory and a file in it) is read once: twice would duplicate every entity.
  const seen = new Set<string>();
  for (const input of inputs) {
    if (input === '-') {
      if (stdin === undefined) {
        stdin = stripBom(await readStdin());
        sources.push({ name: STDIN_NAME, text: stdin });
      }
      continue;
    }
    let files: string[];
    try {
      const st = await fs.stat(input);
      files = st.isDirectory() ? await walk(input) : [input];
      if (st.isDirectory() && files.length === 0)
        diagnostics.push({ code: 'E_FILE_READ', message: `directory '${input}' holds no .yaml, .yml or .json file` });
    } catch (err) {
      diagnostics.push({ code: 'E_FILE_READ', message: `cannot read '${input}': ${reason(err)}` });
      continue;
    }
    for (const f of files) {
      if (seen.has(path.resolve(f))) continue;
      seen.add(path.resolve(f));
      try {
        sources.push({ name: f, text: stripBom(await fs.readFile(f, 'utf8')) });
      } catch (err) {
        diagnostics.push({ code: 'E_FILE_READ', message: `cannot read '${f}': ${reason(err)}` });
      }
    }
  }
  return { sources, diagnostics };
}

/**
 * The file commands edit the document in place: a command that changes nothing writes back every
 * YAML file of the repository byte for byte (comments, quoting, anchors, templates, indentation),
 * so what a real change leaves around it is as written too.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCli } from '../commands/run-cli';

const ROOT = join(__dirname, '..', '..', '..');
const YAML_FILES = execFileSync('git', ['ls-files', '*.yaml', '*.yml'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.includes('/bad/') && !f.startsWith('docker-compose'));

describe('kong-ctl file: what no change touches stays as written', () => {
  it('finds the repository’s YAML files, decK files with templates and anchors among them', () => {
    expect(YAML_FILES.length).toBeGreaterThan(20);
    expect(YAML_FILES).toContain('kong/kong.yaml');
    expect(YAML_FILES.some((f) => readFileSync(join(ROOT, f), 'utf8').includes('${{ env'))).toBe(true);
  });

  it('writes each back byte for byte', async () => {
    const changed: string[] = [];
    for (const f of YAML_FILES) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      const r = await runCli(['file', 'patch', '--value', 'no_such_key:'], { stdin: text });
      expect(r.code, `${f}: ${r.stderr}`).toBe(0);
      if (r.stdout !== text) changed.push(relative(ROOT, join(ROOT, f)));
    }
    expect(changed).toEqual([]);
  });
});

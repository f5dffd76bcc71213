/**
 * Every kong-ctl command line the README and docs/ show (code blocks and inline code) names a
 * command kong-ctl has and only flags that command takes, so a renamed or removed flag cannot
 * leave the documentation telling users to type something kong-ctl refuses.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../cli/src/main';
import { processIo } from '../../../cli/src/commands/context';

const ROOT = join(__dirname, '..', '..', '..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
const SHELL_OPERATORS = new Set(['>', '>>', '<', '|', '||', '&&', ';', '2>&1']);

/** The kong-ctl invocations of a Markdown text, as argument lists after `kong-ctl`. */
function invocations(text: string): string[][] {
  const lines: string[] = [];
  for (const block of text.matchAll(/```(?:sh|bash)\n([\s\S]*?)```/g)) lines.push(...block[1].split('\n'));
  for (const span of text.matchAll(/`((?:npx )?kong-ctl [^`]+)`/g)) lines.push(span[1].replace(/\\\|/g, '|'));
  const out: string[][] = [];
  for (const line of lines) {
    const at = line.search(/\bkong-ctl /);
    if (at < 0 || line.trimStart().startsWith('#')) continue;
    const tokens = line.slice(at + 'kong-ctl '.length).match(/'[^']*'|"[^"]*"|\S+/g) ?? [];
    const end = tokens.findIndex((t) => SHELL_OPERATORS.has(t) || t.startsWith('#'));
    out.push(end < 0 ? tokens : tokens.slice(0, end));
  }
  return out;
}

function spellings(cmd: Command): Set<string> {
  const out = new Set(['-h', '--help']);
  for (const o of cmd.options as Option[]) for (const s of [o.long, o.short]) if (s) out.add(s);
  return out;
}

const program = buildProgram(processIo(), () => undefined);
const commands = new Map((program.commands as Command[]).map((c) => [c.name(), c]));

/** What in these command lines kong-ctl would refuse. */
function problemsOf(found: Array<{ doc: string; args: string[] }>): string[] {
  const wrong: string[] = [];
  for (const { doc, args } of found) {
    let [name, ...rest] = args;
    if (name.startsWith('-')) continue; // `kong-ctl --version`
    let cmd = commands.get(name);
    if (!cmd) {
      wrong.push(`${doc}: kong-ctl ${args.join(' ')}: no command '${name}'`);
      continue;
    }
    if (cmd.commands.length) {
      if (rest.length === 0) continue; // the group alone (`kong-ctl file`) lists its commands
      // A group (`file`): the next word names the command that runs.
      const sub = (cmd.commands as Command[]).find((c) => c.name() === rest[0]);
      if (!sub) {
        wrong.push(`${doc}: kong-ctl ${args.join(' ')}: no command '${name} ${rest[0] ?? ''}'`);
        continue;
      }
      [cmd, name, rest] = [sub, `${name} ${rest[0]}`, rest.slice(1)];
    }
    const flags = spellings(cmd);
    for (const t of rest) {
      const flag = t.split('=')[0];
      if (/^--?[a-zA-Z]/.test(flag) && !flags.has(flag)) wrong.push(`${doc}: kong-ctl ${args.join(' ')}: no flag '${flag}' on ${name}`);
    }
  }
  return wrong;
}

describe('kong-ctl command lines in the documentation', () => {
  const found = DOCS.flatMap((doc) => invocations(readFileSync(join(ROOT, doc), 'utf8')).map((args) => ({ doc, args })));

  it('are found in code blocks and inline code, and a wrong one is caught', () => {
    expect(found.length).toBeGreaterThan(20);
    for (const name of ['validate', 'diff', 'apply', 'dump', 'reset', 'convert', 'completion']) expect(found.some((f) => f.args[0] === name), name).toBe(true);
    const sample =
      'Run `kong-ctl diff -f a.yaml --bogus`, then:\n```sh\nnpx kong-ctl aply -f x > out.txt\nnpx kong-ctl apply -f x -o json | jq . # fine\n' +
      'kong-ctl file add-tags -s k.yaml --selector x t # fine\nkong-ctl file add-tag x\nkong-ctl file patch --bogus\n```\n';
    expect(problemsOf(invocations(sample).map((args) => ({ doc: 'sample.md', args })))).toEqual([
      "sample.md: kong-ctl aply -f x: no command 'aply'",
      "sample.md: kong-ctl file add-tag x: no command 'file add-tag'",
      "sample.md: kong-ctl file patch --bogus: no flag '--bogus' on file patch",
      "sample.md: kong-ctl diff -f a.yaml --bogus: no flag '--bogus' on diff",
    ]);
  });

  it('name real commands and only their flags', () => {
    expect(problemsOf(found)).toEqual([]);
  });
});

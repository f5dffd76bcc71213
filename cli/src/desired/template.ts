/**
 * decK's `${{ env "DECK_NAME" }}` templating, done like decK does it: on the raw text, before
 * parsing. Each substitution is recorded so that positions in the rendered text can be mapped
 * back to the file as written (see positions.ts) and the substituted values masked on output.
 * Supported: `env "NAME"` optionally piped into `toBool`, `toInt` or `toFloat` (decK's funcs),
 * and `/* comments *\/`; names must start with `DECK_` or `KONG_CTL_`.
 */
import { getOwn } from '../model/own';

export const ENV_PREFIXES = ['DECK_', 'KONG_CTL_'] as const;

export interface Substitution {
  /** Offsets in the original text, `${{` … `}}` inclusive/exclusive. */
  origStart: number;
  origEnd: number;
  /** Offsets of the inserted value in the rendered text. */
  start: number;
  end: number;
  variable: string;
  value: string;
  /**
   * The expression could not be rendered: `value` is a stand-in (as decK's mocked rendering
   * does: the variable's name, 42 for numbers, false for booleans) so the rest of the file still
   * parses and can be checked, and it is no secret.
   */
  failed?: boolean;
}

export interface TemplateProblem {
  /** Offset in the original text. */
  offset: number;
  message: string;
  /** `unset`: the variable is not in the environment; `syntax`: the expression itself is wrong. */
  kind: 'unset' | 'syntax';
}

export interface Rendered {
  text: string;
  substitutions: Substitution[];
  problems: TemplateProblem[];
}

const ACTION = /\$\{\{([\s\S]*?)\}\}/g;
const ENV_CALL = /^env\s+(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`)(?:\s*\|\s*(toBool|toInt|toFloat))?$/;

/** Go's strconv.ParseBool. */
const BOOLS: Record<string, boolean> = {
  '1': true, t: true, T: true, TRUE: true, true: true, True: true,
  '0': false, f: false, F: false, FALSE: false, false: false, False: false,
};

/** decK's mocked template functions (template.go): what a value reads as when it cannot be rendered. */
const MOCKS: Record<string, string> = { toBool: 'false', toInt: '42', toFloat: '42' };

function convert(value: string, fn: string | undefined): { value: string } | { error: string } {
  if (!fn) return { value };
  if (fn === 'toBool') {
    // Own keys only: `constructor` or `toString` is no boolean, though `in` finds them.
    const b = getOwn(BOOLS, value);
    return typeof b === 'boolean' ? { value: String(b) } : { error: `'${value}' is not a boolean` };
  }
  if (fn === 'toInt') {
    return /^[+-]?\d+$/.test(value) ? { value: String(BigInt(value)) } : { error: `'${value}' is not an integer` };
  }
  const n = Number(value.trim());
  return value.trim() !== '' && Number.isFinite(n) ? { value: String(n) } : { error: `'${value}' is not a number` };
}

export function renderEnvTemplate(text: string, env: NodeJS.ProcessEnv): Rendered {
  const substitutions: Substitution[] = [];
  const problems: TemplateProblem[] = [];
  let out = '';
  let last = 0;
  for (const m of text.matchAll(ACTION)) {
    const origStart = m.index ?? 0;
    const origEnd = origStart + m[0].length;
    out += text.slice(last, origStart);
    last = origEnd;
    const emit = (variable: string, value: string, failed: boolean) => {
      const s: Substitution = { origStart, origEnd, start: out.length, end: out.length + value.length, variable, value };
      if (failed) s.failed = true;
      substitutions.push(s);
      out += value;
    };
    const fail = (message: string, variable: string, standIn: string, kind: TemplateProblem['kind'] = 'syntax') => {
      problems.push({ offset: origStart, message, kind });
      emit(variable, standIn, true);
    };
    const body = m[1].trim();
    if (/^\/\*[\s\S]*\*\/$/.test(body)) {
      emit('', '', false);
      continue;
    }
    const call = ENV_CALL.exec(body);
    if (!call) {
      fail(
        `unsupported template expression '\${{ ${body} }}': only \${{ env "DECK_NAME" }} (optionally | toBool, toInt, toFloat) is supported`,
        '',
        m[0],
      );
      continue;
    }
    const name = call[1] !== undefined ? call[1].replace(/\\(.)/g, '$1') : call[2];
    const standIn = MOCKS[call[3] ?? ''] ?? name;
    if (!ENV_PREFIXES.some((p) => name.startsWith(p))) {
      fail(`environment variables in the state file must be prefixed with 'DECK_' or 'KONG_CTL_', found: '${name}'`, name, standIn);
      continue;
    }
    const raw = env[name];
    if (raw === undefined) {
      fail(`environment variable '${name}' present in state file but not set`, name, standIn, 'unset');
      continue;
    }
    const conv = convert(raw, call[3]);
    if ('error' in conv) {
      fail(`${call[3]}(env "${name}"): ${conv.error}`, name, standIn);
      continue;
    }
    emit(name, conv.value, false);
  }
  out += text.slice(last);
  return { text: out, substitutions, problems };
}

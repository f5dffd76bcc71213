/**
 * `kong-ctl file lint`'s output, in decK's three formats (cmd/file_lint.go):
 *
 * - plain: `Linting Violations: N`, `Failures: M`, a blank line, then `[severity][line:column]
 *   message` per result, and nothing at all when there is no result. kong-ctl writes
 *   `[severity][file:line:column]`, so that every result says where it is.
 * - json and yaml: `{ total_count, fail_count, results }`, each result with decK's keys (Go's
 *   field names: Message, Severity, Line, Column, Character, Path). Character is always 0 in decK
 *   and stays so; Path is the rule's given; kong-ctl adds Rule, the rule's name. Keys come in
 *   the order Go writes them: sorted for maps, and in YAML for results too.
 */
import { Document } from 'yaml';
import { SEVERITIES, type Severity } from './ruleset';
import type { LintResult } from './run';

export type ReportFormat = 'plain' | 'json' | 'yaml';
export const REPORT_FORMATS: readonly ReportFormat[] = ['plain', 'json', 'yaml'];

export interface Report {
  results: LintResult[];
  totalCount: number;
  /** Results at or above the fail severity: any makes the run fail. */
  failCount: number;
}

/** Higher is more severe. */
const rank = (s: Severity) => SEVERITIES.length - SEVERITIES.indexOf(s);

/** decK's counting: with `onlyFailures`, results below the fail severity are neither shown nor counted. */
export function reportOf(results: readonly LintResult[], failSeverity: Severity, onlyFailures: boolean): Report {
  const fails = (r: LintResult) => rank(r.severity) >= rank(failSeverity);
  const shown = onlyFailures ? results.filter(fails) : [...results];
  return { results: shown, totalCount: shown.length, failCount: shown.filter(fails).length };
}

export function renderReport(report: Report, format: ReportFormat, file: string): string {
  if (format === 'plain') {
    if (report.totalCount === 0) return '';
    const lines = report.results.map((r) => `[${r.severity}][${file}:${r.line}:${r.column}] ${r.message}`);
    return `Linting Violations: ${report.totalCount}\nFailures: ${report.failCount}\n\n${lines.join('\n')}`;
  }
  const entry = (r: LintResult) =>
    format === 'json'
      ? { Message: r.message, Severity: r.severity, Line: r.line, Column: r.column, Character: 0, Path: r.given, Rule: r.rule }
      : { Character: 0, Column: r.column, Line: r.line, Message: r.message, Path: r.given, Rule: r.rule, Severity: r.severity };
  const out = { fail_count: report.failCount, results: report.results.map(entry), total_count: report.totalCount };
  if (format === 'json') return JSON.stringify(out, null, 2);
  return new Document(out).toString({ indentSeq: false, lineWidth: 0, singleQuote: true });
}

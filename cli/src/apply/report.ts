/**
 * The apply report as text (one line per entity that did not get applied, then one summary
 * line) and as JSON in the project's stable style: `format_version`, every key always present,
 * fixed key order. Neither prints field values, so nothing masked can leak. Same for the
 * DB-less result.
 */
import type { SourceRef } from '../model/entity';
import { formatDiagnostic } from '../model/errors';
import type { ApplyReport, ApplyResult } from './types';
import type { DblessResult } from './dbless';

export interface ApplySummary {
  done: number;
  failed: number;
  notAttempted: number;
  writes: number;
}

export function summarizeApply(report: ApplyReport): ApplySummary {
  const s: ApplySummary = { done: 0, failed: 0, notAttempted: 0, writes: report.writes };
  for (const r of report.results) {
    if (r.status === 'done') s.done++;
    else if (r.status === 'failed') s.failed++;
    else s.notAttempted++;
  }
  return s;
}

/** Success means every change was applied; a dry run succeeds when it could be planned. */
export function applySucceeded(report: ApplyReport): boolean {
  if (report.dryRun) return true;
  return report.results.every((r) => r.status === 'done');
}

function what(r: ApplyResult): string {
  return `${r.change.op} ${r.change.label}`;
}

function where(source: SourceRef | undefined): string {
  if (!source) return '';
  return `${source.file}:${source.line}:${source.column}: `;
}

function failedLines(r: ApplyResult): string[] {
  const status = r.httpStatus ? ` (${r.httpStatus})` : '';
  const message = `${what(r)} failed${status}: ${r.error ?? 'unknown error'}${r.request ? ` [${r.request}]` : ''}`;
  const lines = [formatDiagnostic({ message, source: r.change.desired?.source })];
  for (const fe of r.fieldErrors ?? []) lines.push(`    ${fe}`);
  return lines;
}

function notAttemptedLine(r: ApplyResult): string {
  const source = r.change.desired?.source;
  const path = source?.path ? `${source.path}: ` : '';
  const why = r.blockedBy ? `blocked by failed ${r.blockedBy}` : (r.error ?? 'not reached');
  return `${where(source)}not attempted: ${path}${what(r)}: ${why}`;
}

export function renderApplyText(report: ApplyReport): string {
  const s = summarizeApply(report);
  if (report.dryRun) {
    const n = report.results.length;
    return `Dry run: ${n} change${n === 1 ? '' : 's'} planned, no writes made.\n`;
  }
  const lines: string[] = [];
  for (const r of report.results) if (r.status === 'failed') lines.push(...failedLines(r));
  for (const r of report.results) if (r.status === 'not_attempted') lines.push(notAttemptedLine(r));
  lines.push(`Apply: ${s.done} done, ${s.failed} failed, ${s.notAttempted} not attempted.`);
  return lines.join('\n') + '\n';
}

export function applyReportJson(report: ApplyReport): Record<string, unknown> {
  const s = summarizeApply(report);
  return {
    format_version: 1,
    dry_run: Boolean(report.dryRun),
    summary: { done: s.done, failed: s.failed, not_attempted: s.notAttempted, writes: s.writes },
    results: report.results.map((r) => ({
      op: r.change.op,
      kind: r.change.kind,
      key: r.change.key,
      label: r.change.label,
      status: r.status,
      id: r.id ?? r.change.id ?? null,
      source: r.change.desired?.source
        ? {
            file: r.change.desired.source.file,
            line: r.change.desired.source.line,
            column: r.change.desired.source.column,
            path: r.change.desired.source.path,
          }
        : null,
      error: r.error ?? null,
      field_errors: r.fieldErrors ?? [],
      http_status: r.httpStatus ?? null,
      request: r.request ?? null,
      blocked_by: r.blockedBy ?? null,
    })),
  };
}

export function renderApplyJson(report: ApplyReport): string {
  return JSON.stringify(applyReportJson(report), null, 2) + '\n';
}

/** DB-less: the outcome of the one POST /config, with each rejected entity at its file:line. */
export function renderDblessText(result: DblessResult): string {
  const counts = Object.entries(result.countsByKind)
    .map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`)
    .join(', ');
  const n = result.entityCount;
  const what = `${n} entit${n === 1 ? 'y' : 'ies'}${counts ? ` (${counts})` : ''}`;
  switch (result.status) {
    case 'dry_run':
      return `Dry run: a configuration of ${what}, ${result.bytes} bytes, would be sent to POST /config; nothing sent.\n`;
    case 'unchanged':
      return 'DB-less apply: no changes (Kong already runs this configuration).\n';
    case 'applied':
      return `DB-less apply: configuration of ${what} loaded.\n`;
    case 'invalid': {
      const lines: string[] = [];
      for (const e of result.entityErrors) {
        lines.push(formatDiagnostic({ message: `${e.label} rejected by Kong`, source: e.source }));
        for (const msg of e.errors) lines.push(`    ${msg}`);
      }
      for (const msg of result.errors) lines.push(formatDiagnostic({ message: msg }));
      const m = result.entityErrors.length;
      lines.push(`DB-less apply: configuration rejected (${m} entit${m === 1 ? 'y' : 'ies'} with errors); nothing was changed.`);
      return lines.join('\n') + '\n';
    }
  }
}

export function dblessResultJson(result: DblessResult): Record<string, unknown> {
  return {
    format_version: 1,
    status: result.status,
    entity_count: result.entityCount,
    counts: { ...result.countsByKind },
    bytes: result.bytes,
    writes: result.writes,
    entity_errors: result.entityErrors.map((e) => ({
      kind: e.kind,
      label: e.label,
      source: e.source ? { file: e.source.file, line: e.source.line, column: e.source.column, path: e.source.path } : null,
      errors: e.errors,
    })),
    errors: result.errors,
  };
}

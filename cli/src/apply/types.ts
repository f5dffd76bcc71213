/**
 * What apply takes and what it hands back. The report is data: report.ts renders it as text or
 * JSON, the command decides the exit status from it.
 */
import type { Change } from '../model/plan';
import type { RouteServices } from './fail-closed-order';

export interface ApplyOptions {
  /** Writes in flight at once (`--parallelism`, default 10, as decK). */
  parallelism: number;
  /** Plan the schedule and check it, but send no write. */
  dryRun: boolean;
  /** Entity key → Kong id of every live entity in scope (from the fetched current state). */
  currentIds: Map<string, string>;
  /** `--select-tag`s: every create must already carry them (asserted, never added here). */
  selectTags: string[];
  /**
   * Route key → service keys, desired and live (fail-closed-order.ts routeServicesOf): orders the
   * fail-closed guards after the plugins they check on the routes of a service, and only those.
   * Without it, every route is taken to be on every service: more waiting, never less.
   */
  routeServices?: RouteServices;
  /** Called once per change when it settles (done, failed or not attempted). */
  onProgress?: (done: number, total: number, change: Change) => void;
}

export type ApplyStatus = 'done' | 'failed' | 'not_attempted';

export interface ApplyResult {
  change: Change;
  status: ApplyStatus;
  /** failed: Kong's message (or the transport error); not_attempted after an abort: why. */
  error?: string;
  /** failed: Kong's per-field errors, `path: message`. */
  fieldErrors?: string[];
  /** failed: the HTTP status Kong answered, when it answered. */
  httpStatus?: number;
  /** failed: `PUT /services/…`, the write that failed. */
  request?: string;
  /** not_attempted: label of the failed change this one depended on. */
  blockedBy?: string;
  /** Kong id of the entity written (the new id for creates). */
  id?: string;
}

export interface ApplyReport {
  /** One per plan change, in plan order; then any set-aside write that failed (temporary-release.ts). */
  results: ApplyResult[];
  /** Write requests sent (retries not counted; see the client's stats). */
  writes: number;
  /** True when nothing was sent because of `--dry-run`. */
  dryRun?: boolean;
}

export const DEFAULT_PARALLELISM = 10;

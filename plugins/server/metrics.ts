/**
 * The plugin server's own metrics (docs/metrics.md), in the process registry the plugins count
 * into (plugins/shared/metrics.ts).
 *
 * The hot path is one event ending: its outcome, PDK calls and duration go into plain numbers per
 * plugin and phase, folded into the prom-client metrics when Prometheus scrapes. prom-client's own
 * Histogram.observe validates and hashes its labels on every call, about 1 µs: a tenth of what a
 * zero-call event costs the whole server. Table sizes and memory are read at scrape time only.
 */
import { performance } from 'node:perf_hooks';
import type { Counter, Gauge, Registry } from 'prom-client';
import { METRIC_PREFIX, counter, gauge } from '../shared/metrics';
import type { EventEnding, EventObserver, EventTable, KongEvent } from './events';
import type { InstanceTable, PluginInstance } from './instances';
import { PLUGIN_PHASES, type LoadedPlugin } from './plugin-loader';

export const EVENT_OUTCOMES = ['ret', 'exit', 'error', 'exception', 'dropped', 'refused'] as const;
export type EventOutcome = (typeof EVENT_OUTCOMES)[number];

/** A phase Kong should not send (the plugin has no such handler) is still counted, under this. */
export const OTHER_PHASE = 'other';
const KNOWN_PHASES = new Set<string>(PLUGIN_PHASES);

/** Seconds from HandleEvent to the event's last message: 100 µs to 10 s. */
export const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What one plugin phase counted since the start. */
interface Cell {
  readonly labels: { plugin: string; phase: string };
  readonly outcomes: Record<EventOutcome, number>;
  pdkCalls: number;
  /** Event durations per DURATION_BUCKETS slot (not cumulative), the last slot above them all. */
  readonly durations: number[];
  durationSum: number;
}

interface SeriesValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

/**
 * kong_js_event_duration_seconds, exported exactly as prom-client's Histogram would
 * (`_bucket{le}` cumulative, `+Inf`, `_sum`, `_count`) from the cells' plain counts.
 */
class CellHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly labelNames = ['plugin', 'phase'];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly cells: () => Cell[],
  ) {}

  /** What the registry formats (Registry.getMetricsAsString / getMetricsAsJSON call get()). */
  get(): Promise<{ name: string; help: string; type: 'histogram'; values: SeriesValue[]; aggregator: 'sum' }> {
    const values: SeriesValue[] = [];
    for (const cell of this.cells()) {
      let cumulative = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        cumulative += cell.durations[i]!;
        values.push({ labels: { le: DURATION_BUCKETS[i]!, ...cell.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      const count = cumulative + cell.durations[DURATION_BUCKETS.length]!;
      values.push({ labels: { le: '+Inf', ...cell.labels }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...cell.labels }, value: cell.durationSum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...cell.labels }, value: count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    for (const cell of this.cells()) {
      cell.durations.fill(0);
      cell.durationSum = 0;
    }
  }
}

/** The slot of DURATION_BUCKETS a duration falls in (`le`: at most the bound). */
function slotOf(seconds: number): number {
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
  return i;
}

/** What the scrape-time gauges read. */
export interface ServerSources {
  events: EventTable;
  instances: InstanceTable;
  maxEvents: number;
  connections(): number;
}

export class ServerMetrics implements EventObserver {
  private readonly cells = new Map<string, Map<string, Cell>>();
  private readonly rejections: Counter;
  private readonly exceptions: Counter;
  private sources: ServerSources | undefined;

  constructor(registry: Registry, plugins: Iterable<LoadedPlugin>) {
    const cells = (): Cell[] => [...this.cells.values()].flatMap((phases) => [...phases.values()]);
    counter(
      {
        name: `${METRIC_PREFIX}events_total`,
        help: 'Events (one plugin phase of one request) by plugin, phase and how they ended: ret, exit, error (kong.response.exit/error), exception (the handler threw), dropped (Kong stopped stepping it), refused (503: table full or shutting down)',
        labelNames: ['plugin', 'phase', 'outcome'],
        collect() {
          this.reset();
          for (const cell of cells()) for (const outcome of EVENT_OUTCOMES) this.inc({ ...cell.labels, outcome }, cell.outcomes[outcome]);
        },
      },
      registry,
    );
    counter(
      {
        name: `${METRIC_PREFIX}pdk_calls_total`,
        help: 'PDK calls sent to Kong by plugin and phase (exit/error included); divide by kong_js_events_total for round trips per event',
        labelNames: ['plugin', 'phase'],
        collect() {
          this.reset();
          for (const cell of cells()) this.inc(cell.labels, cell.pdkCalls);
        },
      },
      registry,
    );
    const durationName = `${METRIC_PREFIX}event_duration_seconds`;
    if (registry.getSingleMetric(durationName) === undefined) {
      const help = "Handler latency: from HandleEvent to the event's last message to Kong (Kong's PDK round trips included), events that ended (not dropped)";
      registry.registerMetric(new CellHistogram(durationName, help, cells) as never);
    }
    this.rejections = counter({ name: `${METRIC_PREFIX}unhandled_rejections_total`, help: 'Promise rejections nobody handled (logged, at most one line per second)' }, registry);
    this.exceptions = counter({ name: `${METRIC_PREFIX}uncaught_exceptions_total`, help: 'Exceptions thrown outside any handler (timers, socket listeners), survived and logged, at most one line per second' }, registry);
    const sources = (): ServerSources | undefined => this.sources;
    const live = (name: string, help: string, read: (s: ServerSources) => number): void => {
      const collect = function (this: Gauge): void {
        const s = sources();
        if (s) this.set(read(s));
      };
      gauge({ name: `${METRIC_PREFIX}${name}`, help, collect }, registry);
    };
    live('event_table_size', 'Events in the table: handler running or waiting for Kong', (s) => s.events.size);
    live('event_table_awaiting_kong', "Events waiting for Kong's next Step", (s) => s.events.awaitingKong);
    live('event_table_capacity', 'Most events held at once (--max-events)', (s) => s.maxEvents);
    live('plugin_instances', 'Plugin instances held', (s) => s.instances.size);
    live('kong_connections', 'Open connections from Kong', (s) => s.connections());
    const memory = (name: string, help: string, read: (m: NodeJS.MemoryUsage) => number): void => {
      const collect = function (this: Gauge): void {
        this.set(read(process.memoryUsage()));
      };
      gauge({ name: `${METRIC_PREFIX}${name}`, help, collect }, registry);
    };
    memory('heap_used_bytes', 'V8 heap in use', (m) => m.heapUsed);
    memory('heap_total_bytes', 'V8 heap allocated', (m) => m.heapTotal);
    memory('resident_memory_bytes', 'Resident set size of the plugin server process', (m) => m.rss);
    const info = gauge({ name: `${METRIC_PREFIX}plugin_info`, help: 'The plugins this server loaded (always 1)', labelNames: ['plugin', 'version'] }, registry);

    for (const plugin of plugins) {
      info.set({ plugin: plugin.name, version: typeof plugin.version === 'string' ? plugin.version : '' }, 1);
      for (const phase of plugin.phases) this.cell(plugin.name, phase);
    }
  }

  /** The tables the gauges read (once they exist). */
  watch(sources: ServerSources): void {
    this.sources = sources;
  }

  ended(event: KongEvent, ending: EventEnding): void {
    const cell = this.cell(event.instance.plugin.name, event.phase);
    cell.outcomes[ending]++;
    cell.pdkCalls += event.pdkCalls;
    if (ending !== 'dropped') {
      const seconds = (performance.now() - event.startedAt) / 1000;
      cell.durations[slotOf(seconds)]!++;
      cell.durationSum += seconds;
    }
  }

  refused(instance: PluginInstance, phase: string): void {
    this.cell(instance.plugin.name, phase).outcomes.refused++;
  }

  unhandledRejection(): void {
    this.rejections.inc();
  }

  uncaughtException(): void {
    this.exceptions.inc();
  }

  private cell(plugin: string, rawPhase: string): Cell {
    const phase = KNOWN_PHASES.has(rawPhase) ? rawPhase : OTHER_PHASE;
    let phases = this.cells.get(plugin);
    if (phases === undefined) this.cells.set(plugin, (phases = new Map()));
    let cell = phases.get(phase);
    if (cell === undefined) {
      cell = {
        labels: { plugin, phase },
        outcomes: { ret: 0, exit: 0, error: 0, exception: 0, dropped: 0, refused: 0 },
        pdkCalls: 0,
        durations: new Array<number>(DURATION_BUCKETS.length + 1).fill(0),
        durationSum: 0,
      };
      phases.set(phase, cell);
    }
    return cell;
  }
}

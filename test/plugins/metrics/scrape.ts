/**
 * Reading a plugin server's /metrics as Prometheus does: a real HTTP GET, the text format parsed
 * into samples. Assertions name a sample by metric name and its exact label set.
 */
import http from 'node:http';
import type { PluginServerProcess } from '../../harness';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request (a fresh connection each time: no keep-alive left behind). */
export function httpGet(url: string, method = 'GET'): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** The samples of a Prometheus text exposition (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    for (let l = labelRe.exec(m[2] ?? ''); l; l = labelRe.exec(m[2] ?? '')) labels[l[1]!] = unescapeLabel(l[2]!);
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}

export class Scrape {
  readonly samples: Sample[];

  constructor(readonly text: string) {
    this.samples = parseExposition(text);
  }

  /** The value of the sample with exactly these labels; undefined when there is none. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    return this.samples.find((s) => s.name === name && sameLabels(s.labels, labels))?.value;
  }

  /** Every sample of `name` whose labels include `subset`. */
  series(name: string, subset: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(subset).every(([k, v]) => s.labels[k] === v));
  }

  /** Whether the exposition declares `name` (# TYPE line), samples or not. */
  declares(name: string): boolean {
    return this.text.split('\n').some((l) => l.startsWith(`# TYPE ${name} `));
  }
}

export async function scrape(url: string): Promise<Scrape> {
  const res = await httpGet(url);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.body}`);
  if (!String(res.headers['content-type']).startsWith('text/plain; version=0.0.4')) throw new Error(`GET ${url}: content-type ${res.headers['content-type']}`);
  return new Scrape(res.body);
}

/** The endpoint a server logged (`metrics at http://…/metrics`). */
export async function metricsUrlOf(server: PluginServerProcess): Promise<string> {
  const line = await server.waitForLog(/\[INFO\] metrics at http:\/\//);
  return /metrics at (http:\S+)/.exec(line)![1]!;
}

/** Counter deltas between two scrapes: `after - before` for one sample. */
export function delta(after: Scrape, before: Scrape, name: string, labels: Record<string, string> = {}): number {
  return (after.value(name, labels) ?? 0) - (before.value(name, labels) ?? 0);
}

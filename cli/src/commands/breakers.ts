/**
 * `kong-ctl breakers`: the circuit-breaker plugin's state endpoint (docs/circuit-breaker.md), read
 * from one or more Kong nodes. It is a proxy route protected like the Admin API, so its key comes
 * from the environment (KONG_CTL_BREAKERS_HEADERS), not from the command line if avoidable.
 * Exit 2 when any breaker is open or half-open, so scripts and alerts can use it.
 */
import type { Command } from 'commander';
import { createAdminClient } from '../kong/client';
import { KongCtlError } from '../model/errors';
import { write, type Io, type Outcome } from './context';
import { useColor, type GlobalOptions, collect } from './options';
import { colors } from '../output/color';

interface BreakerView {
  key: string;
  scope: string;
  name: string | null;
  state: 'closed' | 'open' | 'half_open';
  retry_after_seconds: number | null;
  window: { calls: number; failures: number };
  probes: { allowed: number; in_flight: number; succeeded: number } | null;
  last_transition: { reason: string } | null;
}

interface NodeState {
  url: string;
  version: number;
  pid: number;
  breakers: BreakerView[];
}

interface BreakersOpts extends GlobalOptions {
  url: string[];
}

export function registerBreakers(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  program
    .command('breakers')
    .description('show the circuit-breaker state of Kong nodes (exit 2 when a circuit is open or half-open)')
    .option('--url <url>', "a node's circuit-breaker state endpoint, e.g. http://kong-1:8000/_kong/breakers (repeatable)", collect, [])
    .option('-H, --header <header>', "header for the state endpoint, e.g. 'apikey: …' (prefer KONG_CTL_BREAKERS_HEADERS)", collect, [])
    .option('--ca-cert <file>', 'PEM file of CA certificates to trust')
    .option('--tls-skip-verify', 'do not verify the TLS certificate')
    .option('--timeout <seconds>', 'timeout of one request', '10')
    .option('-o, --output <format>', 'text or json', 'text')
    .option('--no-color', 'never colour the output')
    .action((opts: BreakersOpts) => done(breakers(opts, io)));
}

async function readNode(url: string, opts: BreakersOpts, io: Io): Promise<NodeState> {
  const envHeaders = (io.env.KONG_CTL_BREAKERS_HEADERS ?? '').split('\n').map((h) => h.trim()).filter(Boolean);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KongCtlError('E_USAGE', `--url '${url}' is not a URL`);
  }
  const client = createAdminClient({
    kongAddr: parsed.origin,
    headers: [...envHeaders, ...opts.header],
    caCert: opts.caCert,
    tlsSkipVerify: Boolean(opts.tlsSkipVerify),
    timeoutSeconds: Number(opts.timeout),
  });
  try {
    const res = await client.request<Partial<NodeState>>('GET', parsed.pathname + parsed.search);
    const body = res.data;
    if (!body || body.version !== 1 || !Array.isArray(body.breakers)) {
      throw new KongCtlError('E_KONG_HTTP', `${url} did not answer with the circuit-breaker state (format version 1): is state_endpoint: true on that route?`);
    }
    return { url, version: 1, pid: Number(body.pid), breakers: body.breakers as BreakerView[] };
  } finally {
    client.close();
  }
}

function line(b: BreakerView, paint: ReturnType<typeof colors>): string {
  const who = b.name ? `${b.name} (${b.scope})` : b.key;
  const state = b.state === 'open' ? paint.red('open') : b.state === 'half_open' ? paint.yellow('half_open') : paint.green('closed');
  const counts = `${b.window.failures}/${b.window.calls} failed`;
  const extra =
    b.state === 'open' && b.retry_after_seconds !== null
      ? `retry in ${b.retry_after_seconds}s`
      : b.state === 'half_open' && b.probes
        ? `probes ${b.probes.succeeded}/${b.probes.allowed} ok, ${b.probes.in_flight} in flight`
        : '';
  return ['  ' + who, state, counts, extra, b.last_transition && b.state !== 'closed' ? `— ${b.last_transition.reason}` : '']
    .filter(Boolean)
    .join('  ');
}

async function breakers(opts: BreakersOpts, io: Io): Promise<Outcome> {
  const urls = opts.url.length ? opts.url : (io.env.KONG_CTL_BREAKERS_URL ?? '').split(/[\s,]+/).filter(Boolean);
  if (!urls.length) throw new KongCtlError('E_USAGE', 'no state endpoint given: use --url http://<node>:8000/<route path> (or KONG_CTL_BREAKERS_URL)');
  const nodes = await Promise.all(urls.map((u) => readNode(u, opts, io)));
  const tripped = nodes.flatMap((n) => n.breakers).filter((b) => b.state !== 'closed').length;
  if (opts.output === 'json') {
    write(io.stdout, JSON.stringify({ format_version: 1, tripped, nodes }, null, 2));
  } else {
    const paint = colors(useColor(opts, io.stdout, io.env));
    for (const n of nodes) {
      write(io.stdout, `${n.url} (pid ${n.pid}): ${n.breakers.length} breaker${n.breakers.length === 1 ? '' : 's'}`);
      for (const b of n.breakers) write(io.stdout, line(b, paint));
    }
    write(io.stdout, tripped ? `${tripped} circuit${tripped === 1 ? '' : 's'} open or half-open.` : 'All circuits closed.');
  }
  return tripped ? 'alert' : 'ok';
}

/**
 * Block-style decK files written by hand, the ways people write them: indented or indentless
 * lists, the first field on the dash's line or under it, comments and blank lines anywhere a
 * line may go, quoted keys and values, block and folded strings, flow lists inside entities,
 * `${{ env … }}`, CRLF, a leading `---`. One seed gives one file; `mistake` puts one problem
 * in the middle of an entity (a schema problem, or a YAML one).
 */

export type Mistake =
  | 'none'
  | 'unknown-field'
  | 'bad-type'
  | 'unknown-reference'
  | 'unclosed-quote'
  | 'bad-indentation'
  | 'duplicate-key'
  | 'duplicate-top-key'
  | 'tab-indentation'
  | 'anchor';

/** Mistakes after which the file is still YAML in the shape that can be parsed in pieces. */
export const SHAPE_KEEPING: Mistake[] = ['none', 'unknown-field', 'bad-type', 'unknown-reference'];

export const MISTAKES: Mistake[] = [
  ...SHAPE_KEEPING,
  'unclosed-quote',
  'bad-indentation',
  'duplicate-key',
  'duplicate-top-key',
  'tab-indentation',
  'anchor',
];

export const GEN_ENV: NodeJS.ProcessEnv = { DECK_HOST: 'env-host.internal', DECK_KEY: 'secret-from-env', DECK_PORT: '8443' };

type Scalar =
  | { t: 'plain' | 'single' | 'double'; v: string }
  | { t: 'block'; header: string; lines: string[] }
  | { t: 'raw'; v: string };
type Val = Scalar | { t: 'map'; entries: Entry[] } | { t: 'seq'; items: Val[]; flow?: boolean };
interface Entry {
  key: string;
  value: Val;
}

/** mulberry32: small, seedable, good enough to pick among variants. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const plain = (v: string | number | boolean): Scalar => ({ t: 'plain', v: String(v) });
const map = (entries: Array<[string, Val]>): Val => ({ t: 'map', entries: entries.map(([key, value]) => ({ key, value })) });
const seq = (items: Val[], flow = false): Val => ({ t: 'seq', items, flow });

class Writer {
  readonly lines: string[] = [];
  constructor(
    private readonly rnd: () => number,
    private readonly style: { seqIndent: number; comments: number; blanks: number; quotedKeys: number },
  ) {}

  private chance(p: number): boolean {
    return this.rnd() < p;
  }

  /** Comment and blank lines that may precede any line at `indent`. */
  private filler(indent: number): void {
    if (this.chance(this.style.blanks)) this.lines.push(this.chance(0.5) ? '' : ' '.repeat(Math.floor(this.rnd() * 6)));
    if (this.chance(this.style.comments)) {
      const at = this.chance(0.3) ? 0 : indent;
      this.lines.push(`${' '.repeat(at)}# note ${Math.floor(this.rnd() * 1000)}: keep this`);
    }
  }

  private trailing(): string {
    return this.chance(this.style.comments / 2) ? '  # trailing, with: colon' : '';
  }

  private key(k: string): string {
    if (!/^[a-z_]+$/.test(k) || !this.chance(this.style.quotedKeys)) return k;
    return this.chance(0.5) ? `"${k}"` : `'${k}'`;
  }

  private scalar(s: Scalar): string {
    switch (s.t) {
      case 'plain':
      case 'raw':
        return s.v;
      case 'single':
        return `'${s.v.replace(/'/g, "''")}'`;
      case 'double':
        return JSON.stringify(s.v);
      case 'block':
        return s.header;
    }
  }

  private flow(v: Val): string {
    if (v.t === 'seq') return `[${v.items.map((i) => this.flow(i)).join(', ')}]`;
    if (v.t === 'map') return `{${v.entries.map((e) => `${e.key}: ${this.flow(e.value)}`).join(', ')}}`;
    return this.scalar(v);
  }

  private blockLines(s: Scalar, indent: number): void {
    if (s.t !== 'block') return;
    for (const l of s.lines) this.lines.push(l === '' ? '' : ' '.repeat(indent) + l);
  }

  entry(e: Entry, indent: number): void {
    this.filler(indent);
    const pad = ' '.repeat(indent);
    const k = this.key(e.key);
    const v = e.value;
    if (v.t === 'map') {
      if (!v.entries.length) this.lines.push(`${pad}${k}: {}`);
      else {
        this.lines.push(`${pad}${k}:${this.trailing()}`);
        for (const c of v.entries) this.entry(c, indent + 2);
      }
    } else if (v.t === 'seq') {
      if (v.flow || !v.items.length) this.lines.push(`${pad}${k}: ${this.flow(v)}${this.trailing()}`);
      else {
        this.lines.push(`${pad}${k}:`);
        const at = indent + (this.chance(0.5) ? this.style.seqIndent : 2 - this.style.seqIndent);
        for (const item of v.items) this.item(item, at);
      }
    } else {
      this.lines.push(`${pad}${k}: ${this.scalar(v)}${v.t === 'block' ? '' : this.trailing()}`);
      this.blockLines(v, indent + 2);
    }
  }

  item(v: Val, indent: number): void {
    this.filler(indent);
    const pad = ' '.repeat(indent);
    if (v.t === 'map' && v.entries.length) {
      if (this.chance(0.15)) {
        // The first field under the dash rather than on its line.
        this.lines.push(`${pad}-${this.chance(0.5) ? ' # the next one' : ''}`);
        for (const e of v.entries) this.entry(e, indent + 2);
        return;
      }
      const mark = this.lines.length;
      this.entry(v.entries[0], indent + 2);
      // The first written line of the first field goes on the dash's line.
      let i = mark;
      while (!this.lines[i].startsWith(' '.repeat(indent + 2)) || this.lines[i].trim() === '' || this.lines[i].trim().startsWith('#')) i++;
      this.lines[i] = `${pad}- ${this.lines[i].slice(indent + 2)}`;
      for (const e of v.entries.slice(1)) this.entry(e, indent + 2);
    } else if (v.t === 'seq' && !v.flow && v.items.length) {
      this.lines.push(`${pad}-`);
      for (const i of v.items) this.item(i, indent + 2);
    } else if (v.t === 'map' || v.t === 'seq') this.lines.push(`${pad}- ${this.flow(v)}`);
    else if (v.t === 'raw' && v.v === '') this.lines.push(`${pad}-`);
    else {
      this.lines.push(`${pad}- ${this.scalar(v)}`);
      this.blockLines(v, indent + 2);
    }
  }
}

function lua(rnd: () => number): Scalar {
  const headers = ['|', '|-', '|+', '>', '>-', '|2'];
  const header = headers[Math.floor(rnd() * headers.length)];
  // An empty body: the next line is less indented (the next field, item or list).
  if (rnd() < 0.15) return { t: 'block', header, lines: [] };
  const lines = ['local n = kong.request.get_header("x-n")', '', '# not a comment: Lua code', 'if n then', '  kong.log.err(n)', 'end'];
  if (header === '|+') lines.push('', '');
  return { t: 'block', header, lines };
}

function pick<T>(rnd: () => number, xs: T[]): T {
  return xs[Math.floor(rnd() * xs.length)];
}

function service(rnd: () => number, i: number): Val {
  const name = `svc-${i}`;
  const entries: Array<[string, Val]> = [['name', rnd() < 0.2 ? { t: 'double', v: name } : plain(name)]];
  const how = rnd();
  if (how < 0.15) entries.push(['url', plain(`http://${name}.internal:8080/api`)]);
  else {
    const host = pick<Scalar>(rnd, [
      plain(`${name}.internal`),
      { t: 'single', v: `${name}.internal` },
      plain('${{ env "DECK_HOST" }}'),
      { t: 'raw', v: '"${{ env "DECK_HOST" }}"' },
    ]);
    entries.push(['host', host], ['port', rnd() < 0.1 ? plain('${{ env "DECK_PORT" | toInt }}') : plain(8080)]);
  }
  if (rnd() < 0.5) entries.push(['tags', seq([plain('team-a'), { t: 'double', v: 'tier: gold' }], rnd() < 0.5)]);
  if (rnd() < 0.3) entries.push(['retries', plain(3)]);
  const routes: Val[] = [];
  for (let r = 0; r < Math.floor(rnd() * 3); r++) {
    const route: Array<[string, Val]> = [
      ['name', plain(`${name}-r${r}`)],
      ['paths', seq([plain(`/${name}/${r}`), { t: 'single', v: `~/${name}/v[0-9]+$` }], rnd() < 0.5)],
      ['methods', seq([plain('GET'), plain('POST')], true)],
    ];
    if (rnd() < 0.3) route.push(['strip_path', plain(rnd() < 0.5)]);
    if (rnd() < 0.3) route.push(['plugins', seq([map([['name', plain('cors')], ['config', map([['origins', seq([{ t: 'single', v: '*' }])]])]])])]);
    routes.push(map(route));
  }
  if (routes.length) entries.push(['routes', seq(routes)]);
  const plugins: Val[] = [];
  if (rnd() < 0.4) plugins.push(map([['name', plain('pre-function')], ['config', map([['access', seq([lua(rnd)])]])]]));
  if (rnd() < 0.4) plugins.push(map([['name', plain('rate-limiting')], ['config', { t: 'map', entries: [{ key: 'minute', value: plain(5) }, { key: 'policy', value: plain('local') }] }]]));
  if (plugins.length) entries.push(['plugins', seq(plugins)]);
  return map(entries);
}

function consumer(rnd: () => number, i: number): Val {
  const entries: Array<[string, Val]> = [['username', plain(`user-${i}`)]];
  if (rnd() < 0.3) entries.push(['custom_id', { t: 'block', header: '>-', lines: [`folded id`, `of user ${i}`] }]);
  if (rnd() < 0.4) {
    const key = rnd() < 0.5 ? plain('${{ env "DECK_KEY" }}') : plain(`key-${i}`);
    entries.push(['keyauth_credentials', seq([map([['key', key]])])]);
  }
  if (rnd() < 0.3) entries.push(['acls', seq([map([['group', plain('admins')]])])]);
  return map(entries);
}

export interface Generated {
  text: string;
  mistake: Mistake;
}

/** One decK file for `seed`, with `mistake` (if any) inside one entity. */
export function generateDeckFile(seed: number, mistake: Mistake = 'none'): Generated {
  const rnd = prng(seed);
  const style = {
    seqIndent: rnd() < 0.5 ? 2 : 0,
    comments: rnd() * 0.3,
    blanks: rnd() * 0.2,
    quotedKeys: rnd() < 0.3 ? 0.3 : 0,
  };
  const w = new Writer(rnd, style);
  if (rnd() < 0.2) w.lines.push('---');
  if (rnd() < 0.5) w.lines.push('# kong-ctl test file');
  w.entry({ key: '_format_version', value: { t: 'double', v: '3.0' } }, 0);
  if (rnd() < 0.2) w.entry({ key: '_info', value: map([['select_tags', seq([plain('gen')])]]) }, 0);

  const services = Array.from({ length: 1 + Math.floor(rnd() * 6) }, (_, i) => service(rnd, i));
  const consumers = Array.from({ length: Math.floor(rnd() * 4) }, (_, i) => consumer(rnd, i));
  const target = services[Math.floor(rnd() * services.length)] as { t: 'map'; entries: Entry[] };
  const at = 1 + Math.floor(rnd() * (target.entries.length - 1));
  const insert = (key: string, value: Val) => target.entries.splice(at, 0, { key, value });
  switch (mistake) {
    case 'unknown-field':
      insert('hots', plain('typo.internal'));
      break;
    case 'bad-type':
      insert('connect_timeout', { t: 'double', v: 'soon' });
      break;
    case 'unclosed-quote':
      insert('read_timeout', { t: 'raw', v: '"60000' });
      break;
    case 'bad-indentation':
      insert('write_timeout', { t: 'raw', v: '60000\n   extra: 1' });
      break;
    case 'duplicate-key':
      insert('name', plain('again'));
      break;
    case 'tab-indentation':
      insert('write_timeout', { t: 'raw', v: '60000\n\t\tx: 1' });
      break;
    case 'anchor':
      insert('connect_timeout', { t: 'raw', v: '&t 1000' });
      break;
    default:
      break;
  }

  const lists: Array<[string, Val]> = [['services', seq(services)]];
  if (consumers.length) lists.push(['consumers', seq(consumers)]);
  const refName = mistake === 'unknown-reference' ? 'svc-O' : 'svc-0';
  if (mistake === 'unknown-reference' || rnd() < 0.4)
    lists.push(['plugins', seq([map([['name', plain('key-auth')], ['service', plain(refName)], ['config', map([['key_names', seq([plain('apikey')], true)]])]])])]);
  if (rnd() < 0.3)
    lists.push(['upstreams', seq([map([['name', plain('up')], ['targets', seq([map([['target', { t: 'single', v: '10.0.0.1:80' }], ['weight', plain(100)]])])]])])]);
  if (rnd() < 0.2) lists.push(['ca_certificates', seq([])]);
  for (let i = lists.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [lists[i], lists[j]] = [lists[j], lists[i]];
  }
  for (const [key, value] of lists) w.entry({ key, value }, 0);
  if (mistake === 'duplicate-top-key') w.entry({ key: 'services', value: seq([service(rnd, 99)]) }, 0);
  if (rnd() < 0.3) w.lines.push('# the end');

  let text = w.lines.join('\n') + (rnd() < 0.8 ? '\n' : '');
  if (rnd() < 0.15) text = text.replace(/\n/g, '\r\n');
  return { text, mistake };
}

/**
 * A real Redis Cluster for tests: three masters (no replicas) on 127.0.0.1 with free ports, each
 * with its own nodes.conf in its own temp dir, slots spread by `redis-cli --cluster create`, ready
 * once every node says cluster_state:ok and agrees on the slot map. `migrateSlot` moves a slot
 * and its keys to another master the way `redis-cli --cluster reshard` does (SETSLOT
 * IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE), so clients holding the old map get MOVED.
 *
 * With `tls` (test/support/redis-tls.ts) every node serves TLS only, the cluster bus too
 * (`--tls-cluster yes`): nodes announce their TLS ports, by IP, and there is no plain port.
 */
import { execFile } from 'node:child_process';
import { RedisServer, redisCliBinary } from './redis-server';
import type { TestCertificates } from './redis-tls';
import { until } from './redis-sentinel';

export class RedisClusterSet {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(options: { masters?: number; tls?: TestCertificates } = {}): Promise<RedisClusterSet> {
    const nodes: RedisServer[] = [];
    const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'];
    if (options.tls) args.push('--tls-cluster', 'yes');
    try {
      for (let i = 0; i < (options.masters ?? 3); i++) {
        nodes.push(await RedisServer.start({ args, tls: options.tls }));
      }
      const set = new RedisClusterSet(nodes);
      const tlsArgs = options.tls ? ['--tls', '--cacert', options.tls.ca] : [];
      await new Promise<void>((resolve, reject) =>
        execFile(
          redisCliBinary(),
          [...tlsArgs, '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
          { timeout: 30_000 },
          (error, stdout, stderr) => (error ? reject(new Error(`redis-cli --cluster create: ${error.message}\n${stdout}\n${stderr}`)) : resolve()),
        ),
      );
      await set.ready();
      return set;
    } catch (error) {
      await Promise.all(nodes.map((n) => n.close()));
      throw error;
    }
  }

  /** The store's `cluster_nodes`. */
  get clusterNodes(): Array<{ ip: string; port: number }> {
    return this.nodes.map((n) => ({ ip: '127.0.0.1', port: n.port }));
  }

  /** Waits until every node is `cluster_state:ok` and they all agree on who serves each slot. */
  async ready(timeoutMs = 30_000): Promise<void> {
    await until('cluster_state:ok on every node, one slot map', async () => {
      const maps = await Promise.all(
        this.nodes.map(async (n) => {
          if (!(await n.cli(['CLUSTER', 'INFO'])).includes('cluster_state:ok')) throw new Error(`${n.port} not ok`);
          return JSON.stringify(await this.slotMap(n));
        }),
      );
      return new Set(maps).size === 1 ? true : undefined;
    }, timeoutMs);
  }

  /** Slot ranges to the port serving them, as `node` sees them (CLUSTER SHARDS is 7.0+; SLOTS is enough). */
  async slotMap(node: RedisServer = this.nodes[0]!): Promise<Array<[number, number, number]>> {
    // redis-cli prints a nested array reply flat, one element per line: start, end, ip, port, id, [hostname…] per range.
    const lines = (await node.cli(['--no-raw', 'CLUSTER', 'SLOTS'])).split('\n');
    const ranges: Array<[number, number, number]> = [];
    for (let i = 0; i < lines.length; i++) {
      const start = /^\s*\d+\) 1\) \(integer\) (\d+)$/.exec(lines[i]!);
      if (!start) continue;
      const end = /\(integer\) (\d+)$/.exec(lines[i + 1]!)!;
      const port = /\(integer\) (\d+)$/.exec(lines[i + 3]!)!;
      ranges.push([Number(start[1]), Number(end[1]), Number(port[1])]);
    }
    return ranges.sort((a, b) => a[0] - b[0]);
  }

  async keySlot(key: string): Promise<number> {
    return Number(await this.nodes[0]!.cli(['CLUSTER', 'KEYSLOT', key]));
  }

  /** The node serving `slot` now (asked of the nodes themselves, not of a client's cache). */
  async ownerOf(slot: number): Promise<RedisServer> {
    const range = (await this.slotMap()).find(([a, b]) => a <= slot && slot <= b);
    if (!range) throw new Error(`slot ${slot} is not served`);
    return this.node(range[2]);
  }

  node(port: number): RedisServer {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no cluster node on port ${port}`);
    return node;
  }

  async nodeId(node: RedisServer): Promise<string> {
    return node.cli(['CLUSTER', 'MYID']);
  }

  /** Moves `slot` with its keys from its owner to `to`; resolves once every node agrees. */
  async migrateSlot(slot: number, to: RedisServer): Promise<RedisServer> {
    const from = await this.ownerOf(slot);
    if (from === to) throw new Error(`slot ${slot} is already on ${to.port}`);
    const [fromId, toId] = await Promise.all([this.nodeId(from), this.nodeId(to)]);
    await to.cli(['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', fromId]);
    await from.cli(['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', toId]);
    for (;;) {
      const keys = (await from.cli(['CLUSTER', 'GETKEYSINSLOT', String(slot), '100'])).split('\n').filter(Boolean);
      if (keys.length === 0) break;
      await from.cli(['MIGRATE', '127.0.0.1', String(to.port), '', '0', '5000', 'KEYS', ...keys]);
    }
    for (const n of [to, from, ...this.nodes.filter((x) => x !== to && x !== from)]) await n.cli(['CLUSTER', 'SETSLOT', String(slot), 'NODE', toId]);
    await until(`every node to see slot ${slot} on ${to.port}`, async () => {
      for (const n of this.nodes) {
        const range = (await this.slotMap(n)).find(([a, b]) => a <= slot && slot <= b);
        if (range?.[2] !== to.port) return undefined;
      }
      return true;
    });
    return from;
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}

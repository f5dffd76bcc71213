/**
 * A real Sentinel deployment for tests: a master, one replica and `sentinels` Sentinels (quorum 1,
 * short down-after and failover timeouts), all on 127.0.0.1 with free ports and ACL users on
 * every process: `app`/`secret` on the data nodes, `admin`/`sentpw` on the Sentinels (what the
 * store's `username`/`password` and `sentinel_username`/`sentinel_password` carry).
 *
 * `failover()` runs SENTINEL FAILOVER and waits until every Sentinel names the new master and it
 * says it is one; `killMaster()` is the abrupt variant (the Sentinels must notice by themselves).
 *
 * With `tls` (test/support/redis-tls.ts) every process serves TLS only, and replicas and
 * Sentinels reach the data nodes (and Sentinels each other) over TLS (`tls-replication yes`).
 */
import { RedisServer } from './redis-server';
import type { TestCertificates } from './redis-tls';

export const SENTINEL_MASTER = 'mymaster';
export const DATA_AUTH = { username: 'app', password: 'secret' };
export const SENTINEL_AUTH = { username: 'admin', password: 'sentpw' };

const DATA_ACL = ['--user', 'default', 'off', '--user', DATA_AUTH.username, 'on', `>${DATA_AUTH.password}`, '~*', '&*', '+@all'];

/** Polls `probe` until it returns a value (not undefined), at most `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export class RedisSentinelSet {
  private constructor(
    /** The data nodes, in start order: [0] is the first master. */
    readonly nodes: RedisServer[],
    readonly sentinels: RedisServer[],
  ) {}

  static async start(options: { sentinels?: number; tls?: TestCertificates } = {}): Promise<RedisSentinelSet> {
    const started: RedisServer[] = [];
    const tls = options.tls;
    // Every data node, the master too: after a failover it is the one that replicates.
    const dataArgs = [...DATA_ACL, '--masteruser', DATA_AUTH.username, '--masterauth', DATA_AUTH.password, ...(tls ? ['--tls-replication', 'yes'] : [])];
    try {
      const master = await RedisServer.start({ args: dataArgs, auth: DATA_AUTH, tls });
      started.push(master);
      const replica = await RedisServer.start({ args: [...dataArgs, '--replicaof', '127.0.0.1', String(master.port)], auth: DATA_AUTH, tls });
      started.push(replica);
      const set = new RedisSentinelSet([master, replica], []);
      await until('the replica in sync', async () => ((await replica.cli(['INFO', 'replication'])).includes('master_link_status:up') ? true : undefined));
      for (let i = 0; i < (options.sentinels ?? 2); i++) {
        const sentinel = await RedisServer.start({
          sentinel: true,
          auth: SENTINEL_AUTH,
          tls,
          args: tls ? ['--tls-replication', 'yes'] : [],
          config: [
            'user default off',
            `user ${SENTINEL_AUTH.username} on >${SENTINEL_AUTH.password} ~* &* +@all`,
            `sentinel sentinel-user ${SENTINEL_AUTH.username}`,
            `sentinel sentinel-pass ${SENTINEL_AUTH.password}`,
            `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${master.port} 1`,
            `sentinel auth-user ${SENTINEL_MASTER} ${DATA_AUTH.username}`,
            `sentinel auth-pass ${SENTINEL_MASTER} ${DATA_AUTH.password}`,
            `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
            `sentinel failover-timeout ${SENTINEL_MASTER} 5000`,
            '',
          ].join('\n'),
        });
        started.push(sentinel);
        set.sentinels.push(sentinel);
      }
      // Ready when every Sentinel knows the replica (it can only fail over to a replica it knows).
      for (const s of set.sentinels) {
        await until('the Sentinels to discover the replica', async () => ((await s.cli(['SENTINEL', 'REPLICAS', SENTINEL_MASTER])).includes(String(replica.port)) ? true : undefined));
      }
      return set;
    } catch (error) {
      await Promise.all(started.map((s) => s.close()));
      throw error;
    }
  }

  /** The store's `sentinel_nodes`. */
  get sentinelNodes(): Array<{ host: string; port: number }> {
    return this.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  /** The plugins' `redis` record for this set: its master name, sentinels and both ACL users. */
  get redisConfig(): Record<string, unknown> {
    return {
      sentinel_master: SENTINEL_MASTER,
      sentinel_nodes: this.sentinelNodes,
      sentinel_username: SENTINEL_AUTH.username,
      sentinel_password: SENTINEL_AUTH.password,
      username: DATA_AUTH.username,
      password: DATA_AUTH.password,
    };
  }

  /** The master's port as Sentinel `sentinel` names it. */
  async masterPortBy(sentinel: RedisServer): Promise<number> {
    const lines = (await sentinel.cli(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER])).split('\n');
    return Number(lines[1]);
  }

  /** The data node on `port`. */
  node(port: number): RedisServer {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no data node on port ${port}`);
    return node;
  }

  /** The current master, agreed by every Sentinel and confirmed by its ROLE. */
  async master(): Promise<RedisServer> {
    const ports = await Promise.all(this.sentinels.map((s) => this.masterPortBy(s)));
    if (new Set(ports).size !== 1) throw new Error(`the Sentinels disagree on the master: ${ports.join(', ')}`);
    const node = this.node(ports[0]!);
    if (!(await node.cli(['ROLE'])).startsWith('master')) throw new Error(`${node.port} is named master but is not one yet`);
    return node;
  }

  /** Waits until every Sentinel names a master other than `from`, and that node is a master. */
  async newMaster(from: RedisServer, timeoutMs = 45_000): Promise<RedisServer> {
    return until(`a master other than ${from.port}`, async () => {
      const m = await this.master();
      return m.port !== from.port ? m : undefined;
    }, timeoutMs);
  }

  /**
   * SENTINEL FAILOVER (retried while the replica is not yet a candidate); resolves with the old
   * and new masters. `from`: the master being replaced when it can no longer answer ROLE.
   */
  async failover(from?: RedisServer): Promise<{ from: RedisServer; to: RedisServer }> {
    const old = from ?? (await this.master());
    await until('SENTINEL FAILOVER to be accepted', async () => {
      const reply = await this.sentinels[0]!.cli(['SENTINEL', 'FAILOVER', SENTINEL_MASTER]);
      return reply === 'OK' ? true : undefined;
    });
    return { from: old, to: await this.newMaster(old) };
  }

  /**
   * Sentinels that do not fail over by themselves (down-after 10 minutes): a dead master then
   * stays dead until failover(), so what happens in between is deterministic.
   */
  async holdFailovers(): Promise<void> {
    for (const s of this.sentinels) await s.cli(['SENTINEL', 'SET', SENTINEL_MASTER, 'down-after-milliseconds', '600000']);
  }

  /** Kills the master (SIGKILL); resolves once the Sentinels have noticed and promoted the replica by themselves. */
  async killMaster(): Promise<{ from: RedisServer; to: RedisServer }> {
    const from = await this.master();
    await from.stop();
    return { from, to: await this.newMaster(from) };
  }

  async close(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.nodes].map((s) => s.close()));
  }
}

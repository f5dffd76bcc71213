/**
 * ioredis's connectors, with one listener more on every socket they open.
 *
 * ioredis listens for its socket's `error` with `once` (Redis#connect; redis/ioredis#961 and
 * #1183, open since 2019). A TLS socket can err twice: a bad record after the handshake is
 * emitted as an error without destroying the socket, and the failed write or the reset that
 * follows is a second error. That one has no listener, so Node throws it as an uncaught
 * exception: the plugin server exits, and until Kong restarts it Kong proxies without the plugin,
 * which fails open. One misbehaving peer (a TLS proxy, a load balancer, a half-upgraded Redis) is
 * enough.
 *
 * The first error of a socket still reaches ioredis through its own listener, which closes the
 * connection and reconnects; the errors after it tell of the same failure and are dropped here.
 * Set as the `Connector` option (redis-options.ts), the guard reaches every connection: the
 * server's, each Cluster node's and the copies ioredis makes of them, and, through
 * connectToSentinel, the Sentinels'.
 */
import { SentinelConnector } from 'ioredis';
import type { ErrorEmitter } from 'ioredis/built/connectors/AbstractConnector';
import type { SentinelConnectionOptions } from 'ioredis/built/connectors/SentinelConnector';
import StandaloneConnector, { type StandaloneConnectionOptions } from 'ioredis/built/connectors/StandaloneConnector';
import type { NetStream } from 'ioredis/built/types';

function ignoreLaterErrors(): void {
  // The socket's first error went to ioredis; see above.
}

function keepListening(stream: NetStream): NetStream {
  stream.on('error', ignoreLaterErrors);
  return stream;
}

// ioredis constructs a Connector with the client's whole options (ConnectorConstructor takes
// `unknown`), the same object it gives its own connectors.
export class GuardedStandaloneConnector extends StandaloneConnector {
  constructor(options: unknown) {
    super(options as StandaloneConnectionOptions);
  }

  override connect(emitter: ErrorEmitter): Promise<NetStream> {
    return super.connect(emitter).then(keepListening);
  }
}

export class GuardedSentinelConnector extends SentinelConnector {
  constructor(options: unknown) {
    super(options as SentinelConnectionOptions);
  }

  override connect(emitter: ErrorEmitter): Promise<NetStream> {
    return super.connect(emitter).then(keepListening);
  }
}

/**
 * SentinelConnector opens its connections to the Sentinels (asking for the master, watching for
 * failovers) with `new Redis` in connectToSentinel, a method its types keep private, and the
 * options it is given come last there: the guarded connector goes in through them. The Sentinel
 * test with a misbehaving Sentinel (redis-double-error.test.ts) fails if ioredis renames it.
 */
type ConnectToSentinel = (this: SentinelConnector, endpoint: unknown, options?: Record<string, unknown>) => unknown;
const connectToSentinel = (SentinelConnector.prototype as unknown as { connectToSentinel: ConnectToSentinel }).connectToSentinel;
Object.defineProperty(GuardedSentinelConnector.prototype, 'connectToSentinel', {
  value: function guardedConnectToSentinel(this: SentinelConnector, endpoint: unknown, options: Record<string, unknown> = {}) {
    return connectToSentinel.call(this, endpoint, { Connector: GuardedStandaloneConnector, ...options });
  },
});

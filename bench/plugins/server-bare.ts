/**
 * The floor under any Node plugin server, for server-floor.ts: frames requests (the plugin
 * server's own framer), answers StartInstance and every HandleEvent with "ret", writes once per
 * turn of the loop — no plugin, no tables. What a zero-call event costs in Node and the kernel.
 *
 *   node dist/bench/plugins/server-bare.js --kong-prefix <dir> --sock-name <name> [anything else ignored]
 */
import net from 'node:net';
import path from 'node:path';
import { Encoder } from '@msgpack/msgpack';
import { MessageFramer } from '../../plugins/server/framing';

const encoder = new Encoder();
const arg = (name: string): string => {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error(`${name} is required`);
  return process.argv[i + 1];
};

let eventId = 0;
let toFlush: net.Socket[] = [];
const corked = new WeakSet<net.Socket>();

function flushAll(): void {
  const sockets = toFlush;
  toFlush = [];
  for (const s of sockets) {
    corked.delete(s);
    s.uncork();
  }
}

const server = net.createServer((socket) => {
  const framer = new MessageFramer();
  socket.on('data', (chunk: Buffer) =>
    framer.push(chunk, (m) => {
      const [, msgid, method] = m as [number, number, string];
      const result = method === 'plugin.StartInstance' ? { Name: 'bare', Id: 0, Config: {}, StartTime: Date.now() / 1000 } : { Data: 'ret', EventId: eventId++ };
      const bytes = encoder.encode([1, msgid, null, result]);
      if (!corked.has(socket)) {
        corked.add(socket);
        socket.cork();
        if (toFlush.length === 0) setImmediate(flushAll);
        toFlush.push(socket);
      }
      socket.write(bytes);
    }),
  );
});
server.listen(path.join(arg('--kong-prefix'), arg('--sock-name')));
process.on('SIGTERM', () => process.exit(0));

import type { Command } from 'commander';
import { createAdminClient } from '../kong/client';
import { getKongInfo } from '../current/fetch';
import { addConnectionOptions, connectionFrom, type GlobalOptions } from './options';
import { write, type Io, type Outcome } from './context';

export function registerPing(program: Command, io: Io, done: (o: Promise<Outcome>) => void): void {
  addConnectionOptions(program.command('ping'))
    .description("show Kong's version, edition and database mode")
    .option('-o, --output <format>', 'text or json', 'text')
    .action((opts: GlobalOptions) => done(ping(opts, io)));
}

async function ping(opts: GlobalOptions, io: Io): Promise<Outcome> {
  const client = createAdminClient(connectionFrom(opts, io.env));
  try {
    const info = await getKongInfo(client);
    if (opts.output === 'json') {
      write(io.stdout, JSON.stringify({ address: client.baseUrl, ...info }, null, 2));
    } else {
      const mode = info.database === 'off' ? 'DB-less' : `database ${info.database}`;
      write(io.stdout, `Kong ${info.version} (${info.edition}, ${mode}${info.role ? `, role ${info.role}` : ''}) at ${client.baseUrl}`);
    }
    return 'ok';
  } finally {
    client.close();
  }
}

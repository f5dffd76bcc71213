/**
 * TLS material for tests, made with openssl at test time in a temp dir: a private CA and a
 * server certificate it signed, by default for `redis.test` only (no IP address), so that
 * verification depends on the name checked (other names for servers dialled by address, such as
 * a JWKS endpoint on 127.0.0.1). Generated rather than committed: no private key in the
 * repository, nothing that expires under the tests, and a few milliseconds of EC key generation.
 * The certificate is for clients too (extendedKeyUsage clientAuth): a Cluster node presents it
 * on the cluster bus (`--tls-cluster yes`), where the other nodes always ask for one and refuse
 * a server-only certificate ("unsupported certificate"). Clients of the store need none.
 * Needs `openssl` (scripts/setup.sh installs it).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The only name in the server certificate. */
export const TLS_SERVER_NAME = 'redis.test';

export interface TestCertificates {
  dir: string;
  /** PEM of the CA that signed `cert` (not trusted by Node unless told to). */
  ca: string;
  cert: string;
  key: string;
  /** Removes the directory. */
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

/** `subjectAltNames`: the certificate's names, in openssl's syntax (`DNS:…`, `IP:…`). */
export function makeTestCertificates(subjectAltNames: string[] = [`DNS:${TLS_SERVER_NAME}`]): TestCertificates {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=kong-plugins test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${TLS_SERVER_NAME}`]);
  fs.writeFileSync(
    path.join(dir, 'server.ext'),
    `subjectAltName=${subjectAltNames.join(',')}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n`,
  );
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '3650', '-extfile', 'server.ext']);
  return {
    dir,
    ca: path.join(dir, 'ca.crt'),
    cert: path.join(dir, 'server.crt'),
    key: path.join(dir, 'server.key'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

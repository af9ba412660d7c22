// A throwaway PostgreSQL server from Debian's packages (`apt-get install postgresql`) for tests:
// its own data directory in a temp dir, 127.0.0.1 on a free port, its unix socket inside that temp
// dir, password authentication, stopped and deleted afterwards. As root, initdb/pg_ctl refuse to
// run, so they run as the `postgres` OS user (runuser) on a temp dir chowned to it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@duet/deploy/testing';

const run = promisify(execFile);
const PG_ROOT = '/usr/lib/postgresql';

export interface PostgresServer {
  /** Superuser URL of the `postgres` database (create per-test databases from here). */
  url: string;
  /** The postmaster's process id (a bench sums the CPU of it and its backends). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

/** The newest installed major version's bin directory, e.g. /usr/lib/postgresql/15/bin. */
export function findPostgresBin(): string {
  const versions = existsSync(PG_ROOT)
    ? readdirSync(PG_ROOT)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(`no PostgreSQL server under ${PG_ROOT}/<version>/bin: install it with "apt-get install -y postgresql"`);
  }
  return join(PG_ROOT, versions[0]!, 'bin');
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'duet-pg-'));
  const dataDir = join(dir, 'data');
  const password = randomBytes(18).toString('hex');
  const pwfile = join(dir, 'pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });

  let uid = userInfo().uid;
  let gid = userInfo().gid;
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    uid = Number(stdout.trim());
    gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await chown(dir, uid, gid);
    await chown(pwfile, uid, gid);
  }
  await chmod(dir, 0o700);
  const exec = (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args);

  const port = await freePort();
  try {
    await exec('initdb', [
      '-D', dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`,
      '--encoding=UTF8', '--locale=C', '--no-sync',
    ]);
    // Durability is not under test here: skip fsyncs so the suite stays fast.
    const options = [
      `-c listen_addresses=127.0.0.1`, `-p ${port}`, `-c unix_socket_directories=${dir}`,
      '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=200',
    ].join(' ');
    await exec('pg_ctl', ['-D', dataDir, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  let stopped = false;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    pid() {
      try {
        return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
      } catch {
        return undefined;
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await exec('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

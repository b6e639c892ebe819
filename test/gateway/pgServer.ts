/**
 * A throwaway PostgreSQL server for one test: initdb into a temporary directory, the postmaster on
 * a free TCP port of 127.0.0.1 (its unix socket in the same directory), password authentication
 * over TCP, everything deleted by stop(). PostgreSQL refuses to run as root, so as root the server
 * runs as an unprivileged user (`nobody`, or a dedicated `medchain-pg` user created if missing).
 * Missing binaries are an error, not a skip: CI installs them (.ci/setup.d/postgres.sh).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PgServer {
  /** postgres://medchain:<password>@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** Creates an empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  port: number;
  stop(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres. */
export function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  throw new Error('PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): install them with `bash .ci/setup.d/postgres.sh` (Debian package postgresql)');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** uid/gid to run the server as: ourselves, or an unprivileged user when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const ids = (name: string) => {
    try {
      return { uid: Number(execFileSync('id', ['-u', name]).toString().trim()), gid: Number(execFileSync('id', ['-g', name]).toString().trim()) };
    } catch { return undefined; }
  };
  const nobody = ids('nobody');
  if (nobody) return nobody;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'medchain-pg'], { stdio: 'pipe' });
  const created = ids('medchain-pg');
  if (!created) throw new Error('could not create an unprivileged user to run PostgreSQL as');
  return created;
}

/** argv that runs `command` as `user` (setpriv execs in place, so signals reach the server itself). */
function as(user: { uid: number; gid: number } | undefined, command: string, args: string[]): [string, string[]] {
  if (!user) return [command, args];
  return ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', command, ...args]];
}

export async function startPgServer(): Promise<PgServer> {
  const bin = findPostgresBin();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'medchain-pg-'));
  const data = join(dir, 'data');
  const password = randomBytes(12).toString('hex');
  writeFileSync(join(dir, 'pwfile'), `${password}\n`, { mode: 0o600 });
  if (user) {
    chmodSync(dir, 0o700);
    chownSync(dir, user.uid, user.gid);
    chownSync(join(dir, 'pwfile'), user.uid, user.gid);
  }
  let child: ChildProcess | undefined;
  const kill = () => child?.kill('SIGQUIT');
  try {
    const [initdb, initArgs] = as(user, join(bin, 'initdb'), [
      '-D', data, '-U', 'medchain', `--pwfile=${join(dir, 'pwfile')}`, '--auth-host=scram-sha-256', '--auth-local=trust',
      '-E', 'UTF8', '--locale=C', '--no-sync',
    ]);
    try { execFileSync(initdb, initArgs, { stdio: 'pipe', cwd: dir }); } catch (error) {
      throw new Error(`initdb failed: ${(error as { stderr?: Buffer }).stderr?.toString() ?? String(error)}`);
    }
    const port = await freePort();
    const [postgres, args] = as(user, join(bin, 'postgres'), [
      '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=100',
    ]);
    let output = '';
    const started = spawn(postgres, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    child = started;
    started.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    started.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((resolve) => started.once('exit', (code) => resolve(code)));
    // A test process that dies must not leave a server behind.
    process.once('exit', kill);

    const url = (database = 'postgres') => `postgres://medchain:${password}@127.0.0.1:${port}/${database}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`postgres exited with ${started.exitCode}:\n${output}`);
      const probe = new pg.Client({ connectionString: url() });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        await probe.end();
        break;
      } catch (error) {
        await probe.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections in 30 s: ${(error as Error).message}\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }

    return {
      port, url,
      async createDatabase(name: string) {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name must be lower-case letters, digits and _: ${name}`);
        const admin = new pg.Client({ connectionString: url() });
        await admin.connect();
        try { await admin.query(`CREATE DATABASE ${name}`); } finally { await admin.end(); }
        return url(name);
      },
      async stop() {
        process.removeListener('exit', kill);
        if (started.exitCode === null) {
          started.kill('SIGINT'); // fast shutdown: disconnects clients, then exits
          const timeout = setTimeout(() => started.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timeout);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    process.removeListener('exit', kill);
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

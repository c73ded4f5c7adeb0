/**
 * The last line of defence of `npm start` (api/process-guard.ts), in a real child process: an
 * uncaught exception or an unhandled rejection is logged, the request in flight still gets its
 * whole answer, new connections are refused, and the process exits non-zero (70) so the
 * supervisor (deploy/peixun.service, Restart=always) starts a fresh one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FATAL_EXIT_CODE } from '../../api/process-guard.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];

async function startChild(): Promise<{ child: ChildProcess; port: number; out: string[]; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'tests', 'fixtures', 'guard-child.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const out: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start: ${out.join('')}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out.push(d.toString());
      const m = /port=(\d+)/.exec(out.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
  });
  return { child, port, out, exited };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('process guard', () => {
  for (const trigger of ['/throw', '/reject']) {
    it(`${trigger}: logs, finishes the request in flight, refuses new ones, exits ${FATAL_EXIT_CODE}`, async () => {
      const { port, out, exited } = await startChild();
      const inFlight = get(port, '/slow');
      await new Promise((r) => setTimeout(r, 50));
      expect((await get(port, trigger)).status).toBe(200);
      // The fatal error happens 20 ms later; the slow answer is due ~350 ms after that.
      await new Promise((r) => setTimeout(r, 100));
      await expect(get(port, '/')).rejects.toThrow(/ECONNREFUSED|ECONNRESET|socket hang up/);
      expect(await inFlight).toEqual({ status: 200, body: 'slow done' });
      expect(await exited).toBe(FATAL_EXIT_CODE);
      const log = out.join('');
      expect(log).toContain('unexpected error');
      expect(log).toContain(trigger === '/throw' ? 'a bug outside any request' : 'a forgotten promise');
      expect(log).toContain('stopped cleanly');
    });
  }
});

// Runs Azurite's blob service for a test file: a real Azure Blob endpoint on a free local port.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const DEVSTORE_ACCOUNT = 'devstoreaccount1';
// The well-known development storage key, the same in every Azurite.
export const DEVSTORE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  port: number;
  /** `http://127.0.0.1:<port>/devstoreaccount1` */
  accountUrl: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startAzurite(timeoutMs = 30_000): Promise<Azurite> {
  const port = await freePort();
  const workdir = await mkdtemp(path.join(os.tmpdir(), 'azurite-'));
  const bin = path.resolve('node_modules/.bin/azurite-blob');
  const args = ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence', '--extentMemoryLimit', '256'];
  args.push('--silent', '--skipApiVersionCheck', '--disableTelemetry');
  // Run in a scratch folder: Azurite may leave files in its working directory.
  const child = spawn(bin, args, { cwd: workdir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await waitForListening(child, timeoutMs);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(workdir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    accountUrl: `http://127.0.0.1:${port}/${DEVSTORE_ACCOUNT}`,
    async stop() {
      // Azurite ignores SIGTERM.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      await rm(workdir, { recursive: true, force: true });
    },
  };
}

function waitForListening(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`azurite did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully listens/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`azurite exited with ${code} before listening:\n${output}`));
    });
  });
}

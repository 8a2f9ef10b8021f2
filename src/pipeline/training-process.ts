// One way to train in a process of its own, for the Action and the CLI: a crash in native code
// (libtensorflow, Dawn) or an out-of-memory abort ends that process, and the one that started it
// says what died and on which backend. The training process is the running bundle started again,
// marked by an environment variable; it tells its parent each backend it selects (so a report of
// a crash can name it) and may send a reply. What differs between the Action and the CLI is a
// parameter: the marker, the arguments, the serialization, whether a reply comes.
import { fork } from 'node:child_process';
import { onBackendSelected } from '../backend/select.js';
import { watchChild, type ChildEnd } from '../util/child-watch.js';

export interface BackendMessage {
  type: 'backend';
  name: string;
}

const isBackendMessage = (m: unknown): m is BackendMessage => (m as BackendMessage | undefined)?.type === 'backend';

export interface TrainingProcessStart {
  /** The running bundle. */
  script: string;
  argv: string[];
  /** The variable that marks the process as the training process, and its value (which may carry its inputs). */
  marker: { name: string; value: string };
  env?: NodeJS.ProcessEnv;
  /** 'advanced' (structured clone) keeps what JSON would lose in a reply: NaN in a gate check. */
  serialization?: 'json' | 'advanced';
}

export interface TrainingProcessEnd<Reply> extends ChildEnd {
  /** The last message that was not a backend's. */
  reply?: Reply;
  /** The last backend it said it selected. */
  backend?: string;
}

/** Starts the training process and waits for it to end (util/child-watch.ts). */
export async function startTrainingProcess<Reply>(opts: TrainingProcessStart): Promise<TrainingProcessEnd<Reply>> {
  const child = fork(opts.script, opts.argv, {
    env: { ...(opts.env ?? process.env), [opts.marker.name]: opts.marker.value },
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    serialization: opts.serialization ?? 'json',
    // Its own process group: a terminal's Ctrl-C reaches it once, through watchChild's forwarding,
    // not twice (a second signal means "exit now" to it).
    detached: process.platform !== 'win32',
  });
  let backend: string | undefined;
  let reply: Reply | undefined;
  child.on('message', (m: unknown) => {
    if (isBackendMessage(m)) backend = m.name;
    else reply = m as Reply;
  });
  const end = await watchChild(child);
  return { ...end, reply, backend };
}

/** Whether this process is a training process marked by `markerName` (and has a parent to talk to). */
export function isTrainingProcess(markerName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env[markerName]) && typeof process.send === 'function';
}

/** Sends a message to the parent; resolves once it is on its way. */
export function sendToParent(message: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * The training process's side: tells the parent each backend selected, runs `work` (which may send
 * its reply), then leaves, even should a native library keep the event loop alive.
 */
export async function serveTrainingProcess<T>(markerName: string, work: () => Promise<T>): Promise<T> {
  // Nothing this process starts is a training process.
  delete process.env[markerName];
  const stop = onBackendSelected((info) => sendToParent({ type: 'backend', name: info.name } satisfies BackendMessage).catch(() => {}));
  try {
    return await work();
  } finally {
    stop();
    process.disconnect?.();
    setTimeout(() => process.exit(), 10_000).unref();
  }
}

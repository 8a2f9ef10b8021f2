// Runs one measured command: wall time, and peak RSS from GNU time (threads included).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function machine() {
  const cpu = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m);
  return {
    nproc: os.availableParallelism(),
    cpu_model: cpu ? cpu[1] : os.cpus()[0]?.model,
    memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    commit: commit(),
    load_average: loadAverage(),
  };
}

/**
 * The checkout the run measured: HEAD, with "+changes" when tracked files other than the
 * benchmark's own records differ from it; undefined outside a git checkout.
 */
function commit() {
  const git = (...args) => spawnSync('git', args, { encoding: 'utf8' });
  const head = git('rev-parse', '--short=10', 'HEAD');
  if (head.status !== 0) return undefined;
  const changed = git(
    'status',
    '--porcelain',
    '--untracked-files=no',
    '--',
    '.',
    ':!bench/results.json',
    ':!bench/RESULTS.md',
  ).stdout.trim();
  return head.stdout.trim() + (changed ? '+changes' : '');
}

/** Other work on the machine skews every time: it is recorded next to each one. */
export function loadAverage() {
  return os.loadavg().map((l) => +l.toFixed(2));
}

export function timed(label, logDir, cmd, args, env = {}) {
  const log = path.join(logDir, 'logs', `${label}.log`);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  console.log(`${label}: ${path.basename(cmd)} ${args.map((a) => path.basename(a)).join(' ')}`);
  const load = loadAverage();
  const started = process.hrtime.bigint();
  const res = spawnSync('/usr/bin/time', ['-v', cmd, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 2 ** 20,
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  fs.writeFileSync(log, `${res.stdout}\n--- stderr ---\n${res.stderr}`);
  const rss = timeField(res.stderr, 'Maximum resident set size \\(kbytes\\)');
  const cpu = timeField(res.stderr, 'User time \\(seconds\\)') + timeField(res.stderr, 'System time \\(seconds\\)');
  // CPU time is what other load on the machine changes least.
  const measure = { wall_s: +wall.toFixed(2), cpu_s: +cpu.toFixed(2), peak_rss_mib: +(rss / 1024).toFixed(1), load_average_before: load };
  console.log(`${label}: ${wall.toFixed(1)} s, peak RSS ${measure.peak_rss_mib} MiB`);
  return { status: res.status, stdout: res.stdout, log, measure };
}

function timeField(text, name) {
  const m = text.match(new RegExp(`${name}: ([0-9.]+)`));
  return m ? Number(m[1]) : NaN;
}

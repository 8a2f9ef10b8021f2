// The command line: the same pipeline as the Action, for local runs. Returns the exit code.
// Every command is one row of COMMANDS (its words, options and what it does): help, --version and
// option parsing are derived from that table, so a new command is one more row.
import { parseArgs } from 'node:util';
import { consoleLogger, type Logger } from '../util/log.js';
import { parseBackendChoice } from '../backend/select.js';
import { runPipeline } from '../pipeline/run.js';
import { verdictHeadline } from '../report/headline.js';
import { DEFAULT_SPEC_FILE } from '../spec/schema.js';
import { ConfigError, FinetuneError, EXIT } from '../errors.js';
import { validateCommand } from './validate.js';
import { gateCommand } from './gate.js';
import { verifyCommand } from './verify.js';
import { doctorCommand } from './doctor.js';
import { sweepCommand, trialsArgs } from './sweep.js';
import { onInterrupt } from '../util/interrupt.js';
import { VERSION } from '../defaults.js';

/** Every option any command takes; a command lists the ones it accepts. */
export const OPTIONS = {
  spec: { type: 'string', default: DEFAULT_SPEC_FILE, help: `the spec file (default ${DEFAULT_SPEC_FILE})`, arg: 'FILE' },
  out: { type: 'string', help: "output folder (default: the spec's output.dir)", arg: 'DIR' },
  backend: {
    type: 'string',
    default: 'auto',
    help: 'auto | tensorflow-gpu | webgpu | tensorflow | wasm | cpu (default auto)',
    arg: 'NAME',
  },
  baseline: { type: 'string', help: "a baseline report.json (overrides the spec's gate.baseline)", arg: 'FILE' },
  candidate: {
    type: 'string',
    help: 'the report.json to gate, or a folder of report artifacts (the highest run attempt is gated)',
    arg: 'FILE|DIR',
  },
  'no-cache': { type: 'boolean', default: false, help: 'do not read or write the feature cache' },
  resume: { type: 'boolean', default: false, help: 'continue from the checkpoint of a cancelled or budget-stopped run' },
  shard: { type: 'string', help: "run shard i of n of the spec's sweep (default 1/1)", arg: 'i/n' },
  trials: {
    type: 'string',
    multiple: true,
    help: "merge the sweep shards' trials.json files or folders (repeat or comma-separate)",
    arg: 'PATH',
  },
  'require-gpu': { type: 'boolean', default: false, help: 'exit 2 instead of training on the CPU when no GPU path is usable' },
  json: { type: 'boolean', default: false, help: 'print machine-readable JSON' },
  'no-accel': { type: 'boolean', default: false, help: 'run on plain TF.js ops, without our own kernels (same as FINETUNE_ACCEL=off)' },
} as const;

/** Options every command answers, whatever it is. */
const COMMON = {
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', short: 'V', default: false },
  debug: { type: 'boolean', default: false },
} as const;

export type OptionName = keyof typeof OPTIONS;
interface OptionDef {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  multiple?: boolean;
}
type Values = {
  [K in OptionName]: (typeof OPTIONS)[K] extends { multiple: true }
    ? string[] | undefined
    : (typeof OPTIONS)[K] extends { type: 'boolean' }
      ? boolean
      : string;
};

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Positional arguments, as they appear in the usage line (`DIR`). */
  args?: string;
  options: readonly OptionName[];
  run(values: Values, positionals: string[], log: Logger): Promise<number>;
}

export const COMMANDS: Command[] = [
  {
    name: 'run',
    summary: 'fine-tune, evaluate and gate (exit 0 pass, 1 gate failed)',
    options: ['spec', 'out', 'backend', 'baseline', 'no-cache', 'resume', 'trials', 'require-gpu', 'no-accel'],
    async run(values, _positionals, log) {
      if (values['no-accel']) process.env.FINETUNE_ACCEL = 'off'; // plain TF.js ops (src/accel/create.ts)
      const interrupt = onInterrupt(log);
      const result = await runPipeline({
        signal: interrupt.signal,
        specPath: values.spec,
        outDir: values.out,
        backend: parseBackendChoice(values.backend),
        requireGpu: values['require-gpu'],
        baselinePath: values.baseline,
        noCache: values['no-cache'],
        resume: values.resume,
        trials: trialsArgs(values.trials),
        log,
      }).finally(interrupt.dispose);
      if (result.report.error) {
        log.warn(`training failed (${result.report.status.replaceAll('_', ' ')}): ${result.report.error.message}`);
        log.info(`report: ${result.reportPath}`);
        return result.exitCode;
      }
      if (result.report.status === 'interrupted')
        log.warn('the run was cancelled: the report is marked interrupted; `finetune run --resume` continues from the last complete epoch');
      log.info(
        `\nverdict: ${result.report.verdict.toUpperCase()} (accuracy ${result.report.metrics.accuracy.toFixed(4)}, f1_macro ${result.report.metrics.f1_macro.toFixed(4)})`,
      );
      log.info(verdictHeadline(result.report));
      log.info(`report: ${result.reportPath}\nsummary: ${result.markdownPath}\nmodel: ${result.modelDir} (sha256 ${result.modelSha256})`);
      return result.exitCode;
    },
  },
  {
    name: 'sweep',
    summary: "train one shard of the spec's sweep and write its trials.json (merge with run --trials)",
    options: ['spec', 'shard', 'out', 'backend', 'no-cache', 'require-gpu'],
    run: (values, _positionals, log) =>
      sweepCommand(
        {
          spec: values.spec,
          shard: values.shard,
          out: values.out,
          backend: parseBackendChoice(values.backend),
          requireGpu: values['require-gpu'],
          noCache: values['no-cache'],
        },
        log,
      ),
  },
  {
    name: 'validate',
    summary: 'check the spec, paths, data, base model and cut layer without training; lists candidate cut layers',
    options: ['spec'],
    run: (values, _positionals, log) => validateCommand(values.spec, log),
  },
  {
    name: 'gate',
    summary: "gate an existing report.json against this spec's thresholds and baseline",
    options: ['candidate', 'baseline', 'spec', 'out', 'backend'],
    run(values, _positionals, log) {
      if (!values.candidate) throw new ConfigError('finetune gate: --candidate report.json is required');
      return gateCommand(
        {
          candidate: values.candidate,
          baseline: values.baseline,
          spec: values.spec,
          out: values.out,
          backend: parseBackendChoice(values.backend),
        },
        log,
      );
    },
  },
  {
    name: 'verify',
    summary: 'check a model bundle against its sha256sums.txt',
    args: 'DIR',
    options: [],
    run(_values, positionals, log) {
      if (positionals.length !== 1) throw new ConfigError('finetune verify: give exactly one bundle directory');
      return verifyCommand(positionals[0], log);
    },
  },
  {
    name: 'doctor',
    summary: 'what this machine offers: backends, devices, CUDA / Vulkan libraries, and what auto would pick',
    options: ['json'],
    run: (values) => doctorCommand({ json: values.json }),
  },
];

const EXIT_CODES = 'exit codes: 0 gate passed, 1 gate failed, 2 bad spec / input / model, 3 training failed';

/** Where an option belongs when it was given to another command, for the error message. */
const ELSEWHERE: Partial<Record<string, string>> = {
  'run --shard': '--shard belongs to `finetune sweep`; `finetune run --trials` merges the shards',
  'sweep --trials': '--trials belongs to `finetune run`, which merges the shards',
};

export function findCommand(name: string | undefined): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

function synopsis(c: Command): string {
  const opts = c.options.map((o) => {
    const def = OPTIONS[o];
    const word = 'arg' in def ? `--${o} ${def.arg}` : `--${o}`;
    return 'multiple' in def ? `[${word}]...` : o === 'candidate' ? word : `[${word}]`;
  });
  return ['finetune', c.name, ...opts, ...(c.args ? [c.args] : [])].join(' ');
}

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `finetune ${VERSION}: fine-tune a TensorFlow.js model, evaluate it and gate the result`,
    '',
    'usage: finetune <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'finetune <command> --help   the options of a command',
    'finetune --version          the version',
    '--debug                     print the stack trace of an error (also when ACTIONS_STEP_DEBUG is true)',
    '',
    EXIT_CODES,
  ].join('\n');
}

export function commandHelp(c: Command): string {
  const lines = [`usage: ${synopsis(c)}`, '', c.summary];
  if (c.options.length > 0) {
    const words = c.options.map((o) => {
      const def = OPTIONS[o];
      return 'arg' in def ? `--${o} ${def.arg}` : `--${o}`;
    });
    const width = Math.max(...words.map((w) => w.length));
    lines.push('', 'options:', ...c.options.map((o, i) => `  ${words[i].padEnd(width)}  ${OPTIONS[o].help}`));
  }
  lines.push('', EXIT_CODES);
  return lines.join('\n');
}

export async function runCli(argv: string[], log: Logger = consoleLogger): Promise<number> {
  try {
    return await dispatch(argv, log);
  } catch (err) {
    return reportError(err, log, { debug: argv.includes('--debug') });
  }
}

async function dispatch(argv: string[], log: Logger): Promise<number> {
  const [word, ...rest] = argv;
  if (word === '--version' || word === '-V' || word === 'version') {
    log.info(VERSION);
    return EXIT.PASS;
  }
  if (word === '--help' || word === '-h' || word === 'help') {
    const about = findCommand(rest[0]);
    log.info(about ? commandHelp(about) : usage());
    return EXIT.PASS;
  }
  if (!word || word.startsWith('-')) {
    log.info(usage());
    return EXIT.BAD_INPUT;
  }
  const command = findCommand(word);
  if (!command)
    throw new ConfigError(`unknown command "${word}" (commands: ${COMMANDS.map((c) => c.name).join(', ')}; finetune --help lists them)`);
  const { values, positionals } = parseCliOptions(command, rest);
  if (values.help) {
    log.info(commandHelp(command));
    return EXIT.PASS;
  }
  if (values.version) {
    log.info(VERSION);
    return EXIT.PASS;
  }
  return command.run(values as unknown as Values, positionals, log);
}

/** The command's options only: a misplaced one is an error naming the command that takes it. */
export function parseCliOptions(command: Command, args: string[]) {
  const defs: Record<string, OptionDef> = { ...COMMON, ...Object.fromEntries(command.options.map((o) => [o, OPTIONS[o]])) };
  const options = Object.fromEntries(Object.entries(defs).map(([name, d]) => [name, parseArgsOption(d)]));
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const given = /'(--[a-z-]+)/.exec((err as Error).message)?.[1];
    const elsewhere = given && ELSEWHERE[`${command.name} ${given}`];
    if (elsewhere) throw new ConfigError(`finetune ${command.name}: ${elsewhere}`);
    const owners = given ? COMMANDS.filter((c) => c.options.includes(given.slice(2) as OptionName)).map((c) => c.name) : [];
    const hint = owners.length > 0 ? ` (${given} is an option of: ${owners.join(', ')})` : '';
    const unknown = /^Unknown option/.test((err as Error).message);
    const problem = unknown && given ? `unknown option ${given}${hint}` : (err as Error).message;
    throw new ConfigError(`finetune ${command.name}: ${problem}; finetune ${command.name} --help lists its options`);
  }
}

/** parseArgs takes only its own fields, and refuses them even when undefined. */
function parseArgsOption(d: OptionDef): OptionDef {
  const option: OptionDef = { type: d.type };
  if (d.short !== undefined) option.short = d.short;
  if (d.default !== undefined) option.default = d.default;
  if (d.multiple !== undefined) option.multiple = d.multiple;
  return option;
}

/** ACTIONS_STEP_DEBUG / RUNNER_DEBUG: the step debug logging a workflow turns on. */
export function debugRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.ACTIONS_STEP_DEBUG === 'true' || env.RUNNER_DEBUG === '1';
}

/** `error: <message>` (an error annotation in Actions); the stack only when asked for. */
export function reportError(err: unknown, log: Logger, opts: { debug?: boolean } = {}): number {
  const debug = opts.debug || debugRequested();
  const error = (m: string, where?: { file?: string; line?: number }) => (log.error ? log.error(m, where) : log.warn(m, where));
  const e = err as Error;
  if (err instanceof FinetuneError) {
    error(err.message, err.location ? { file: err.location.file, line: err.location.line } : undefined);
    if (debug && e.stack) log.info(e.stack);
    return err.exitCode;
  }
  error(`internal error (a bug in finetune-action, please report it): ${e?.message ?? String(err)}`);
  log.info(debug ? (e?.stack ?? String(err)) : 'run again with --debug for the stack trace to report');
  return EXIT.TRAINING_FAILED;
}

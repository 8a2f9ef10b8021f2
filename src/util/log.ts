// The pipeline logs through this interface so it runs the same under the CLI, the Action and tests.
export interface Logger {
  info(message: string): void;
  warn(message: string, where?: { file?: string; line?: number }): void;
  /** What stopped the command (a logger without it gets warn). */
  error?(message: string, where?: { file?: string; line?: number }): void;
  /** A progress line: may be overwritten in a terminal; always a plain line in CI logs. */
  progress(message: string): void;
}

export const consoleLogger: Logger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(`warning: ${m}`),
  error: (m, where) => console.error(errorLine(m, where)),
  progress: (m) => console.log(m),
};

/**
 * `error: <message>`; inside a GitHub Actions step, the workflow command that makes it an error
 * annotation (on the spec's line when known), so a CLI step fails the way the Action does.
 */
export function errorLine(message: string, where?: { file?: string; line?: number }, env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_ACTIONS !== 'true') return `error: ${message}`;
  const props = [where?.file && `file=${escapeProperty(where.file)}`, where?.line && `line=${where.line}`].filter(Boolean).join(',');
  return `::error${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

// The escapes of the runner's workflow commands (as @actions/core writes them).
function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, progress: () => {} };

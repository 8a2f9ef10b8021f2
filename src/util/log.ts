// The pipeline logs through this interface so it runs the same under the CLI, the Action and tests.
export interface Logger {
  info(message: string): void;
  warn(message: string, where?: { file?: string; line?: number }): void;
  /** A progress line: may be overwritten in a terminal; always a plain line in CI logs. */
  progress(message: string): void;
}

export const consoleLogger: Logger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(`warning: ${m}`),
  progress: (m) => console.log(m),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, progress: () => {} };

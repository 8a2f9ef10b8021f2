// The last lines of a stream, kept as it is written: a process that dies in native code says why
// in its last stderr lines, and only those are worth keeping.
export class LineTail {
  private readonly done: string[] = [];
  private partial = '';

  constructor(
    private readonly max: number,
    private readonly maxLineChars = 500,
  ) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.keep(line);
    // A line that never ends must not grow without bound: its start is kept, and marked clipped.
    if (this.partial.length > this.maxLineChars) this.partial = this.partial.slice(0, this.maxLineChars + 1);
  }

  /** The kept lines, the unfinished last one included; blank lines dropped. */
  lines(): string[] {
    const all = this.partial.trim() ? [...this.done, this.clip(this.partial)] : [...this.done];
    return all.slice(-this.max);
  }

  private keep(line: string): void {
    if (!line.trim()) return;
    this.done.push(this.clip(line));
    if (this.done.length > this.max) this.done.shift();
  }

  private clip(line: string): string {
    return line.length > this.maxLineChars ? `${line.slice(0, this.maxLineChars)}…` : line;
  }
}

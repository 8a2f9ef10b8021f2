export function compileKernels(): Promise<Buffer>;
export function kernelsSource(bytes: Buffer): string;

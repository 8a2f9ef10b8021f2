export interface KernelBuilds {
  shared: Buffer;
  heap: Buffer;
  bridge: Buffer;
}
export function compileKernels(): Promise<KernelBuilds>;
export function kernelsSource(builds: KernelBuilds): string;

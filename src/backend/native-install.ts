// What installing tfjs-node on demand means, as plain data: the pinned version, the runner's
// tool-cache name, the npm command line and the message for places where it cannot be installed.

export type NativePackage = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';

/** The version of the bundled tfjs: a native binding of another version would not share its kernels' API. */
export const NATIVE_VERSION = '4.22.0';

/** The folder name in the runner's tool cache (RUNNER_TOOL_CACHE/<tool>/<version>/<arch>). */
export function toolName(pkg: NativePackage): string {
  return pkg.replace('@tensorflow/', '');
}

/**
 * The package.json of the install folder. npm 11 warns about (and a later npm will block)
 * install scripts that are not listed; tfjs-node's downloads libtensorflow, so it is listed.
 */
export function installManifest(pkg: NativePackage, version: string = NATIVE_VERSION): Record<string, unknown> {
  return { name: `finetune-${toolName(pkg)}`, private: true, allowScripts: { [`${pkg}@${version}`]: true } };
}

/**
 * `npm install` of one package into `dir`. `source` is what npm installs: the pinned registry
 * version by default, a local tarball where one is given. Scripts run even where a user's .npmrc
 * turns them off: without its install script tfjs-node has no libtensorflow.
 */
export function npmInstallArgs(dir: string, source: string): string[] {
  return [
    'install',
    '--prefix',
    dir,
    '--no-audit',
    '--no-fund',
    '--no-package-lock',
    '--no-bin-links',
    '--ignore-scripts=false',
    '--loglevel=error',
    source,
  ];
}

export function registrySource(pkg: NativePackage, version: string = NATIVE_VERSION): string {
  return `${pkg}@${version}`;
}

/** Only a GitHub Actions runner has a tool cache that outlives the job on a self-hosted runner and a place to install. */
export function canInstallOnDemand(env: NodeJS.ProcessEnv): boolean {
  return env.GITHUB_ACTIONS === 'true' && Boolean(env.RUNNER_TOOL_CACHE);
}

/** Outside Actions nothing is installed behind the user's back: this says how to do it. */
export function notInstalledMessage(pkg: NativePackage, workspace: string, version: string = NATIVE_VERSION): string {
  return (
    `${pkg} is not installed in ${workspace}: run "npm install ${pkg}@${version}" there ` +
    '(its install script downloads libtensorflow, about 100 MB), or use backend wasm. ' +
    "In GitHub Actions it is installed on demand into the runner's tool cache."
  );
}

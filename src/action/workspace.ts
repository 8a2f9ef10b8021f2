// The runner's checkout (GITHUB_WORKSPACE): the repository root the spec's paths are relative to.
// Read here, on the Action's side, and passed down; the spec and pipeline layers never read it.

export function actionWorkspace(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.GITHUB_WORKSPACE || undefined;
}

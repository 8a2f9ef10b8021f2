import { execFileSync } from 'node:child_process';

// The example's pre-trained model is generated from the nsfwjs package, not committed.
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/prepare-example-model.mjs'], { stdio: 'inherit' });
}

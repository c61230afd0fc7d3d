import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Builds the compiled program once before the tests: command-line tests run `bin/tinode`
 * exactly as a user does, on the code `npm install` compiles.
 */
export default function setup(): void {
  const root = join(import.meta.dirname, '..');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}

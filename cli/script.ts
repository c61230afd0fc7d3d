import { createInterface } from 'node:readline';
import type { Engine } from './engine.js';
import { LineJoiner } from './tokenizer.js';

/**
 * Scripted mode: commands come from standard input, one a line (a trailing backslash goes on
 * on the next line, `#` starts a comment), and run one after the other. It stops at the end
 * of input, at .exit, or when a .must fails.
 */
export async function runScript(engine: Engine, input: NodeJS.ReadableStream = process.stdin): Promise<void> {
  const rl = createInterface({ input, crlfDelay: Infinity, terminal: false });
  const joiner = new LineJoiner();
  try {
    for await (const line of rl) {
      const command = joiner.push(line);
      if (command === null) continue;
      if ((await engine.run(command)) === 'exit') return;
    }
    const rest = joiner.flush();
    if (rest) await engine.run(rest);
  } finally {
    rl.close();
  }
}

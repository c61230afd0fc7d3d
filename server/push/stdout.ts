import type { PushHandler } from './push.js';
import { receiptJson, type PushReceipt } from './receipt.js';

/** The `stdout` handler: one JSON receipt per line on standard output (for debugging or piping). */
export class StdoutHandler implements PushHandler {
  readonly name = 'stdout';

  constructor(private readonly out: (line: string) => void = (line) => process.stdout.write(line + '\n')) {}

  async push(rcpt: PushReceipt): Promise<void> {
    this.out(JSON.stringify(receiptJson(rcpt)));
  }

  stop(): void {}
}

import { input, password } from '@inquirer/prompts';
import { createInterface, type Interface } from 'node:readline';
import type { ChalkInstance } from 'chalk';
import type { Engine } from './engine.js';
import { LineJoiner } from './tokenizer.js';
import type { Ui } from './ui.js';

/**
 * The terminal session: a `tn> ` prompt with line editing and history, server messages printed
 * above the prompt as they arrive, and questions (passwords) asked with hidden input.
 */
const PROMPT = 'tn> ';
const MORE = '... ';
const HISTORY_SIZE = 500;

export class TerminalUi implements Ui {
  readonly interactive = true;
  private rl: Interface | null = null;
  private history: string[] = [];
  /** True while the prompt is on screen waiting for typing. */
  private prompting = false;
  private asking = false;
  private prompt = PROMPT;
  private onLine: ((line: string) => void) | null = null;
  private onEnd: (() => void) | null = null;

  constructor(
    readonly c: ChalkInstance,
    private readonly errC: ChalkInstance,
  ) {}

  private write(stream: NodeJS.WriteStream, text: string): void {
    if (this.prompting && this.rl) {
      // Print above the prompt, then draw the prompt and what was typed so far again.
      process.stdout.write('\r\x1b[K');
      stream.write(text + '\n');
      this.rl.prompt(true);
    } else {
      stream.write(text + '\n');
    }
  }

  out(line: string): void {
    this.write(process.stdout, line);
  }

  err(line: string): void {
    this.write(process.stderr, this.errC.red(line));
  }

  /** Starts reading lines. */
  open(onLine: (line: string) => void, onEnd: () => void): void {
    this.onLine = onLine;
    this.onEnd = onEnd;
    this.attach();
  }

  private attach(): void {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true, history: this.history, historySize: HISTORY_SIZE, removeHistoryDuplicates: true });
    this.rl = rl;
    rl.setPrompt(this.prompt);
    rl.on('line', (line) => {
      this.prompting = false;
      this.onLine?.(line);
    });
    rl.on('SIGINT', () => {
      if (rl.line.length > 0) {
        // Ctrl+C drops what was typed, like a shell.
        rl.write(null, { ctrl: true, name: 'e' });
        rl.write(null, { ctrl: true, name: 'u' });
      } else {
        process.stdout.write('\n');
        rl.close();
      }
    });
    rl.on('close', () => {
      this.history = [...((rl as unknown as { history?: string[] }).history ?? this.history)];
      this.rl = null;
      this.prompting = false;
      if (!this.asking) this.onEnd?.();
    });
  }

  /** Shows the prompt (`... ` while a command goes on over several lines). */
  showPrompt(more = false): void {
    this.prompt = more ? MORE : PROMPT;
    if (!this.rl) return;
    this.rl.setPrompt(this.prompt);
    this.prompting = true;
    this.rl.prompt();
  }

  close(): void {
    this.onEnd = null;
    this.rl?.close();
  }

  private async ask(run: () => Promise<string>): Promise<string | undefined> {
    // The question takes the terminal: stop our line reader meanwhile, keeping its history.
    const reading = this.rl !== null;
    this.asking = true;
    this.rl?.close();
    try {
      return await run();
    } catch {
      // Ctrl+C or Ctrl+D on the question.
      return undefined;
    } finally {
      this.asking = false;
      if (reading) this.attach();
    }
  }

  askSecret(message: string): Promise<string | undefined> {
    return this.ask(() => password({ message, mask: '*' }));
  }

  askText(message: string): Promise<string | undefined> {
    return this.ask(() => input({ message }));
  }
}

/** Runs the session until .exit, Ctrl+D or a lost connection. */
export function runInteractive(engine: Engine, ui: TerminalUi): Promise<void> {
  return new Promise<void>((resolve) => {
    const joiner = new LineJoiner();
    let chain = Promise.resolve();
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      ui.close();
      resolve();
    };
    ui.open(
      (line) => {
        const command = joiner.push(line);
        if (command === null) {
          ui.showPrompt(true);
          return;
        }
        chain = chain.then(async () => {
          if (finished) return;
          try {
            const result = await engine.run(command);
            if (result === 'exit' || !engine.alive) {
              finish();
            } else {
              ui.showPrompt(joiner.pending);
            }
          } catch (err) {
            ui.err(`Error in '${command}': ${err instanceof Error ? err.message : String(err)}`);
            ui.showPrompt();
          }
        });
      },
      () => {
        // End of input (Ctrl+D): finish what was typed, then stop.
        chain = chain.then(async () => {
          const rest = joiner.flush();
          try {
            if (rest && !finished) await engine.run(rest);
          } finally {
            finish();
          }
        });
      },
    );
    ui.showPrompt();
  });
}

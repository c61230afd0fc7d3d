import { SMTPServer } from 'smtp-server';

/** A mail server on loopback that keeps what it receives (for email validation tests). */
export interface Mailbox {
  port: number;
  mails: { to: string[]; raw: string }[];
  /** Waits for a mail to `to` and returns its text. */
  waitFor(to: string, ms?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startMailbox(): Promise<Mailbox> {
  const mails: { to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => (raw += d));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    mails,
    async waitFor(to, ms = 5000) {
      const end = Date.now() + ms;
      for (;;) {
        const m = mails.find((x) => x.to.includes(to));
        if (m) return m.raw;
        if (Date.now() > end) throw new Error(`no mail to ${to}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

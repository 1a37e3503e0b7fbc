/**
 * A real SMTP server on loopback (npm `smtp-server`) for development and tests: it accepts every
 * message and writes it, unchanged, as an .eml file under a mail folder, where tests and the
 * developer read what was actually sent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

export interface RunningSmtpSink {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

export async function startSmtpSink(opts: { port: number; dir: string }): Promise<RunningSmtpSink> {
  fs.mkdirSync(opts.dir, { recursive: true });
  let seq = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    banner: 'motcua development mail sink',
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const name = `${Date.now()}-${process.pid}-${String(++seq).padStart(6, '0')}.eml`;
        const envelope = `X-Sink-Envelope-To: ${session.envelope.rcptTo.map((r) => r.address).join(', ')}\r\n`;
        fs.writeFile(path.join(opts.dir, name), Buffer.concat([Buffer.from(envelope), ...chunks]), (err) => callback(err ?? null));
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    dir: opts.dir,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ReceivedMail {
  file: string;
  to: string[];
  from: string;
  subject: string;
  text: string;
  messageId?: string;
  headers: Map<string, unknown>;
}

/** Every message the sink has received, oldest first, parsed. */
export async function readMailbox(dir: string): Promise<ReceivedMail[]> {
  if (!fs.existsSync(dir)) return [];
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).sort();
  const out: ReceivedMail[] = [];
  for (const file of files) {
    const parsed = await simpleParser(fs.readFileSync(path.join(dir, file)));
    const toHeader = parsed.headers.get('x-sink-envelope-to');
    out.push({
      file,
      to: String(toHeader ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      from: parsed.from?.text ?? '',
      subject: parsed.subject ?? '',
      text: parsed.text ?? '',
      messageId: parsed.messageId,
      headers: parsed.headers,
    });
  }
  return out;
}

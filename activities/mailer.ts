/** The one mail transport factory (nodemailer over SMTP). */
import nodemailer from 'nodemailer';

export interface OutgoingMail {
  to: string[];
  subject: string;
  text: string;
  /** A stable Message-ID, so a receiver can tell a retried delivery of the same message. */
  messageId?: string;
  headers?: Record<string, string>;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  verify(): Promise<void>;
  close(): void;
}

export function createMailer(opts: { smtpUrl: string; from: string }): Mailer {
  // Bounded waits: a relay that does not answer fails this attempt within seconds (the message
  // waits in the outbox) instead of holding the activity past its timeout. SMTP_URL query
  // parameters (e.g. ?connectionTimeout=30000) override them.
  const transport = nodemailer.createTransport({ url: opts.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, dnsTimeout: 10_000 });
  return {
    async send(mail) {
      const info = await transport.sendMail({
        from: opts.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: mail.messageId,
        headers: mail.headers,
      });
      return { messageId: String(info.messageId) };
    },
    async verify() {
      await transport.verify();
    },
    close: () => transport.close(),
  };
}

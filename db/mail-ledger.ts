/**
 * Sends each logical e-mail once: a ledger row per dedupe key is claimed before sending and
 * marked sent after. A retry after a crash between the SMTP acceptance and the mark re-sends with
 * the same Message-ID (at-least-once at the SMTP level in that narrow window; receivers can
 * drop it by Message-ID). Every other retry is a no-op.
 */
import { createHash } from 'node:crypto';
import type { Mailer, OutgoingMail } from '../activities/mailer';
import type { Db } from './knex';

export function messageIdFor(key: string): string {
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@motcua.local>`;
}

export async function sendOnce(db: Db, mailer: Mailer, key: string, mail: Omit<OutgoingMail, 'messageId'> & { to: [string] }): Promise<'sent' | 'already-sent'> {
  const messageId = messageIdFor(key);
  await db('sent_emails').insert({ dedupe_key: key, recipient: mail.to[0], subject: mail.subject, message_id: messageId, status: 'sending' }).onConflict('dedupe_key').ignore();
  const row = await db('sent_emails').where({ dedupe_key: key }).first<{ status: string }>();
  if (row?.status === 'sent') return 'already-sent';
  await db('sent_emails').where({ dedupe_key: key }).increment('attempts', 1);
  await mailer.send({ ...mail, messageId });
  await db('sent_emails').where({ dedupe_key: key }).update({ status: 'sent', sent_at: db.fn.now() });
  return 'sent';
}

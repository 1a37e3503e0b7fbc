/**
 * The e-mail outbox. Each logical e-mail is one row per dedupe key, written whole (recipient,
 * subject, body) before the first attempt, so:
 * - a retried activity never sends it twice: the row is claimed before sending and marked sent
 *   after. A retry after a crash between the SMTP acceptance and the mark re-sends with the same
 *   Message-ID (at-least-once at the SMTP level in that narrow window; receivers can drop it by
 *   Message-ID);
 * - a relay that refuses it, or cannot be reached, does not fail the case: the row is queued and
 *   the mail redelivery schedule tries it again with back-off until it is delivered or given up
 *   (audited on its case as `notification.failed`). A mailbox the relay rejects for good (550,
 *   551, 553) is given up at once.
 * Two senders never hold the same message: a claim is a lease, taken over only when it expires
 * or by the same claimant (an activity's next attempt).
 */
import { createHash } from 'node:crypto';
import type { Mailer, OutgoingMail } from '../activities/mailer';
import type { Db } from './knex';
import { auditStore } from './audit-store';

export function messageIdFor(key: string): string {
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@motcua.local>`;
}

/** The case a message is about: a message given up is audited there. */
export interface MailAbout {
  caseType: string;
  caseId: string;
  agencyId?: string;
}

/** Who is sending: an activity (its workflow and activity IDs) or a redelivery run. */
export interface MailClaimant {
  id: string;
  workflowId: string;
  runId: string;
}

export type Delivery = 'sent' | 'already-sent' | 'queued' | 'failed';

/** How long a claim holds: longer than one SMTP attempt can take with the mailer's timeouts. */
export const MAIL_LEASE_MS = 2 * 60_000;
/** Redelivery back-off: 30 s doubling per attempt, at most 30 min between attempts. */
export function redeliveryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 30 * 60_000);
}
/** SMTP replies that mean this mailbox will not take mail (RFC 5321 §4.2.3); anything else is retried. */
const PERMANENT_REPLIES = new Set([550, 551, 553]);

interface OutboxRow {
  dedupe_key: string;
  recipient: string;
  subject: string;
  body: string | null;
  headers: Record<string, string> | null;
  message_id: string;
  status: string;
  attempts: number;
  case_type: string | null;
  case_id: string | null;
  agency_id: string | null;
  created_at: Date;
}

function describe(err: unknown): { message: string; permanent: boolean } {
  const e = err as { message?: string; responseCode?: number; response?: string };
  const message = (e.response ?? e.message ?? String(err)).slice(0, 2000);
  return { message, permanent: typeof e.responseCode === 'number' && PERMANENT_REPLIES.has(e.responseCode) };
}

async function claim(db: Db, key: string, who: MailClaimant, now: Date): Promise<OutboxRow | undefined> {
  const rows = await db('sent_emails')
    .where({ dedupe_key: key })
    .whereNotNull('body')
    .where((q) =>
      q.where('status', 'queued').orWhere((s) =>
        s.where('status', 'sending').andWhere((l) => l.whereNull('lease_until').orWhere('lease_until', '<', now).orWhere('claimed_by', who.id)),
      ),
    )
    .update({ status: 'sending', claimed_by: who.id, lease_until: new Date(now.getTime() + MAIL_LEASE_MS), attempts: db.raw('attempts + 1') })
    .returning('*');
  return rows[0] as OutboxRow | undefined;
}

async function giveUp(db: Db, row: OutboxRow, reason: string, who: MailClaimant, now: Date): Promise<void> {
  await db('sent_emails').where({ dedupe_key: row.dedupe_key }).update({ status: 'failed', failed_at: now, last_error: reason, claimed_by: null, lease_until: null, next_attempt_at: null });
  if (!row.case_type || !row.case_id) return;
  await auditStore(db).append({
    dedupeKey: `mail-failed:${row.dedupe_key}`,
    caseType: row.case_type,
    caseId: row.case_id,
    agencyId: row.agency_id ?? undefined,
    workflowId: who.workflowId,
    runId: who.runId,
    actor: 'system',
    actorRole: 'admin',
    action: 'notification.failed',
    after: { recipient: row.recipient, subject: row.subject, attempts: row.attempts, firstTriedAt: row.created_at.toISOString(), error: reason },
    at: now.toISOString(),
  });
}

/** One attempt on a claimed row: sent, queued again with back-off, or given up. */
async function attempt(db: Db, mailer: Mailer, row: OutboxRow, who: MailClaimant, now: Date): Promise<Delivery> {
  try {
    await mailer.send({ to: [row.recipient], subject: row.subject, text: row.body ?? '', messageId: row.message_id, headers: row.headers ?? undefined });
  } catch (err) {
    const { message, permanent } = describe(err);
    if (permanent) {
      await giveUp(db, row, message, who, now);
      return 'failed';
    }
    await db('sent_emails')
      .where({ dedupe_key: row.dedupe_key, claimed_by: who.id })
      .update({ status: 'queued', last_error: message, claimed_by: null, lease_until: null, next_attempt_at: new Date(now.getTime() + redeliveryDelayMs(row.attempts)) });
    return 'queued';
  }
  await db('sent_emails').where({ dedupe_key: row.dedupe_key }).update({ status: 'sent', sent_at: db.fn.now(), last_error: null, claimed_by: null, lease_until: null, next_attempt_at: null });
  return 'sent';
}

/**
 * Records the message and tries it once: 'sent', 'already-sent' (an earlier attempt delivered
 * it), 'queued' (the relay refused it or another sender holds it; the redelivery schedule takes
 * over) or 'failed' (the mailbox was rejected for good, or it was given up before).
 */
export async function sendOnce(
  db: Db,
  mailer: Mailer,
  key: string,
  mail: Omit<OutgoingMail, 'messageId'> & { to: [string] },
  opts: { about?: MailAbout; claimant?: MailClaimant; now?: Date } = {},
): Promise<Delivery> {
  const now = opts.now ?? new Date();
  const who = opts.claimant ?? { id: `direct:${key}`, workflowId: 'mail', runId: '-' };
  await db('sent_emails')
    .insert({
      dedupe_key: key,
      recipient: mail.to[0],
      subject: mail.subject,
      body: mail.text,
      headers: mail.headers ? JSON.stringify(mail.headers) : null,
      message_id: messageIdFor(key),
      status: 'queued',
      next_attempt_at: now,
      case_type: opts.about?.caseType ?? null,
      case_id: opts.about?.caseId ?? null,
      agency_id: opts.about?.agencyId ?? null,
    })
    // A row written before the outbox existed has no body: this attempt supplies it.
    .onConflict('dedupe_key')
    .merge(['body', 'headers'])
    .whereNull('sent_emails.body');
  const row = await claim(db, key, who, now);
  if (!row) {
    const status = (await db('sent_emails').where({ dedupe_key: key }).first<{ status: string }>('status'))?.status;
    return status === 'sent' ? 'already-sent' : status === 'failed' ? 'failed' : 'queued';
  }
  return attempt(db, mailer, row, who, now);
}

export interface RedeliveryResult {
  due: number;
  sent: number;
  queued: number;
  failed: number;
  /** Messages still waiting after this run (queued or held by a sender). */
  waiting: number;
}

/**
 * Tries every queued message that is due (and every claim whose lease ran out), oldest first;
 * a message first tried more than `giveUpAfterMs` ago is given up instead. `keyPrefix` limits the
 * pass to keys starting with it (one case's mail, e.g. `feedback:PA-…:`; tests).
 */
export async function redeliverDue(db: Db, mailer: Mailer, opts: { claimant: MailClaimant; giveUpAfterMs: number; limit?: number; now?: Date; keyPrefix?: string }): Promise<RedeliveryResult> {
  const now = opts.now ?? new Date();
  const keys = await db('sent_emails')
    .whereNotNull('body')
    .modify((q) => {
      if (opts.keyPrefix) q.where('dedupe_key', 'like', `${opts.keyPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    })
    .where((q) => q.where((s) => s.where('status', 'queued').andWhere('next_attempt_at', '<=', now)).orWhere((s) => s.where('status', 'sending').andWhere('lease_until', '<', now)))
    .orderBy('next_attempt_at')
    .limit(opts.limit ?? 500)
    .pluck('dedupe_key');
  const result: RedeliveryResult = { due: keys.length, sent: 0, queued: 0, failed: 0, waiting: 0 };
  for (const key of keys) {
    const row = await claim(db, key as string, opts.claimant, now);
    if (!row) continue; // delivered or taken by another sender in the meantime
    let outcome: Delivery;
    if (now.getTime() - new Date(row.created_at).getTime() > opts.giveUpAfterMs) {
      await giveUp(db, row, `undelivered after ${row.attempts - 1} attempts since ${new Date(row.created_at).toISOString()}`, opts.claimant, now);
      outcome = 'failed';
    } else {
      outcome = await attempt(db, mailer, row, opts.claimant, now);
    }
    if (outcome === 'sent') result.sent++;
    else if (outcome === 'failed') result.failed++;
    else result.queued++;
  }
  const waiting = await db('sent_emails').whereIn('status', ['queued', 'sending']).whereNotNull('body').count<Array<{ count: string }>>({ count: '*' });
  result.waiting = Number(waiting[0]?.count ?? 0);
  return result;
}

/** Undelivered mail by status, for metrics (the partial index: never a scan of the sent history). */
export async function outboxCounts(db: Db): Promise<Record<'sending' | 'queued' | 'failed', number>> {
  const rows = await db('sent_emails').whereNot('status', 'sent').select('status').count<Array<{ status: string; count: string }>>({ count: '*' }).groupBy('status');
  const out = { sending: 0, queued: 0, failed: 0 };
  for (const r of rows) if (r.status in out) out[r.status as keyof typeof out] = Number(r.count);
  return out;
}

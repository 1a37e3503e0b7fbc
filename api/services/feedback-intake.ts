/**
 * Feedback intake, shared by the API and the demo seeder: the PAKN code and the intake rows in one
 * transaction with the Idempotency-Key (duplicates flagged), then the workflow started with the
 * code as its ID (a retry re-uses it), then the stored answer.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { intakeStore, requestHash } from '../../db/intake-store';
import type { Db } from '../../db/knex';
import { localDay } from '../../domain/calendar';
import { paknCode } from '../../domain/codes';
import { DUPLICATE_WINDOW_DAYS, normaliseContent, type FeedbackChannel } from '../../domain/feedback';
import { feedbackWorkflow } from '../../workflows/feedback';
import { startCaseWorkflow } from './case-start';

export interface FeedbackAttachment {
  fileName: string;
  contentType: string;
  /** Already decoded and checked (domain/feedback.ts attachmentProblem). */
  bytes: Buffer;
}

export interface FeedbackSubmission {
  title: string;
  content: string;
  receivingAgencyId: string;
  submitter: { fullName: string; address: string; phone: string; email: string };
}

type IntakeDeps = { db: Db; temporal: Client; taskQueue: string; operatorAgencyId: string };

/** Starts the case workflow of a stored feedback row (see case-start.ts). */
export async function startFeedbackCase(deps: IntakeDeps, code: string): Promise<void> {
  const row = await deps.db('feedback').where({ code }).first<{ received_at: Date; receiving_agency_id: string }>('received_at', 'receiving_agency_id');
  if (!row) throw new Error(`no feedback ${code}`);
  await startCaseWorkflow(deps, feedbackWorkflow, code, { code, receivedAtMs: row.received_at.getTime(), receivingAgencyId: row.receiving_agency_id, operatorAgencyId: deps.operatorAgencyId });
}

export function feedbackIntake(deps: IntakeDeps) {
  const intake = intakeStore(deps.db);
  return {
    async submit(o: { actorSub: string; actorIsCitizen: boolean; channel: FeedbackChannel; key?: string; body: FeedbackSubmission; attachments?: FeedbackAttachment[]; hashOf?: unknown; nowMs?: number }): Promise<{ statusCode: number; body: { code: string; status: string } }> {
      const now = o.nowMs ?? Date.now();
      const scope = `${o.actorSub}:feedback`;
      const { body } = o;
      const reservation = await intake.reserve({
        series: 'PAKN',
        day: localDay(now),
        scope,
        key: o.key,
        hash: requestHash(o.hashOf ?? body),
        makeCode: (n) => paknCode(localDay(now), n),
        onNew: async (trx, code) => {
          // Flag open feedback from the same submitter, or with the same content, for the classifier.
          const fingerprint = createHash('sha256').update(normaliseContent(body.content)).digest('hex');
          const similar = await trx('feedback as f')
            .leftJoin('feedback_submitters as s', 's.code', 'f.code')
            .where('f.received_at', '>=', new Date(now - DUPLICATE_WINDOW_DAYS * 86_400_000))
            .whereNotIn('f.status', ['published', 'not_accepted', 'merged'])
            .where((w) => {
              w.where('f.content_fingerprint', fingerprint).orWhere('s.email', body.submitter.email);
              if (o.actorIsCitizen) w.orWhere('f.submitted_by', o.actorSub);
            })
            .orderBy('f.received_at')
            .limit(20)
            .pluck('f.code');
          await trx('feedback').insert({
            code,
            status: 'received',
            channel: o.channel,
            submitted_by: o.actorSub,
            title: body.title,
            content: body.content,
            receiving_agency_id: body.receivingAgencyId,
            received_at: new Date(now),
            content_fingerprint: fingerprint,
            possible_duplicates: similar,
          });
          await trx('feedback_submitters').insert({ code, full_name: body.submitter.fullName, address: body.submitter.address, phone: body.submitter.phone, email: body.submitter.email });
          for (const a of o.attachments ?? []) {
            await trx('feedback_attachments').insert({ code, file_name: a.fileName, content_type: a.contentType, size_bytes: a.bytes.length, sha256: createHash('sha256').update(a.bytes).digest('hex'), data: a.bytes });
          }
        },
      });
      if (reservation.kind === 'done') return { statusCode: reservation.statusCode, body: reservation.response as { code: string; status: string } };
      const code = reservation.code;
      await startFeedbackCase(deps, code);
      const answer = { code, status: 'received' };
      await intake.complete({ scope, key: o.key, statusCode: 201, response: answer });
      return { statusCode: 201, body: answer };
    },
  };
}

/**
 * Dossier side effects: the `dossiers` read model, letters (forms 01–04, result notices) kept with
 * the case and e-mailed once, and the status outbox delivered in order to the national portal.
 * Letters are built here, from rows: the applicant's personal data never enters workflow history.
 */
import { sendOnce, type Delivery } from '../db/mail-ledger';
import { activityClaimant } from './mail-outbox';
import { formatInstantVN } from '../domain/calendar/days';
import { apologyLetter, receiptLetter, refusalLetter, resultLetter, supplementLetter, type Letter, type LetterContext } from '../domain/dossiers';
import type { ActivityDeps } from './deps';

export interface DossierPatch {
  status?: string;
  appointment_date?: string | null;
  original_appointment_date?: string | null;
  payment_reference?: string | null;
  paused_working_days?: number;
  restarts?: number;
  reschedules?: number;
  late_agency_id?: string | null;
  extra_contacts?: number;
  completed_at?: string | null;
  timeliness?: 'early' | 'on_time' | 'late' | null;
  returned_at?: string | null;
}

export type LetterSpec =
  | { form: '01'; appointmentDate: string }
  | { form: '02'; missing: string[]; reason: string }
  | { form: '03'; reasons: string }
  | { form: '04'; reason: string; oldDate: string; newDate: string; agencyAtFaultId: string }
  | { form: 'result'; approved: boolean; detail: string; early: boolean };

export class DeliveryError extends Error {}

export function dossierActivities(deps: ActivityDeps) {
  const db = deps.db;
  async function context(code: string): Promise<{ ctx: LetterContext; email: string | null; documents: string[] }> {
    const row = await db('dossiers as d')
      .join('dossier_applicants as a', 'a.code', 'd.code')
      .join('agencies as g', 'g.id', 'd.agency_id')
      .where('d.code', code)
      .first<{ full_name: string; email: string | null; procedure_name: string; name: string; received_at: Date; documents: string[] }>('a.full_name', 'a.email', 'a.documents', 'd.procedure_name', 'g.name', 'd.received_at');
    if (!row) throw new Error(`no dossier ${code}`);
    return { ctx: { code, applicantName: row.full_name, procedureName: row.procedure_name, agencyName: row.name, receivedAtText: formatInstantVN(row.received_at.getTime()) }, email: row.email, documents: row.documents };
  }
  async function agencyName(id: string): Promise<string> {
    return (await db('agencies').where({ id }).first<{ name: string } | undefined>('name'))?.name ?? id;
  }

  return {
    async updateDossier(code: string, patch: DossierPatch): Promise<void> {
      await db('dossiers').where({ code }).update({ ...patch, updated_at: db.fn.now() });
    },

    /** Issues a letter once per key (kept with the case) and e-mails it once to the applicant. */
    async issueLetter(code: string, key: string, spec: LetterSpec): Promise<{ form: string; emailed: boolean; delivery?: Delivery }> {
      const { ctx, email, documents } = await context(code);
      let letter: Letter;
      switch (spec.form) {
        case '01':
          letter = receiptLetter(ctx, spec.appointmentDate, documents);
          break;
        case '02':
          letter = supplementLetter(ctx, spec.missing, spec.reason);
          break;
        case '03':
          letter = refusalLetter(ctx, spec.reasons);
          break;
        case '04':
          letter = apologyLetter(ctx, spec.reason, spec.oldDate, spec.newDate, await agencyName(spec.agencyAtFaultId));
          break;
        case 'result':
          letter = resultLetter(ctx, spec.approved, spec.detail, spec.early);
          break;
      }
      await db('dossier_letters').insert({ code, letter_key: key, form: letter.form, title: letter.title, body: letter.body, issued_at: new Date() }).onConflict(['code', 'letter_key']).ignore();
      if (!email) return { form: letter.form, emailed: false };
      const stored = await db('dossier_letters').where({ code, letter_key: key }).first<{ title: string; body: string }>('title', 'body');
      const r = await sendOnce(db, deps.mailer, `dossier:${code}:${key}:${email}`, {
        to: [email],
        subject: `[Một cửa] ${stored.title}`,
        text: `${stored.body}\nTra cứu tình trạng hồ sơ: ${deps.publicUrl}/public/dossiers/${code}\n\nThư được gửi tự động từ Hệ thống thông tin giải quyết thủ tục hành chính; vui lòng không trả lời thư này.`,
      }, { about: { caseType: 'dossier', caseId: code }, claimant: activityClaimant() });
      // The letter is issued either way; an e-mail the relay refused waits in the outbox.
      return { form: letter.form, emailed: true, delivery: r };
    },

    /**
     * Queues status `seq` of a dossier and delivers every undelivered one, in order, to the
     * portal endpoint. The receiver gets `Idempotency-Key: <code>:<seq>`, so a retry after a lost
     * acknowledgement is recognised there: each status is taken once, in order.
     */
    async publishDossierStatus(code: string, seq: number, status: string, detail: Record<string, unknown> = {}): Promise<'delivered' | 'queued'> {
      await db('dossier_outbox').insert({ code, seq, status, payload: JSON.stringify({ code, seq, status, at: new Date().toISOString(), ...detail }) }).onConflict(['code', 'seq']).ignore();
      if (!deps.portalSyncUrl) return 'queued';
      const pending = await db('dossier_outbox').where({ code }).whereNull('delivered_at').orderBy('seq').select<Array<{ seq: number; payload: unknown }>>('seq', 'payload');
      for (const p of pending) {
        await db('dossier_outbox').where({ code, seq: p.seq }).increment('attempts', 1);
        const res = await fetch(deps.portalSyncUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `${code}:${p.seq}` },
          body: JSON.stringify(p.payload),
          signal: AbortSignal.timeout(10_000),
        });
        if (!res.ok) throw new DeliveryError(`portal answered ${res.status} for ${code}:${p.seq}`);
        await db('dossier_outbox').where({ code, seq: p.seq }).update({ delivered_at: db.fn.now() });
      }
      return 'delivered';
    },
  };
}

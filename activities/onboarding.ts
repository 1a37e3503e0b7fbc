/**
 * Onboarding side effects: conformance runs against the agency system with their evidence, manual
 * results, the service's status (go-live, suspension) and notices to the agency's contacts.
 */
import { sendOnce } from '../db/mail-ledger';
import { activityClaimant } from './mail-outbox';
import { formatDateVN, formatDueDateVN, parseDate } from '../domain/calendar/days';
import { CHECK_TITLES_VI, type CheckId, type CheckResult, type Endpoints, type OnboardingStatus } from '../domain/onboarding';
import { runConformance } from './conformance';
import type { ActivityDeps } from './deps';

interface ServiceRow {
  service_id: string;
  name: string;
  agency_id: string;
  endpoints: Endpoints;
  require_tls: boolean;
  callback_secret: string;
  contacts: Array<{ name: string; email: string; phone?: string }>;
}

export type NoticeKind = 'fix_requested' | 'accepted' | 'live' | 'suspended' | 'resumed' | 'rejected';

export function onboardingActivities(deps: ActivityDeps) {
  const db = deps.db;
  async function service(serviceId: string): Promise<ServiceRow> {
    const s = await db<ServiceRow>('online_services').where({ service_id: serviceId }).first();
    if (!s) throw new Error(`no online service ${serviceId}`);
    return s;
  }

  return {
    /**
     * Runs conformance run `runNo` (the workflow numbers them, so a retried activity finds the run
     * it already recorded instead of testing twice) and records every check with its evidence.
     */
    async runOnboardingTests(o: { serviceId: string; runNo: number; kind: 'test' | 'retest' | 'probe'; checks: CheckId[]; maxResponseMs: number }): Promise<{ runNo: number; failed: CheckId[]; results: Array<{ checkId: CheckId; verdict: string; detail: string }> }> {
      const done = await db('onboarding_runs').where({ service_id: o.serviceId, run_no: o.runNo }).first<{ failed: CheckId[] } | undefined>();
      if (done) {
        const rows = await db('onboarding_checks').where({ service_id: o.serviceId, run_no: o.runNo }).select<Array<{ check_id: CheckId; verdict: string; detail: string }>>('check_id', 'verdict', 'detail');
        return { runNo: o.runNo, failed: done.failed, results: rows.map((r) => ({ checkId: r.check_id, verdict: r.verdict, detail: r.detail })) };
      }
      const s = await service(o.serviceId);
      const started = new Date();
      const results: CheckResult[] = await runConformance({ endpoints: s.endpoints, requireTls: s.require_tls, secret: s.callback_secret, checks: o.checks, maxResponseMs: o.maxResponseMs, runId: `${o.serviceId}-${o.runNo}-${started.getTime().toString(36)}` });
      const failed = results.filter((r) => r.verdict === 'fail').map((r) => r.checkId);
      await db.transaction(async (trx) => {
        const inserted = await trx('onboarding_runs')
          .insert({ service_id: o.serviceId, run_no: o.runNo, kind: o.kind, checks: JSON.stringify(o.checks), failed: JSON.stringify(failed), started_at: started, finished_at: new Date() })
          .onConflict(['service_id', 'run_no'])
          .ignore()
          .returning('run_no');
        if (!inserted.length) return;
        if (results.length) {
          await trx('onboarding_checks').insert(results.map((r) => ({ service_id: o.serviceId, run_no: o.runNo, check_id: r.checkId, verdict: r.verdict, detail: r.detail, ms: Math.round(r.ms), exchanges: JSON.stringify(r.exchanges) })));
        }
        if (o.kind === 'probe') {
          await trx('online_services')
            .where({ service_id: o.serviceId })
            .update({ consecutive_probe_failures: failed.length ? trx.raw('consecutive_probe_failures + 1') : 0, updated_at: trx.fn.now() });
        }
      });
      return { runNo: o.runNo, failed, results: results.map((r) => ({ checkId: r.checkId, verdict: r.verdict, detail: r.detail })) };
    },

    /** Records a round of manual results (idempotent per round and case). */
    async recordManualResults(o: { serviceId: string; round: number; tester: string; atMs: number; results: Array<{ caseId: string; verdict: 'pass' | 'fail'; note: string }> }): Promise<void> {
      if (!o.results.length) return;
      await db('onboarding_manual_results')
        .insert(o.results.map((r) => ({ service_id: o.serviceId, round: o.round, case_id: r.caseId, verdict: r.verdict, note: r.note, tester: o.tester, recorded_at: new Date(o.atMs) })))
        .onConflict(['service_id', 'round', 'case_id'])
        .ignore();
    },

    async setServiceStatus(o: { serviceId: string; status: OnboardingStatus; acceptedBy?: string; liveFrom?: string; suspended?: boolean }): Promise<void> {
      await db('online_services')
        .where({ service_id: o.serviceId })
        .update({
          status: o.status,
          ...(o.acceptedBy ? { accepted_by: o.acceptedBy } : {}),
          ...(o.liveFrom ? { live_from: o.liveFrom } : {}),
          ...(o.suspended === true ? { suspended_at: db.fn.now() } : o.suspended === false ? { suspended_at: null, consecutive_probe_failures: 0 } : {}),
          updated_at: db.fn.now(),
        });
    },

    /** E-mails a notice to the service's contacts, once per key (Vietnamese). */
    async sendOnboardingNotice(o: { serviceId: string; key: string; kind: NoticeKind; failed?: CheckId[]; failedManual?: string[]; dueAtMs?: number; date?: string; reason?: string }): Promise<number> {
      const s = await service(o.serviceId);
      const link = `${deps.publicUrl}/onboardings/${encodeURIComponent(s.service_id)}`;
      const lines: string[] = [];
      let subject = '';
      switch (o.kind) {
        case 'fix_requested':
          subject = `Dịch vụ "${s.name}" chưa đạt kiểm thử — đề nghị khắc phục`;
          lines.push('Kết quả kiểm thử tích hợp với Cổng Dịch vụ công quốc gia cho thấy các nội dung sau chưa đạt:');
          for (const c of o.failed ?? []) lines.push(`- ${CHECK_TITLES_VI[c]}`);
          for (const c of o.failedManual ?? []) lines.push(`- Kiểm thử thủ công: ${c}`);
          if (o.reason) lines.push(`Lý do không nghiệm thu: ${o.reason}`);
          if (o.dueAtMs !== undefined) lines.push(`Đề nghị khắc phục và báo lại trước hết ngày ${formatDueDateVN(o.dueAtMs)}.`);
          lines.push(`Chi tiết từng yêu cầu, phản hồi và thời gian: ${link}`);
          break;
        case 'accepted':
          subject = `Dịch vụ "${s.name}" đã được nghiệm thu`;
          lines.push(`Dịch vụ được nghiệm thu; ngày vận hành chính thức: ${o.date ? formatDateVN(parseDate(o.date)) : ''}.`);
          break;
        case 'live':
          subject = `Dịch vụ "${s.name}" đã vận hành chính thức`;
          lines.push('Dịch vụ đã vận hành chính thức trên Cổng Dịch vụ công quốc gia; hệ thống sẽ kiểm tra định kỳ việc kết nối.');
          break;
        case 'suspended':
          subject = `Tạm dừng dịch vụ "${s.name}"`;
          lines.push(`Dịch vụ tạm dừng cung cấp trên Cổng Dịch vụ công quốc gia${o.reason ? `: ${o.reason}` : ''}.`);
          lines.push('Đề nghị khắc phục sự cố kết nối; dịch vụ được mở lại sau khi kiểm tra đạt.');
          for (const c of o.failed ?? []) lines.push(`- ${CHECK_TITLES_VI[c]}`);
          break;
        case 'resumed':
          subject = `Mở lại dịch vụ "${s.name}"`;
          lines.push('Dịch vụ đã được mở lại trên Cổng Dịch vụ công quốc gia.');
          break;
        case 'rejected':
          subject = `Dịch vụ "${s.name}" không được nghiệm thu`;
          lines.push(o.reason ?? '');
          break;
      }
      let sent = 0;
      for (const c of s.contacts) {
        if ((await sendOnce(db, deps.mailer, `onboarding:${s.service_id}:${o.key}:${c.email}`, { to: [c.email], subject: `[Cổng DVCQG] ${subject}`, text: `Kính gửi ${c.name},\n\n${lines.join('\n')}\n\nThư được gửi tự động; vui lòng không trả lời thư này.` }, { about: { caseType: 'onboarding', caseId: s.service_id, agencyId: s.agency_id }, claimant: activityClaimant() })) === 'sent') sent++;
      }
      return sent;
    },
  };
}

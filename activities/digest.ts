/**
 * The supervisors' daily digest: one e-mail per supervisor address and day listing the tasks of
 * their agencies (and those below) that are overdue or due by the end of the next working day.
 */
import { sendOnce } from '../db/mail-ledger';
import { activityClaimant } from './mail-outbox';
import { builtInCalendar, endOfDay, formatDate, formatDateVN, formatDueDateVN, localDay } from '../domain/calendar';
import type { ActivityDeps } from './deps';

interface DigestRow {
  id: string;
  case_id: string;
  title: string;
  agency_id: string;
  assignee: string | null;
  due_at: Date;
}

export function digestActivities(deps: ActivityDeps) {
  return {
    /** Sends the digest of `atMs`'s local date; retried runs send nothing twice. Returns the e-mails sent. */
    async sendDailyDigests(atMs: number): Promise<{ date: string; sent: number; recipients: number }> {
      // Days off (weekends, holidays) send nothing; worked Saturdays do.
      const cal = builtInCalendar();
      const today = localDay(atMs);
      const date = formatDate(today);
      if (!cal.isWorkingDay(today)) return { date, sent: 0, recipients: 0 };
      const horizon = new Date(endOfDay(cal.nextWorkingDay(today)));
      const agencies = await deps.db('agencies').select<{ id: string; supervisor_emails: string[] }[]>('id', 'supervisor_emails');
      let sent = 0;
      let recipients = 0;
      for (const agency of agencies) {
        if (!agency.supervisor_emails.length) continue;
        const rows = await deps.db
          .withRecursive('sub', (qb) => qb.select('id').from('agencies').where('id', agency.id).unionAll((u) => u.select('a.id').from('agencies as a').join('sub', 'a.parent_id', 'sub.id')))
          .select<DigestRow[]>('t.id', 't.case_id', 't.title', 't.agency_id', 't.assignee', 't.due_at')
          .from('tasks as t')
          .whereIn('t.agency_id', deps.db.select('id').from('sub'))
          .whereIn('t.status', ['open', 'claimed'])
          .where('t.due_at', '<=', horizon)
          .orderBy('t.due_at')
          .limit(500);
        if (!rows.length) continue;
        const overdue = rows.filter((r) => r.due_at.getTime() <= atMs);
        const soon = rows.filter((r) => r.due_at.getTime() > atMs);
        const line = (r: DigestRow) =>
          `- ${r.case_id}: ${r.title} — hạn ${formatDueDateVN(r.due_at.getTime())}` +
          ` — ${r.assignee ? `cán bộ ${r.assignee}` : 'chưa có người nhận'} (${r.agency_id})`;
        const text = [
          'Kính gửi Quý lãnh đạo,',
          '',
          `Tổng hợp ngày ${formatDateVN(today)}: ${overdue.length} việc quá hạn, ${soon.length} việc đến hạn trước hết ngày làm việc tiếp theo.`,
          '',
          ...(overdue.length ? ['Quá hạn:', ...overdue.map(line), ''] : []),
          ...(soon.length ? ['Sắp đến hạn:', ...soon.map(line), ''] : []),
          `Hộp việc: ${deps.publicUrl}/tasks?overdue=true`,
          '',
          'Thư được gửi tự động từ hệ thống một cửa motcua; vui lòng không trả lời thư này.',
        ].join('\n');
        for (const to of agency.supervisor_emails) {
          recipients++;
          const r = await sendOnce(deps.db, deps.mailer, `digest:${date}:${agency.id}:${to}`, {
            to: [to],
            subject: `[motcua] Tổng hợp hạn xử lý ngày ${date} — ${agency.id}`,
            text,
          }, { claimant: activityClaimant() });
          if (r === 'sent') sent++;
        }
      }
      return { date, sent, recipients };
    },
  };
}

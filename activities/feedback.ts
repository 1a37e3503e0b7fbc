/**
 * Feedback side effects: the `feedback` read model and the submitter's e-mails (Vietnamese),
 * each sent once per (case, purpose).
 */
import { sendOnce, type Delivery } from '../db/mail-ledger';
import { activityClaimant } from './mail-outbox';
import type { ActivityDeps } from './deps';

export type FeedbackNotice = 'receipt' | 'not_accepted' | 'clarification' | 'published' | 'merged' | 'merged_answered';

export interface FeedbackPatch {
  status?: string;
  class?: number | null;
  competent_agency_id?: string | null;
  not_accepted_reason?: string | null;
  answer?: string | null;
  answered_at?: string | null;
  published_at?: string | null;
  answered_on_time?: boolean | null;
  merged_into?: string | null;
}

const TEMPLATES: Record<FeedbackNotice, (code: string, detail: string, url: string) => { subject: string; text: string }> = {
  receipt: (code, _d, url) => ({
    subject: `[Cổng Dịch vụ công] Đã tiếp nhận phản ánh, kiến nghị ${code}`,
    text: `Phản ánh, kiến nghị của Quý vị đã được tiếp nhận với mã số ${code}.\nQuý vị có thể theo dõi tình trạng xử lý tại ${url}/feedback/${code}.\n`,
  }),
  not_accepted: (code, reason) => ({
    subject: `[Cổng Dịch vụ công] Phản ánh, kiến nghị ${code} không đủ điều kiện xử lý`,
    text: `Phản ánh, kiến nghị mã số ${code} không được tiếp nhận xử lý.\nLý do: ${reason}\n`,
  }),
  clarification: (code, question, url) => ({
    subject: `[Cổng Dịch vụ công] Đề nghị bổ sung thông tin cho phản ánh ${code}`,
    text: `Cơ quan xử lý đề nghị Quý vị làm rõ nội dung phản ánh, kiến nghị mã số ${code}:\n${question}\nVui lòng trả lời tại ${url}/feedback/${code}.\n`,
  }),
  merged: (code, into, url) => ({
    subject: `[Cổng Dịch vụ công] Phản ánh, kiến nghị ${code} được gộp xử lý`,
    text: `Phản ánh, kiến nghị mã số ${code} có cùng nội dung với phản ánh mã số ${into} đang được xử lý nên được gộp vào phản ánh đó.\nQuý vị sẽ được thông báo khi có trả lời; theo dõi tại ${url}/public/feedback/${into}.\n`,
  }),
  merged_answered: (code, into, url) => ({
    subject: `[Cổng Dịch vụ công] Đã có trả lời cho phản ánh ${code} (gộp vào ${into})`,
    text: `Phản ánh, kiến nghị mã số ${code} của Quý vị đã được gộp vào phản ánh mã số ${into}, nay đã có trả lời công khai tại ${url}/public/feedback/${into}.\n`,
  }),
  published: (code, _d, url) => ({
    subject: `[Cổng Dịch vụ công] Đã có trả lời phản ánh, kiến nghị ${code}`,
    text: `Phản ánh, kiến nghị mã số ${code} đã được trả lời và công khai tại ${url}/public/feedback/${code}.\nQuý vị có thể đánh giá mức độ hài lòng với câu trả lời.\n`,
  }),
};

export function feedbackActivities(deps: ActivityDeps) {
  const notifySubmitter = async (code: string, notice: FeedbackNotice, detail = '', round = 1): Promise<Delivery | 'no-address'> => {
    const row = await deps.db('feedback_submitters').where({ code }).first<{ email: string } | undefined>();
    if (!row) return 'no-address';
    const { subject, text } = TEMPLATES[notice](code, detail, deps.publicUrl);
    return sendOnce(deps.db, deps.mailer, `feedback:${code}:${notice}:${round}:${row.email}`, {
      to: [row.email],
      subject,
      text: `Kính gửi Quý vị,\n\n${text}\nThư được gửi tự động từ Hệ thống tiếp nhận, trả lời phản ánh, kiến nghị; vui lòng không trả lời thư này.`,
    }, { about: { caseType: 'feedback', caseId: code }, claimant: activityClaimant() });
  };
  return {
    notifySubmitter,
    /** Whether `code` is open feedback another can be merged into (not itself merged, answered or refused). */
    async mergeTargetOpen(code: string, into: string): Promise<boolean> {
      if (code === into) return false;
      const row = await deps.db('feedback').where({ code: into }).first<{ status: string; merged_into: string | null } | undefined>();
      return !!row && !row.merged_into && !['published', 'not_accepted', 'merged'].includes(row.status);
    },
    /** Tells the submitters of feedback merged into `code` that it has been answered. */
    async notifyMergedSubmitters(code: string): Promise<number> {
      const merged = await deps.db('feedback').where({ merged_into: code }).pluck('code');
      for (const m of merged) await notifySubmitter(m, 'merged_answered', code);
      return merged.length;
    },
    async updateFeedback(code: string, patch: FeedbackPatch): Promise<void> {
      await deps.db('feedback').where({ code }).update({ ...patch, updated_at: deps.db.fn.now() });
    },
  };
}

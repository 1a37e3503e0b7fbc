/**
 * Dossiers (hồ sơ thủ tục hành chính) at a one-stop office (Decree 61/2018 Arts 15–20, 26, 31;
 * Circular 01/2018 Arts 9–19): statuses, what the public may see, the letters (forms 01–04) in
 * Vietnamese, and the evaluation indices that can be computed from the data. Pure.
 */
import { formatDateVN, parseDate } from './calendar/days';

export const DOSSIER_CHANNELS = ['online', 'counter', 'post'] as const;
export type DossierChannel = (typeof DOSSIER_CHANNELS)[number];
export const RETURN_METHODS = ['online', 'counter', 'post'] as const;
export type ReturnMethod = (typeof RETURN_METHODS)[number];

export const DOSSIER_STATUSES = [
  'received',
  'awaiting_supplement',
  'refused',
  'processing',
  'consulting',
  'approving',
  'awaiting_payment',
  'result_ready',
  'returned',
  'rejected',
  'withdrawn',
] as const;
export type DossierStatus = (typeof DOSSIER_STATUSES)[number];

/**
 * Degree of completion shown to anyone holding the code (seed 004: "công khai mã số hồ sơ và mức
 * độ hoàn thành"): a label and a percentage, nothing about the applicant or the content.
 */
export const COMPLETION: Record<DossierStatus, { percent: number; label: string }> = {
  received: { percent: 10, label: 'Đã tiếp nhận, đang kiểm tra hồ sơ' },
  awaiting_supplement: { percent: 15, label: 'Chờ bổ sung hồ sơ' },
  refused: { percent: 100, label: 'Không tiếp nhận hồ sơ' },
  processing: { percent: 40, label: 'Đang giải quyết' },
  consulting: { percent: 50, label: 'Đang lấy ý kiến cơ quan liên quan' },
  approving: { percent: 70, label: 'Đang trình phê duyệt' },
  awaiting_payment: { percent: 80, label: 'Chờ nộp phí, lệ phí' },
  result_ready: { percent: 90, label: 'Đã có kết quả, chờ trả' },
  returned: { percent: 100, label: 'Đã trả kết quả' },
  rejected: { percent: 100, label: 'Đã trả lời từ chối giải quyết' },
  withdrawn: { percent: 100, label: 'Đã rút hồ sơ' },
};

export interface LetterContext {
  code: string;
  applicantName: string;
  procedureName: string;
  agencyName: string;
  receivedAtText: string;
}

export type LetterForm = '01' | '02' | '03' | '04' | 'early' | 'result';

export interface Letter {
  form: LetterForm;
  title: string;
  body: string;
}

const head = (c: LetterContext) => `Kính gửi: ${c.applicantName}\n\n${c.agencyName} tiếp nhận hồ sơ của Ông/Bà về thủ tục: ${c.procedureName}.\nMã số hồ sơ: ${c.code}. Thời điểm tiếp nhận: ${c.receivedAtText}.\n`;

/** Mẫu số 01 — receipt and appointment (Circular 01/2018). */
export function receiptLetter(c: LetterContext, appointmentDate: string, documents: string[]): Letter {
  return {
    form: '01',
    title: `Giấy tiếp nhận hồ sơ và hẹn trả kết quả — ${c.code}`,
    body: `${head(c)}\nHồ sơ gồm:\n${documents.map((d, i) => `${i + 1}. ${d}`).join('\n') || '(theo danh mục của thủ tục)'}\n\nNgày hẹn trả kết quả: ${formatDateVN(parseDate(appointmentDate))}.\n`,
  };
}

/** Mẫu số 02 — request to supplement, listing everything missing at once (Decree 61/2018 Art 16). */
export function supplementLetter(c: LetterContext, missing: string[], reason: string): Letter {
  return {
    form: '02',
    title: `Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ — ${c.code}`,
    body: `${head(c)}\nHồ sơ chưa đầy đủ, đề nghị Ông/Bà bổ sung, hoàn thiện các nội dung sau (một lần, đầy đủ):\n${missing.map((d, i) => `${i + 1}. ${d}`).join('\n')}\n\nLý do: ${reason}\nThời hạn giải quyết được tính lại từ đầu khi nhận đủ hồ sơ.\n`,
  };
}

/** Mẫu số 03 — refusal with reasons. */
export function refusalLetter(c: LetterContext, reasons: string): Letter {
  return {
    form: '03',
    title: `Phiếu từ chối tiếp nhận giải quyết hồ sơ — ${c.code}`,
    body: `${head(c)}\nHồ sơ không đủ điều kiện tiếp nhận giải quyết. Lý do: ${reasons}\n`,
  };
}

/** Mẫu số 04 — apology and new appointment (Decree 61/2018 Art 19.9), at most once. */
export function apologyLetter(c: LetterContext, reason: string, oldDate: string, newDate: string, agencyAtFault: string): Letter {
  return {
    form: '04',
    title: `Phiếu xin lỗi và hẹn lại ngày trả kết quả — ${c.code}`,
    body: `${head(c)}\nĐến ngày ${formatDateVN(parseDate(oldDate))} hồ sơ chưa giải quyết xong do: ${reason}\n${agencyAtFault} xin lỗi Ông/Bà vì sự chậm trễ này và hẹn trả kết quả vào ngày ${formatDateVN(parseDate(newDate))}.\n`,
  };
}

export function resultLetter(c: LetterContext, approved: boolean, detail: string, early: boolean): Letter {
  return {
    form: early ? 'early' : 'result',
    title: approved ? `Thông báo có kết quả giải quyết hồ sơ — ${c.code}` : `Thông báo từ chối giải quyết hồ sơ — ${c.code}`,
    body: `${head(c)}\n${approved ? `Hồ sơ đã được giải quyết${early ? ' sớm hơn ngày hẹn' : ''}. ${detail}` : `Hồ sơ không được giải quyết. Lý do: ${detail}`}\n`,
  };
}

/**
 * Circular 01/2018 Art 13 indices computable from the data (each 0/1/2):
 * index 1 — total time: 2 earlier than the limit, 1 on it, 0 later;
 * index 3 — contacts needed to complete: 2 none beyond submission, 1 one, 0 more;
 * index 9 — online: 2 when submitted online (full online), 0 otherwise.
 */
export function index1(completedDay: number, dueDay: number): 0 | 1 | 2 {
  return completedDay < dueDay ? 2 : completedDay === dueDay ? 1 : 0;
}
export function index3(extraContacts: number): 0 | 1 | 2 {
  return extraContacts <= 0 ? 2 : extraContacts === 1 ? 1 : 0;
}
export function index9(channel: DossierChannel): 0 | 2 {
  return channel === 'online' ? 2 : 0;
}

/** Grade band of an agency's total score out of 18 (9 indices × 2): Decree 61/2018 Art 31, Circular 01/2018 Art 13. */
export function gradeBand(total: number): 'excellent' | 'good' | 'fair' | 'average' | 'weak' {
  if (total >= 15) return 'excellent';
  if (total >= 12) return 'good';
  if (total >= 9) return 'fair';
  if (total >= 6) return 'average';
  return 'weak';
}

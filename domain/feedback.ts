/** Feedback (PAKN) rules that are not statutory numbers: what a valid submission looks like. */

/** Letters only Vietnamese uses: QĐ 31/2021 Art 41 requires feedback written in Vietnamese. */
const VIETNAMESE_LETTERS = /[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]/i;

export function looksVietnamese(text: string): boolean {
  return VIETNAMESE_LETTERS.test(text);
}

/** Vietnamese phone numbers: 0 or +84 followed by 9–10 digits. */
export const VN_PHONE = /^(\+84|0)\d{9,10}$/;

export const FEEDBACK_CHANNELS = ['portal', 'paper', 'phone', 'fax', 'email'] as const;
export type FeedbackChannel = (typeof FEEDBACK_CHANNELS)[number];

/** Circular 01/2018 evaluation index 8 (answers on time): 100% → 2 points, ≥ 90% → 1, else 0. */
export function onTimeScore(onTime: number, total: number): number {
  if (total === 0) return 2;
  const share = onTime / total;
  return share >= 1 ? 2 : share >= 0.9 ? 1 : 0;
}

/** Content normalised for duplicate detection: lower case, letters and digits only, single spaces. */
export function normaliseContent(text: string): string {
  return text.normalize('NFC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** How far back intake looks for duplicates. */
export const DUPLICATE_WINDOW_DAYS = 30;

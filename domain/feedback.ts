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

/**
 * Attachment limits (operator limits: the sources set none). Types are checked against the
 * file's own first bytes, not only the declared type.
 */
export const ATTACHMENT_LIMITS = { maxFiles: 5, maxBytes: 5 * 1024 * 1024 } as const;
const SIGNATURES: Record<string, number[]> = {
  'application/pdf': [0x25, 0x50, 0x44, 0x46], // %PDF
  'image/png': [0x89, 0x50, 0x4e, 0x47],
  'image/jpeg': [0xff, 0xd8, 0xff],
};
export const ATTACHMENT_TYPES = Object.keys(SIGNATURES);

export function attachmentProblem(contentType: string, bytes: Uint8Array): string | undefined {
  const sig = SIGNATURES[contentType];
  if (!sig) return `type ${contentType} is not accepted (${ATTACHMENT_TYPES.join(', ')})`;
  if (bytes.length === 0) return 'the file is empty';
  if (bytes.length > ATTACHMENT_LIMITS.maxBytes) return `the file is larger than ${ATTACHMENT_LIMITS.maxBytes / 1024 / 1024} MB`;
  if (!sig.every((b, i) => bytes[i] === b)) return `the content is not a ${contentType} file`;
  return undefined;
}

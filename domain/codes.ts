/**
 * Case codes issued by the system.
 * - Feedback (QĐ 31/2021 Chapter VI): `PAKN.YYYYMMDD.NNNN`.
 * - Dossier (Circular 01/2018/TT-VPCP): `<agency code>-<YYMMDD>-<NNNN>`, the agency code in the
 *   form of Circular 10/2016/TT-BTTTT (e.g. `H12.20`), the date of receipt, a 4-digit sequence
 *   within that agency and day.
 * Dates are local (Asia/Ho_Chi_Minh) days of receipt.
 */
import { formatDate, type DayNumber } from './calendar/days';

export const MAX_DAILY_SEQUENCE = 9999;

export class CodeError extends Error {}

function seq4(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > MAX_DAILY_SEQUENCE) throw new CodeError(`daily sequence ${n} is outside 1–${MAX_DAILY_SEQUENCE}`);
  return String(n).padStart(4, '0');
}

export function paknCode(day: DayNumber, n: number): string {
  return `PAKN.${formatDate(day).replace(/-/g, '')}.${seq4(n)}`;
}

export const AGENCY_CODE = /^[A-Z]\d{2}(\.\d{2}){0,3}$|^[A-Z][A-Z0-9]{1,9}(\.\d{2}){0,3}$/;

export function dossierCode(agencyCode: string, day: DayNumber, n: number): string {
  if (!AGENCY_CODE.test(agencyCode)) throw new CodeError(`not an agency code: ${agencyCode}`);
  return `${agencyCode}-${formatDate(day).slice(2).replace(/-/g, '')}-${seq4(n)}`;
}

export const PAKN_CODE = /^PAKN\.(\d{8})\.(\d{4})$/;
export const DOSSIER_CODE = /^([A-Z][A-Z0-9]*(?:\.\d{2}){0,3})-(\d{6})-(\d{4})$/;

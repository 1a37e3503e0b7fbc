/**
 * Administrative procedures (thủ tục hành chính) in the national catalogue (CSDLQG TTHC; QĐ
 * 31/2021 Art 16; Decree 63/2010 Arts 8, 15, 24, 25 as amended). Pure types and rules shared by
 * the workflow, the activities and the API.
 *
 * A procedure has versions. A version is entered as a draft with its announcement decision,
 * checked by a second person, published, and in force from its effective date until a later
 * version takes over or a withdrawal decision takes effect. A dossier follows the version that was
 * in force when it was received.
 */
import { parseDate } from './calendar/days';

export const PROCEDURE_LEVELS = ['ministry', 'province', 'district', 'commune'] as const;
export type ProcedureLevel = (typeof PROCEDURE_LEVELS)[number];

export const SUBMISSION_METHODS = ['online', 'counter', 'post'] as const;
export type SubmissionMethod = (typeof SUBMISSION_METHODS)[number];

/** Online-service level of a procedure: none, partial online (một phần), full online (toàn trình). */
export const ONLINE_LEVELS = ['none', 'partial', 'full'] as const;
export type OnlineLevel = (typeof ONLINE_LEVELS)[number];

/** Who signed the announcement decision; it sets the publication limit (policy keys below). */
export const SIGNER_LEVELS = ['minister', 'provincialChair', 'shortened'] as const;
export type SignerLevel = (typeof SIGNER_LEVELS)[number];

export const PUBLICATION_POLICY_KEY: Record<SignerLevel, string> = {
  minister: 'procedure.publication.minister',
  provincialChair: 'procedure.publication.provincialChair',
  shortened: 'procedure.publication.shortened',
};

/**
 * draft → in_review → (returned → in_review …) → published → in_force → superseded | withdrawn.
 * A draft may be discarded; a published version may be withdrawn before it takes effect.
 */
export const VERSION_STATUSES = ['draft', 'in_review', 'returned', 'discarded', 'published', 'in_force', 'superseded', 'withdrawn'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];
/** Statuses in which a version is still being prepared: one at a time per procedure. */
export const OPEN_DRAFT_STATUSES: VersionStatus[] = ['draft', 'in_review', 'returned'];
/** Statuses of versions that were in force at some time (they answer "which version on date X"). */
export const ACTIVATED_STATUSES: VersionStatus[] = ['in_force', 'superseded', 'withdrawn'];
/** Statuses the public sees. */
export const PUBLIC_STATUSES: VersionStatus[] = ['published', 'in_force', 'superseded', 'withdrawn'];

export interface ProcedureDocument {
  name: string;
  copies: { originals: number; copies: number };
  formTemplate?: string;
  required: boolean;
  /** When the document is only needed in some cases. */
  condition?: string;
}

export interface ProcedureFee {
  name: string;
  kind: 'fee' | 'charge';
  amountVnd: number;
  /** Transaction-type code for online payment (QĐ 31/2021: form `G22.99.…`). */
  transactionTypeCode?: string;
  note?: string;
}

export interface ProcedureTimeLimit {
  /** Working days, as most procedures state. */
  workingDays?: number;
  /** Calendar days, where the law says "ngày" rather than "ngày làm việc". */
  calendarDays?: number;
  /** The wording of the legal text. */
  text: string;
}

export interface ProcedureRecord {
  code: string;
  name: string;
  sector: string;
  level: ProcedureLevel;
  /** The agency that announces and maintains the procedure in the catalogue. */
  agencyId: string;
  /** Competent authority, as the decision names it. */
  competentAuthority: string;
  /** Agencies that receive and handle dossiers of this procedure. */
  implementingAgencyIds: string[];
  steps: string[];
  submissionMethods: SubmissionMethod[];
  documents: ProcedureDocument[];
  timeLimit: ProcedureTimeLimit;
  /** Who must carry out the procedure (đối tượng thực hiện). */
  applicants: string;
  result: string;
  conditions: string[];
  fees: ProcedureFee[];
  legalBasis: string[];
  onlineLevel: OnlineLevel;
}

export interface AnnouncementDecision {
  number: string;
  signerLevel: SignerLevel;
  /** YYYY-MM-DD. */
  signedOn: string;
  /** YYYY-MM-DD: the version is in force from this day. */
  effectiveOn: string;
}

/** A withdrawal (bãi bỏ) of a published procedure, with its own decision. */
export interface WithdrawalDecision {
  number: string;
  signedOn: string;
  effectiveOn: string;
  reason: string;
}

export const PROCEDURE_CODE = /^[A-Za-z0-9][A-Za-z0-9.-]{2,39}$/;

export function procedureWorkflowId(code: string, version: number): string {
  return `procedure:${code}:v${version}`;
}

/** The business ID of a version in tasks, alerts and audit (`<code>@v<n>`). */
export function procedureCaseId(code: string, version: number): string {
  return `${code}@v${version}`;
}

/** Problems of a decision's dates (empty: fine). */
export function decisionProblems(d: { signedOn: string; effectiveOn: string }): string[] {
  const problems: string[] = [];
  let signed: number | undefined;
  let effective: number | undefined;
  try {
    signed = parseDate(d.signedOn);
  } catch {
    problems.push('signedOn: not a date (YYYY-MM-DD)');
  }
  try {
    effective = parseDate(d.effectiveOn);
  } catch {
    problems.push('effectiveOn: not a date (YYYY-MM-DD)');
  }
  if (signed !== undefined && effective !== undefined && effective < signed) problems.push('effectiveOn: before signedOn');
  return problems;
}

/** Problems of a record that its schema alone cannot see (empty: fine). */
export function recordProblems(r: ProcedureRecord): string[] {
  const problems: string[] = [];
  const t = r.timeLimit;
  if ((t.workingDays === undefined) === (t.calendarDays === undefined)) problems.push('timeLimit: give exactly one of workingDays and calendarDays');
  if (r.onlineLevel !== 'none' && !r.submissionMethods.includes('online')) problems.push('onlineLevel: an online service needs the online submission method');
  if (r.onlineLevel === 'none' && r.submissionMethods.includes('online')) problems.push('submissionMethods: online submission needs an online-service level');
  return problems;
}

/** JSON with object keys sorted, so that records compare equal whatever order a store gives back. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

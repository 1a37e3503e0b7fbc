/** Request and answer schemas of the procedure catalogue (validation and OpenAPI from one source). */
import { z } from '../route';
import { parseDate } from '../../domain/calendar/days';
import { decisionProblems, ONLINE_LEVELS, PROCEDURE_CODE, PROCEDURE_LEVELS, recordProblems, SIGNER_LEVELS, SUBMISSION_METHODS, type ProcedureRecord } from '../../domain/procedures';

/** A calendar date YYYY-MM-DD that exists (not 2025-02-30). */
export const isoDate = z.string().refine((v) => {
  try {
    parseDate(v);
    return true;
  } catch {
    return false;
  }
}, 'a calendar date YYYY-MM-DD');
const text = (max: number) => z.string().trim().min(1).max(max);

export const DecisionSchema = z
  .object({
    number: text(100).describe('Decision number, e.g. 1234/QĐ-UBND'),
    signerLevel: z.enum(SIGNER_LEVELS).describe('minister: 10 working days to publish; provincialChair: 5; shortened law-making procedure: 2 (policy data)'),
    signedOn: isoDate,
    effectiveOn: isoDate,
  })
  .superRefine((d, ctx) => {
    for (const p of decisionProblems(d)) ctx.addIssue({ code: 'custom', message: p.slice(p.indexOf(':') + 2), path: [p.slice(0, p.indexOf(':'))] });
  })
  .openapi('AnnouncementDecision');

export const WithdrawalSchema = z
  .object({ number: text(100), signedOn: isoDate, effectiveOn: isoDate, reason: text(2000) })
  .superRefine((d, ctx) => {
    for (const p of decisionProblems(d)) ctx.addIssue({ code: 'custom', message: p.slice(p.indexOf(':') + 2), path: [p.slice(0, p.indexOf(':'))] });
  })
  .openapi('WithdrawalDecision');

export const RecordSchema = z
  .object({
    code: z.string().regex(PROCEDURE_CODE, 'letters, digits, . and -; 3–40 characters'),
    name: text(500),
    sector: text(200),
    level: z.enum(PROCEDURE_LEVELS),
    agencyId: text(64).describe('Agency that announces and maintains the procedure'),
    competentAuthority: text(500),
    implementingAgencyIds: z.array(text(64)).max(200).default([]),
    steps: z.array(text(4000)).min(1).max(50),
    submissionMethods: z.array(z.enum(SUBMISSION_METHODS)).min(1),
    documents: z
      .array(
        z.object({
          name: text(1000),
          copies: z.object({ originals: z.number().int().min(0).max(20), copies: z.number().int().min(0).max(20) }),
          formTemplate: text(200).optional(),
          required: z.boolean(),
          condition: text(1000).optional(),
        }),
      )
      .max(100),
    timeLimit: z.object({
      workingDays: z.number().int().min(0).max(3650).optional(),
      calendarDays: z.number().int().min(0).max(3650).optional(),
      text: text(1000),
    }),
    applicants: text(1000),
    result: text(1000),
    conditions: z.array(text(2000)).max(50).default([]),
    fees: z
      .array(
        z.object({
          name: text(500),
          kind: z.enum(['fee', 'charge']),
          amountVnd: z.number().int().min(0).max(1_000_000_000_000),
          transactionTypeCode: z.string().regex(/^G22\.99\.[A-Z0-9.]+$/, 'form G22.99.…').optional(),
          note: text(1000).optional(),
        }),
      )
      .max(50)
      .default([]),
    legalBasis: z.array(text(1000)).min(1).max(50),
    onlineLevel: z.enum(ONLINE_LEVELS),
  })
  .superRefine((r, ctx) => {
    for (const p of recordProblems(r as ProcedureRecord)) ctx.addIssue({ code: 'custom', message: p.slice(p.indexOf(':') + 2), path: [p.slice(0, p.indexOf(':'))] });
  })
  .openapi('ProcedureRecord');

export const DraftSchema = z.object({ record: RecordSchema, decision: DecisionSchema.nullable().optional() }).openapi('ProcedureDraft');

export const VersionSchema = z
  .object({
    code: z.string(),
    version: z.number().int(),
    status: z.string(),
    record: z.record(z.string(), z.unknown()),
    decision: z.record(z.string(), z.unknown()).nullable(),
    publishedAt: z.string().nullable(),
    inForceFrom: z.string().nullable(),
    inForceTo: z.string().nullable(),
    withdrawal: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('ProcedureVersion');

export const SummarySchema = z
  .object({
    code: z.string(),
    version: z.number().int(),
    name: z.string(),
    sector: z.string(),
    level: z.string(),
    agencyId: z.string(),
    onlineLevel: z.string(),
    timeLimit: z.record(z.string(), z.unknown()),
    inForceFrom: z.string().nullable(),
  })
  .openapi('ProcedureSummary');

/** CSV import columns: lists are separated by `|`; documents and fees are JSON arrays in their cell. */
export const CSV_COLUMNS = [
  'code', 'name', 'sector', 'level', 'agencyId', 'competentAuthority', 'implementingAgencyIds', 'steps', 'submissionMethods', 'documents',
  'timeLimitWorkingDays', 'timeLimitCalendarDays', 'timeLimitText', 'applicants', 'result', 'conditions', 'fees', 'legalBasis', 'onlineLevel',
  'decisionNumber', 'signerLevel', 'signedOn', 'effectiveOn',
] as const;

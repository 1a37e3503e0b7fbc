/**
 * Authorization rules per role, in one place (CASL). Object checks use `subject(type, row)`;
 * list queries compile the same rules to SQL (db/casl-sql.ts), so a list never shows a row the
 * object check would refuse, and counts do not leak.
 *
 * `scope` is the set of agencies the caller covers: their own agency, plus every agency below it
 * for supervisors and auditors (resolved from the `agencies` hierarchy at authentication).
 */
import { AbilityBuilder, createMongoAbility, subject, type MongoAbility } from '@casl/ability';
import type { Actor } from '../domain/roles';
import { PUBLIC_STATUSES } from '../domain/procedures';

export type Action = 'manage' | 'read' | 'create' | 'update' | 'delete' | 'run' | 'publish' | 'load' | 'export' | 'claim' | 'complete' | 'reassign' | 'acknowledge' | 'withdraw' | 'import' | 'refund' | 'suspend';
export type SubjectType = 'all' | 'Diagnostics' | 'Calendar' | 'Policy' | 'Agency' | 'Metrics' | 'Task' | 'Alert' | 'History' | 'AuditExport' | 'Procedure' | 'Payment' | 'Reconciliation' | 'OnlineService';
export type AppAbility = MongoAbility<[Action, SubjectType | Record<string, unknown>]>;

export function defineAbilityFor(user: Actor | undefined, scope: string[] = user?.agencyId ? [user.agencyId] : []): AppAbility {
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  // Public, no login.
  can('read', 'Calendar');
  can('read', 'Policy');
  // The catalogue: published versions are public (they have legal force); drafts are not.
  can('read', 'Procedure', { status: { $in: PUBLIC_STATUSES } });
  if (!user) return build();
  can('read', 'Agency');
  const inScope = { agency_id: { $in: scope } };
  switch (user.role) {
    case 'admin':
      can('manage', 'all');
      break;
    case 'operator':
      // Portal operators: catalogue, calendars, policies, diagnostics, and their own agency's tasks
      // (e.g. classifying feedback); they see alerts and history of their own agency.
      can('run', 'Diagnostics');
      can('load', 'Calendar');
      can('publish', 'Policy');
      can(['read', 'create', 'update', 'withdraw', 'import'], 'Procedure');
      can('read', 'Task', inScope);
      can(['claim', 'complete'], 'Task', inScope);
      can('read', 'Alert', inScope);
      can('read', 'History', inScope);
      // Payments: the daily reconciliation of every provider is the operator's (QĐ 31/2021 Art 36).
      can(['read', 'run'], 'Reconciliation');
      can('read', 'Payment');
      // Onboarding: the operator tests, accepts, suspends and resumes every online service.
      can(['read', 'create', 'run', 'suspend'], 'OnlineService');
      break;
    case 'supervisor':
      can(['read', 'create', 'update', 'withdraw'], 'Procedure', inScope);
      can('read', 'Task', inScope);
      can(['claim', 'complete', 'reassign'], 'Task', inScope);
      can(['read', 'acknowledge'], 'Alert', inScope);
      can('read', 'History', inScope);
      can(['read', 'refund'], 'Payment', inScope);
      can('read', 'Reconciliation', inScope);
      can(['read', 'create', 'run'], 'OnlineService', inScope);
      break;
    case 'officer':
      // Their own tasks, and their agency's unassigned ones.
      can('read', 'Task', { assignee: user.sub });
      can('read', 'Task', { ...inScope, assignee: null });
      can('claim', 'Task', { ...inScope, assignee: null });
      can('claim', 'Task', { assignee: user.sub }); // claiming again is a no-op, not an error
      can('complete', 'Task', { assignee: user.sub });
      can('complete', 'Task', { ...inScope, assignee: null });
      can('read', 'History', inScope);
      can(['read', 'create', 'update'], 'Procedure', inScope);
      can(['read', 'refund'], 'Payment', inScope);
      can(['read', 'create', 'run'], 'OnlineService', inScope);
      break;
    case 'auditor':
      can('read', 'Procedure', inScope);
      can('read', 'Task', inScope);
      can('read', 'Alert', inScope);
      can('read', 'History', inScope);
      can('export', 'AuditExport', inScope);
      can('read', 'Payment', inScope);
      can('read', 'Reconciliation', inScope);
      can('read', 'OnlineService', inScope);
      break;
    case 'citizen':
      break;
  }
  return build();
}

/** A database row as a CASL subject of `type` (conditions match on its column names). */
export function asSubject(type: Exclude<SubjectType, 'all'>, row: object): Record<string, unknown> {
  return subject(type, { ...(row as Record<string, unknown>) });
}

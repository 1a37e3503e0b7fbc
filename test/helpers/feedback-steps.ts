/** The officers' decisions that take a feedback case from classification to publication, in order. */
import type { Actor } from '../../domain/roles';

export const FEEDBACK_OPERATOR: Actor = { sub: 'operator-01', role: 'operator', agencyId: 'VPCP' };
export const FEEDBACK_OFFICER: Actor = { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20' };
export const FEEDBACK_LEADER: Actor = { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20' };

export const FEEDBACK_STEPS: Array<[step: string, actor: Actor, outcome: string, payload: Record<string, unknown>]> = [
  ['classify', FEEDBACK_OPERATOR, 'within', {}],
  ['accept', FEEDBACK_OFFICER, 'accept', {}],
  ['draft', FEEDBACK_OFFICER, 'submit', { answer: 'Sở Tư pháp đã tiếp thu và xử lý.' }],
  ['approve', FEEDBACK_LEADER, 'approve', {}],
  ['check', FEEDBACK_OPERATOR, 'accept', {}],
];

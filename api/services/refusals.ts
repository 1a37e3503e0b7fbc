/** Maps a workflow update's refusal (its validator's typed failure) to the HTTP error the API answers. */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { REFUSAL_STATUS } from '../../workflows/lib/case-messages';
import type { Refusal } from '../../domain/tasks';
import { HttpError } from '../errors';

export function refusalOf(err: unknown): { code: Refusal['code']; message: string; http: HttpError } | undefined {
  const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || !cause.type || !(cause.type in REFUSAL_STATUS)) return undefined;
  const code = cause.type as Refusal['code'];
  const status = REFUSAL_STATUS[code];
  return { code, message: cause.message, http: new HttpError(status, status === 403 ? 'Forbidden' : status === 400 ? 'Invalid request' : 'Conflict', cause.message, { refusal: code }) };
}

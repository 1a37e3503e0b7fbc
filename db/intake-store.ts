/**
 * Case intake: a gapless daily code and the Idempotency-Key record, in one transaction.
 *
 * 1. `reserve`: in a transaction, return the stored answer if the key was seen; otherwise take the
 *    next number of the day's series (row-locked, so concurrent intakes queue and never share or skip
 *    a number) and record the key as `pending` with that code. Commit.
 * 2. The caller starts the case workflow with the code as its ID (idempotent on the server).
 * 3. `complete`: store the answer. A retry that finds `pending` (the process died between 1 and 3)
 *    gets the same code back and starts the same workflow again — harmless.
 */
import { createHash } from 'node:crypto';
import { formatDate, type DayNumber } from '../domain/calendar/days';
import type { Knex } from 'knex';
import type { Db } from './knex';

export class IdempotencyConflictError extends Error {}

export type Reservation =
  | { kind: 'new'; number: number; resource?: undefined }
  | { kind: 'pending'; resource: string }
  | { kind: 'done'; resource: string; statusCode: number; response: unknown };

export function requestHash(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body ?? null)).digest('hex');
}

export function intakeStore(db: Db) {
  return {
    /**
     * Reserves the next number of `series` on `day` for a request, or returns what an earlier
     * request with the same key got. `makeCode` turns the number into the case code.
     */
    async reserve(o: {
      series: string;
      day: DayNumber;
      scope: string;
      key?: string;
      hash: string;
      makeCode: (n: number) => string;
      /** Writes the intake record in the same transaction (a failure burns no number). */
      onNew?: (trx: Knex.Transaction, code: string) => Promise<void>;
    }): Promise<Reservation & { code: string }> {
      return db.transaction(async (trx) => {
        if (o.key) {
          // Serialise requests with the same key (a concurrent duplicate waits for the first).
          await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`${o.scope}\n${o.key}`]);
          const seen = await trx('idempotency_keys').where({ scope: o.scope, key: o.key }).first<{ request_hash: string; resource: string; state: string; status_code: number | null; response: unknown }>();
          if (seen) {
            if (seen.request_hash !== o.hash) throw new IdempotencyConflictError('This Idempotency-Key was used with a different request body.');
            return seen.state === 'done'
              ? { kind: 'done' as const, resource: seen.resource, code: seen.resource, statusCode: seen.status_code ?? 200, response: seen.response }
              : { kind: 'pending' as const, resource: seen.resource, code: seen.resource };
          }
        }
        const [row] = await trx('case_code_sequences')
          .insert({ series: o.series, day: formatDate(o.day), last: 1 })
          .onConflict(['series', 'day'])
          .merge({ last: trx.raw('case_code_sequences.last + 1') })
          .returning('last');
        const number = (row as { last: number }).last;
        const code = o.makeCode(number);
        await o.onNew?.(trx, code);
        if (o.key) await trx('idempotency_keys').insert({ scope: o.scope, key: o.key, request_hash: o.hash, resource: code, state: 'pending' });
        return { kind: 'new' as const, number, code };
      });
    },
    async complete(o: { scope: string; key?: string; statusCode: number; response: unknown }): Promise<void> {
      if (!o.key) return;
      await db('idempotency_keys').where({ scope: o.scope, key: o.key }).update({ state: 'done', status_code: o.statusCode, response: JSON.stringify(o.response) });
    },
  };
}

export type IntakeStore = ReturnType<typeof intakeStore>;

/**
 * Dossier intake, shared by the API and the demo seeder: the procedure version in force on the day
 * of receipt is pinned; the code `<agency code>-<YYMMDD>-<NNNN>` and the intake rows are written in
 * one transaction with the Idempotency-Key (a gapless daily sequence per agency); then the workflow
 * starts with the code as its ID (a retry re-uses it).
 */
import type { Client } from '@temporalio/client';
import { intakeStore, requestHash } from '../../db/intake-store';
import type { Db } from '../../db/knex';
import { procedureStore } from '../../db/procedure-store';
import { formatDate, localDay } from '../../domain/calendar';
import { dossierCode } from '../../domain/codes';
import type { DossierChannel, ReturnMethod } from '../../domain/dossiers';
import type { ProcedureRecord } from '../../domain/procedures';
import { dossierWorkflow } from '../../workflows/dossier';
import { startCaseWorkflow } from './case-start';
import { InputError } from '../errors';

export interface DossierSubmission {
  procedureCode: string;
  agencyId: string;
  returnMethod: ReturnMethod;
  documents: string[];
  applicant: { fullName: string; idNumber?: string; address: string; phone: string; email?: string };
}

const feeTotal = (r: ProcedureRecord) => r.fees.reduce((sum, f) => sum + f.amountVnd, 0);

/** Starts the case workflow of a stored dossier row with the procedure version pinned at intake (see case-start.ts). */
export async function startDossierCase(deps: { db: Db; temporal: Client; taskQueue: string }, code: string): Promise<{ version: number }> {
  const row = await deps.db('dossiers').where({ code }).first<{ received_at: Date; procedure_code: string; procedure_version: number; paper: boolean; channel: DossierChannel; agency_id: string } | undefined>();
  if (!row) throw new Error(`no dossier ${code}`);
  const pinned = await procedureStore(deps.db).get(row.procedure_code, row.procedure_version);
  if (!pinned) throw new Error(`dossier ${code}: procedure ${row.procedure_code} v${row.procedure_version} not found`);
  await startCaseWorkflow(deps, dossierWorkflow, code, {
    code,
    agencyId: row.agency_id,
    receivedAtMs: row.received_at.getTime(),
    channel: row.channel,
    paper: row.paper,
    procedure: {
      code: pinned.code,
      version: pinned.version,
      name: pinned.name,
      workingDays: pinned.record.timeLimit.workingDays,
      calendarDays: pinned.record.timeLimit.calendarDays,
      feeTotalVnd: feeTotal(pinned.record),
    },
  });
  return { version: pinned.version };
}

export function dossierIntake(deps: { db: Db; temporal: Client; taskQueue: string }) {
  const intake = intakeStore(deps.db);
  const procedures = procedureStore(deps.db);
  return {
    async submit(o: { actorSub: string; channel: DossierChannel; paper: boolean; key?: string; body: DossierSubmission; nowMs?: number }): Promise<{ statusCode: number; body: { code: string; status: string; procedureVersion: number } }> {
      const now = o.nowMs ?? Date.now();
      const day = localDay(now);
      const { body } = o;
      const version = await procedures.inForceOn(body.procedureCode, formatDate(day));
      if (!version) throw new InputError('No procedure with this code is in force today.', [{ path: 'body.procedureCode', message: 'not in force' }]);
      if (version.agency_id !== body.agencyId && !version.implementing_agency_ids.includes(body.agencyId)) {
        throw new InputError('This agency does not handle the procedure.', [{ path: 'body.agencyId', message: `handled by ${[...new Set([version.agency_id, ...version.implementing_agency_ids])].join(', ')}` }]);
      }
      if (o.channel === 'online' && !version.record.submissionMethods.includes('online')) throw new InputError('This procedure cannot be submitted online.', [{ path: 'body.procedureCode', message: 'no online submission' }]);
      const agency = await deps.db('agencies').where({ id: body.agencyId }).first<{ code: string } | undefined>('code');
      if (!agency) throw new InputError('Unknown agency.', [{ path: 'body.agencyId', message: 'no such agency' }]);
      const feeTotalVnd = feeTotal(version.record);
      const scope = `${o.actorSub}:dossier`;
      const reservation = await intake.reserve({
        series: `dossier:${agency.code}`,
        day,
        scope,
        key: o.key,
        hash: requestHash({ channel: o.channel, paper: o.paper, body }),
        makeCode: (n) => dossierCode(agency.code, day, n),
        onNew: async (trx, code) => {
          await trx('dossiers').insert({
            code,
            status: 'received',
            agency_id: body.agencyId,
            procedure_code: version.code,
            procedure_version: version.version,
            procedure_name: version.name,
            channel: o.channel,
            paper: o.paper,
            owner_sub: o.actorSub,
            return_method: body.returnMethod,
            received_at: new Date(now),
            fee_total_vnd: feeTotalVnd,
          });
          await trx('dossier_applicants').insert({
            code,
            full_name: body.applicant.fullName,
            id_number: body.applicant.idNumber ?? null,
            address: body.applicant.address,
            phone: body.applicant.phone,
            email: body.applicant.email ?? null,
            documents: JSON.stringify(body.documents),
          });
        },
      });
      if (reservation.kind === 'done') return { statusCode: reservation.statusCode, body: reservation.response as { code: string; status: string; procedureVersion: number } };
      const code = reservation.code;
      const pinned = await startDossierCase(deps, code);
      const answer = { code, status: 'received', procedureVersion: pinned.version };
      await intake.complete({ scope, key: o.key, statusCode: 201, response: answer });
      return { statusCode: 201, body: answer };
    },
  };
}

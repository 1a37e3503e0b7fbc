import type { Db } from '../db/knex';
import type { Mailer } from './mailer';

/** What activities need from the outside world; tests pass real ones or typed fakes. */
export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  publicUrl: string;
  /** Where dossier status changes are synchronised (the national portal's endpoint); unset: they wait in the outbox. */
  portalSyncUrl?: string;
  /** The portal operator's agency: reconciliation cases and inquiries no agency can be named for. */
  operatorAgencyId?: string;
  /** Hours an undelivered e-mail is retried before it is given up and audited (default 72). */
  mailGiveUpAfterHours?: number;
}

import type { Db } from '../db/knex';
import type { Mailer } from './mailer';

/** What activities need from the outside world; tests pass real ones or typed fakes. */
export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  publicUrl: string;
}

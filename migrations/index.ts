/**
 * Migrations are imported statically (not found by scanning a folder), so the same list runs
 * from source under jest, from dist/ in production, and in a bundle.
 */
import type { Knex } from 'knex';
import * as m001 from './20261123_001_foundation';
import * as m002 from './20261123_002_legal_time';
import * as m003 from './20261123_003_case_kernel';
import * as m004 from './20261123_004_inbox_covering_index';
import * as m005 from './20261123_005_case_codes';
import * as m006 from './20261123_006_feedback';
import * as m007 from './20261123_007_feedback_duplicates';
import * as m008 from './20261123_008_feedback_attachments';
import * as m009 from './20261123_009_procedures';
import * as m010 from './20261123_010_dossiers';
import * as m011 from './20261202_011_payments';
import * as m012 from './20261202_012_onboarding';
import * as m013 from './20261202_013_mail_outbox';

const migrations: Record<string, Knex.Migration> = {
  '20261123_001_foundation': m001,
  '20261123_002_legal_time': m002,
  '20261123_003_case_kernel': m003,
  '20261123_004_inbox_covering_index': m004,
  '20261123_005_case_codes': m005,
  '20261123_006_feedback': m006,
  '20261123_007_feedback_duplicates': m007,
  '20261123_008_feedback_attachments': m008,
  '20261123_009_procedures': m009,
  '20261123_010_dossiers': m010,
  '20261202_011_payments': m011,
  '20261202_012_onboarding': m012,
  '20261202_013_mail_outbox': m013,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: () => Promise.resolve(Object.keys(migrations).sort()),
  getMigrationName: (name) => name,
  getMigration: (name) => {
    const m = migrations[name];
    if (!m) throw new Error(`unknown migration ${name}`);
    return Promise.resolve(m);
  },
};

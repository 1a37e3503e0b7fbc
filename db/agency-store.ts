/** The agencies aggregate: the hierarchy used for scoping and escalation. */
import type { Db } from './knex';

export interface AgencyRow {
  id: string;
  code: string;
  name: string;
  parent_id: string | null;
  level: string;
  supervisor_emails: string[];
}

export function agencyStore(db: Db) {
  return {
    async upsert(rows: AgencyRow[]): Promise<void> {
      // Parents first, so the foreign key holds.
      for (const row of rows) {
        await db('agencies').insert(row).onConflict('id').merge(['code', 'name', 'parent_id', 'level', 'supervisor_emails']);
      }
    },
    async get(id: string): Promise<AgencyRow | undefined> {
      return db<AgencyRow>('agencies').where({ id }).first();
    },
    async list(): Promise<AgencyRow[]> {
      return db<AgencyRow>('agencies').orderBy('code');
    },
    /** The agency and every agency below it. */
    async descendants(id: string): Promise<string[]> {
      const result = await db.raw<{ rows: Array<{ id: string }> }>(
        `with recursive sub as (select id from agencies where id = ? union all select a.id from agencies a join sub on a.parent_id = sub.id) select id from sub`,
        [id],
      );
      return result.rows.map((r) => r.id);
    },
  };
}

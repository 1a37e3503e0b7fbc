/**
 * Demo data for `motcua start` and `motcua seed`. Agency codes have the form of Circular
 * 10/2016/TT-BTTTT but name an illustrative province, not a real one.
 */
import { agencyStore, type AgencyRow } from './agency-store';
import type { Db } from './knex';

export const DEMO_AGENCIES: AgencyRow[] = [
  { id: 'VPCP', code: 'A01', name: 'Văn phòng Chính phủ (đơn vị vận hành Cổng Dịch vụ công quốc gia)', parent_id: null, level: 'portal', supervisor_emails: ['giamsat@vpcp.motcua.local'] },
  { id: 'H99', code: 'H99', name: 'Ủy ban nhân dân tỉnh Minh Họa', parent_id: null, level: 'province', supervisor_emails: ['giamsat@ubnd.h99.motcua.local'] },
  { id: 'H99.20', code: 'H99.20', name: 'Sở Tư pháp tỉnh Minh Họa', parent_id: 'H99', level: 'department', supervisor_emails: ['giamsat@stp.h99.motcua.local'] },
  { id: 'H99.21', code: 'H99.21', name: 'Sở Tài chính tỉnh Minh Họa', parent_id: 'H99', level: 'department', supervisor_emails: ['giamsat@stc.h99.motcua.local'] },
  { id: 'H99.20.01', code: 'H99.20.01', name: 'Phòng Hành chính tư pháp, Sở Tư pháp tỉnh Minh Họa', parent_id: 'H99.20', level: 'department', supervisor_emails: [] },
];

export async function seedDemoData(db: Db): Promise<{ agencies: number }> {
  await agencyStore(db).upsert(DEMO_AGENCIES);
  for (const u of DEMO_USERS) {
    if (!('agencyId' in u)) continue;
    await db('staff')
      .insert({ sub: u.sub, name: u.name, email: `${u.sub}@motcua.local`, agency_id: u.agencyId, role: u.role })
      .onConflict('sub')
      .merge();
  }
  return { agencies: DEMO_AGENCIES.length };
}

/** One demo identity per role, for the tokens `motcua start` prints. */
export const DEMO_USERS = [
  { sub: 'citizen-001', role: 'citizen', name: 'Nguyễn Văn An' },
  { sub: 'officer-stp-01', role: 'officer', agencyId: 'H99.20', name: 'Trần Thị Bình' },
  { sub: 'supervisor-stp-01', role: 'supervisor', agencyId: 'H99.20', name: 'Lê Văn Cường' },
  { sub: 'auditor-01', role: 'auditor', agencyId: 'H99', name: 'Phạm Thị Dung' },
  { sub: 'operator-01', role: 'operator', agencyId: 'VPCP', name: 'Hoàng Văn Em' },
  { sub: 'admin-01', role: 'admin', name: 'Quản trị hệ thống' },
] as const;

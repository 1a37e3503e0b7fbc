/** Who uses motcua. Pure data, shared by the API (CASL) and workflow validators. */
export const ROLES = ['citizen', 'officer', 'supervisor', 'auditor', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  /** Subject of the token: a citizen's portal account or an official's staff ID. */
  sub: string;
  role: Role;
  /** The official's agency; absent for citizens. */
  agencyId?: string;
  name?: string;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

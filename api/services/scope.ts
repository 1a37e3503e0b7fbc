/** Resolves the agencies a caller covers from the hierarchy; cached briefly per agency. */
import { agencyStore } from '../../db/agency-store';
import type { Db } from '../../db/knex';
import type { Actor } from '../../domain/roles';

export interface AgencyScopes {
  of(user: Actor): Promise<string[]>;
}

export function agencyScopes(db: Db, ttlMs = 30_000): AgencyScopes {
  const agencies = agencyStore(db);
  const cache = new Map<string, { at: number; ids: string[] }>();
  return {
    async of(user) {
      if (!user.agencyId) return [];
      if (user.role !== 'supervisor' && user.role !== 'auditor') return [user.agencyId];
      const hit = cache.get(user.agencyId);
      if (hit && Date.now() - hit.at < ttlMs) return hit.ids;
      const ids = await agencies.descendants(user.agencyId);
      cache.set(user.agencyId, { at: Date.now(), ids });
      return ids;
    },
  };
}

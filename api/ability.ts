/**
 * Authorization rules per role, in one place (CASL). Object checks use `subject(...)`; list
 * filters compile the same rules into SQL so a list never shows what an object check refuses.
 */
import { AbilityBuilder, createMongoAbility, type MongoAbility } from '@casl/ability';
import type { Actor } from '../domain/roles';

export type Action = 'manage' | 'read' | 'create' | 'update' | 'delete' | 'run' | 'publish' | 'load' | 'export';
export type Subject = 'all' | 'Diagnostics' | 'Calendar' | 'Policy' | 'Agency' | 'Metrics';
export type AppAbility = MongoAbility<[Action, Subject | Record<string, unknown>]>;

export function defineAbilityFor(user: Actor | undefined): AppAbility {
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  // Public, no login.
  can('read', 'Calendar');
  can('read', 'Policy');
  if (!user) return build();
  can('read', 'Agency');
  switch (user.role) {
    case 'admin':
      can('manage', 'all');
      break;
    case 'operator':
      can('run', 'Diagnostics');
      can('load', 'Calendar');
      can('publish', 'Policy');
      break;
    case 'supervisor':
    case 'officer':
    case 'auditor':
    case 'citizen':
      break;
  }
  return build();
}

import type { Logger } from 'pino';
import type { Actor } from '../domain/roles';
import type { AppAbility } from './ability';

declare global {
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
      user?: Actor;
      ability: AppAbility;
      /** Agencies the caller covers (own, plus those below for supervisors and auditors). */
      scope: string[];
    }
  }
}
export {};

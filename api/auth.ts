/**
 * Bearer-token authentication with `jose`: HS256 with a shared secret in development, or a JWKS
 * (with issuer and audience) in production. A valid token becomes an Actor `{ sub, role, agencyId }`.
 */
import { SignJWT, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { isRole, type Actor, type Role } from '../domain/roles';
import { UnauthorizedError } from './errors';

export interface AuthConfig {
  secret?: string;
  issuer?: string;
  audience?: string;
  jwksUrl?: string;
}

export interface Authenticator {
  verify(token: string): Promise<Actor>;
}

export function createAuthenticator(cfg: AuthConfig): Authenticator {
  const key: Uint8Array | JWTVerifyGetKey = cfg.jwksUrl
    ? createRemoteJWKSet(new URL(cfg.jwksUrl))
    : new TextEncoder().encode(cfg.secret ?? '');
  if (!cfg.jwksUrl && !cfg.secret) throw new Error('auth needs JWT_SECRET or JWT_JWKS_URL');
  return {
    async verify(token) {
      let payload: Record<string, unknown>;
      try {
        const result =
          key instanceof Uint8Array
            ? await jwtVerify(token, key, { issuer: cfg.issuer, audience: cfg.audience, algorithms: ['HS256'] })
            : await jwtVerify(token, key, { issuer: cfg.issuer, audience: cfg.audience });
        payload = result.payload;
      } catch (err) {
        throw new UnauthorizedError(`The bearer token is not valid: ${(err as Error).message}`);
      }
      const role = payload.role;
      if (typeof payload.sub !== 'string' || !isRole(role)) {
        throw new UnauthorizedError('The token must carry `sub` and a known `role`.');
      }
      const agencyId = typeof payload.agencyId === 'string' ? payload.agencyId : undefined;
      if (role !== 'citizen' && role !== 'admin' && role !== 'operator' && !agencyId) {
        throw new UnauthorizedError(`A ${role} token must carry \`agencyId\`.`);
      }
      return { sub: payload.sub, role, agencyId, name: typeof payload.name === 'string' ? payload.name : undefined };
    },
  };
}

/** Development and test tokens (HS256 with the shared secret). */
export async function mintToken(secret: string, claims: { sub: string; role: Role; agencyId?: string; name?: string }, opts: { issuer?: string; audience?: string; expiresIn?: string } = {}): Promise<string> {
  let jwt = new SignJWT({ role: claims.role, agencyId: claims.agencyId, name: claims.name })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(opts.expiresIn ?? '12h');
  if (opts.issuer) jwt = jwt.setIssuer(opts.issuer);
  if (opts.audience) jwt = jwt.setAudience(opts.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

import { createAuthenticator, mintToken } from '../../api/auth';
import { defineAbilityFor } from '../../api/ability';

const secret = 'a-test-secret-that-is-long-enough-1234567890';

describe('bearer tokens', () => {
  const auth = createAuthenticator({ secret });

  it('turns a valid token into an actor', async () => {
    const token = await mintToken(secret, { sub: 'officer-1', role: 'officer', agencyId: 'H99.20' });
    await expect(auth.verify(token)).resolves.toEqual({ sub: 'officer-1', role: 'officer', agencyId: 'H99.20', name: undefined });
  });

  it('rejects a token signed with another key', async () => {
    const token = await mintToken('another-secret-that-is-also-long-enough-000', { sub: 'x', role: 'admin' });
    await expect(auth.verify(token)).rejects.toMatchObject({ status: 401 });
  });

  it('rejects an official without an agency', async () => {
    const token = await mintToken(secret, { sub: 'x', role: 'supervisor' });
    await expect(auth.verify(token)).rejects.toThrow(/agencyId/);
  });

  it('rejects an expired token', async () => {
    const token = await mintToken(secret, { sub: 'x', role: 'admin' }, { expiresIn: '-1m' });
    await expect(auth.verify(token)).rejects.toMatchObject({ status: 401 });
  });
});

describe('abilities', () => {
  it('lets only operators and admins run diagnostics', () => {
    expect(defineAbilityFor({ sub: 'o', role: 'operator', agencyId: 'VPCP' }).can('run', 'Diagnostics')).toBe(true);
    expect(defineAbilityFor({ sub: 'a', role: 'admin' }).can('run', 'Diagnostics')).toBe(true);
    expect(defineAbilityFor({ sub: 'c', role: 'citizen' }).can('run', 'Diagnostics')).toBe(false);
    expect(defineAbilityFor(undefined).can('run', 'Diagnostics')).toBe(false);
  });
});

import { ConfigError, DEV_JWT_SECRET, loadConfig } from '../../infra/config';

describe('configuration', () => {
  it('has local defaults that need nothing set', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.temporal).toMatchObject({ namespace: 'default', taskQueue: 'motcua', port: 7233, uiPort: 8233 });
    expect(c.temporal.address).toBeUndefined();
    expect(c.jwt.secret).toBe(DEV_JWT_SECRET);
    expect(c.migrateOnStart).toBe(true);
  });

  it('parses booleans strictly: "false" means false', () => {
    expect(loadConfig({ MIGRATE_ON_START: 'false' }).migrateOnStart).toBe(false);
    expect(() => loadConfig({ MIGRATE_ON_START: 'nope' })).toThrow(ConfigError);
  });

  it('refuses production without the external services and a key source', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/DATABASE_URL[\s\S]*SMTP_URL[\s\S]*TEMPORAL_ADDRESS|JWT_JWKS_URL/);
    const c = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db/motcua',
      SMTP_URL: 'smtp://mail:25',
      TEMPORAL_ADDRESS: 'temporal:7233',
      JWT_JWKS_URL: 'https://sso.example/jwks.json',
      JWT_ISSUER: 'https://sso.example',
    });
    expect(c.jwt.secret).toBeUndefined();
    expect(c.jwt.jwksUrl).toBe('https://sso.example/jwks.json');
  });

  it('rejects a bad port with the variable named', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
  });
});

import { parseDate } from '../../domain/calendar';
import { CodeError, DOSSIER_CODE, dossierCode, PAKN_CODE, paknCode } from '../../domain/codes';

describe('case codes', () => {
  it('formats feedback codes PAKN.YYYYMMDD.NNNN', () => {
    expect(paknCode(parseDate('2026-11-23'), 7)).toBe('PAKN.20261123.0007');
    expect(PAKN_CODE.test('PAKN.20261123.0007')).toBe(true);
  });

  it('formats dossier codes <agency>-<YYMMDD>-<NNNN> (Circular 01/2018)', () => {
    expect(dossierCode('H12.20', parseDate('2026-11-23'), 42)).toBe('H12.20-261123-0042');
    expect(DOSSIER_CODE.exec('H12.20-261123-0042')?.slice(1)).toEqual(['H12.20', '261123', '0042']);
  });

  it('refuses sequences outside 1–9999 and malformed agency codes', () => {
    expect(() => paknCode(parseDate('2026-11-23'), 0)).toThrow(CodeError);
    expect(() => paknCode(parseDate('2026-11-23'), 10_000)).toThrow(CodeError);
    expect(() => dossierCode('h12 20', parseDate('2026-11-23'), 1)).toThrow(CodeError);
  });
});

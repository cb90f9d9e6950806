// The code normaliser against the one table of cases that the Rust side reads too.
import { describe, expect, it } from 'vitest';
import table from '../../../shared/tests/code_cases.json';
import { CODE_ALPHABET, isBadgeCode, isEnrollmentCode, normalizeCode } from '../src/code';

describe('codes (shared/tests/code_cases.json)', () => {
  it('has cases', () => {
    expect(table.cases.length).toBeGreaterThan(20);
  });

  it('uses the alphabet of the Rust side', () => {
    expect(CODE_ALPHABET).toBe(table.alphabet);
  });

  for (const c of table.cases) {
    it(`normalises ${JSON.stringify(c.input)}`, () => {
      expect(normalizeCode(c.input)).toBe(c.normalized);
      expect(isBadgeCode(c.input), 'badge').toBe(c.badge);
      expect(isEnrollmentCode(c.input), 'enrollment').toBe(c.enrollment);
    });
  }
});

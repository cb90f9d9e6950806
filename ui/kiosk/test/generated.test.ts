// The generated types (ui/kiosk/src/lib/generated, from the Rust side) and what the UI keeps at
// run time must agree: the list of error kinds is the one place a union needs its values.
import { describe, expect, it } from 'vitest';
import errorKindSource from '../src/lib/generated/ErrorKind.ts?raw';
import { ERROR_KINDS, toCommandError } from '../src/lib/commands';

describe('generated types', () => {
  it('ERROR_KINDS lists exactly the kinds of the generated ErrorKind', () => {
    const generated = [...errorKindSource.matchAll(/"(\w+)"/g)].map((m) => m[1]).sort();
    expect(generated.length).toBeGreaterThan(5);
    expect([...ERROR_KINDS].sort()).toEqual(generated);
  });

  it('an unknown kind becomes internal', () => {
    expect(toCommandError({ kind: 'nope', message: 'x' })).toEqual({ kind: 'internal', message: 'x' });
    expect(toCommandError({ kind: 'validation', message: 'm', fields: { q: 1 } })).toEqual({
      kind: 'validation',
      message: 'm',
      fields: { q: '1' },
    });
  });
});

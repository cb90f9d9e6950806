// Badge codes and enrollment codes, by the same rule as `vestibule_shared::types::normalize_code`
// (Rust). Both are tested against one table of cases, `shared/tests/code_cases.json`.

/** The alphabet of badge and enrollment codes: no 0/O, 1/I/L. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** Separators people type or scanners add: Unicode White_Space (as Rust's `char::is_whitespace`) and `-`. */
const SEPARATORS = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000-]/g;

/**
 * The one code normaliser: drops whitespace and dashes, upper-cases ASCII letters, and leaves any
 * other character as it is (so that validation then rejects it).
 */
export function normalizeCode(raw: string): string {
  return raw.replace(SEPARATORS, '').replace(/[a-z]/g, (c) => c.toUpperCase());
}

function isCode(raw: string, len: number): boolean {
  const s = normalizeCode(raw);
  return s.length === len && [...s].every((c) => CODE_ALPHABET.includes(c));
}

/** Whether `raw` normalises to a badge code: 8 characters of the alphabet. */
export function isBadgeCode(raw: string): boolean {
  return isCode(raw, 8);
}

/** Whether `raw` normalises to an invitation code: 10 characters of the alphabet. */
export function isInviteCode(raw: string): boolean {
  return isCode(raw, 10);
}

/** Whether `raw` normalises to a visitor pass's code: 16 characters of the alphabet. */
export function isPassCode(raw: string): boolean {
  return isCode(raw, 16);
}

/** Whether `raw` normalises to an enrollment code: 16 characters of the alphabet. */
export function isEnrollmentCode(raw: string): boolean {
  return isCode(raw, 16);
}

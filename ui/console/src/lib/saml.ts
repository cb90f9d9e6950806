// The SAML form's group-to-role mappings as text (one `group = role` a line) and back, and its
// SCIM user types as text (comma-separated) and back.
import type { Role } from './types';

const ROLES: readonly string[] = ['admin', 'receptionist', 'host'];

export function formatGroupRoles(map: Record<string, Role>): string {
  return Object.entries(map)
    .map(([group, role]) => `${group} = ${role}`)
    .join('\n');
}

/** The mappings typed, or the 1-based number of the first line that is not `group = role`. */
export function parseGroupRoles(text: string): { ok: Record<string, Role> } | { badLine: number } {
  const ok: Record<string, Role> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const at = line.lastIndexOf('=');
    const group = line.slice(0, at).trim();
    const role = line.slice(at + 1).trim().toLowerCase();
    if (at < 1 || !group || !ROLES.includes(role)) return { badLine: i + 1 };
    ok[group] = role as Role;
  }
  return { ok };
}

/** The most SCIM user types the server keeps, and the longest one, in characters. */
export const MAX_USER_TYPES = 20;
export const MAX_USER_TYPE_CHARS = 64;

/** What is wrong with the user types typed; `n` is the 1-based position of the value at fault. */
export type UserTypesProblem = { tooMany: number } | { tooLong: number } | { control: number };

// What the server calls a control character (Rust's `char::is_control`: general category Cc).
const CONTROL = /\p{Cc}/u;

export function formatUserTypes(types: readonly string[]): string {
  return types.join(', ');
}

/**
 * The SCIM user types typed as comma-separated values: trimmed, empties dropped, duplicates
 * (compared without regard to case, as the server compares them) dropped keeping the first
 * spelling; or what is wrong: more than `MAX_USER_TYPES`, one longer than `MAX_USER_TYPE_CHARS`
 * characters, or one with a control character.
 */
export function parseUserTypes(text: string): { ok: string[] } | { problem: UserTypesProblem } {
  const ok: string[] = [];
  const seen = new Set<string>();
  for (const raw of text.split(',')) {
    const value = raw.trim();
    if (!value) continue;
    const key = value.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    ok.push(value);
  }
  for (let i = 0; i < ok.length; i++) {
    if (CONTROL.test(ok[i])) return { problem: { control: i + 1 } };
    if ([...ok[i]].length > MAX_USER_TYPE_CHARS) return { problem: { tooLong: i + 1 } };
  }
  if (ok.length > MAX_USER_TYPES) return { problem: { tooMany: ok.length } };
  return { ok };
}

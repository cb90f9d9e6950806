// The SAML form's group-to-role mappings as text (one `group = role` a line) and back.
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

// Static guards on the source the kiosk ships (its own and @vestibule/common's): the kiosk keeps
// nothing and talks to nothing but Tauri commands.
import { describe, expect, it } from 'vitest';

const SOURCES: Record<string, string> = import.meta.glob(
  ['../src/**/*.ts', '../src/**/*.svelte', '../src/**/*.css', '../../common/src/**/*.ts', '../../common/src/**/*.svelte', '../../common/src/**/*.css'],
  {
    query: '?raw',
    import: 'default',
    eager: true,
  },
);
const SRC = Object.keys(SOURCES);
const readFileSync = (f: string, _enc: 'utf8') => SOURCES[f];

describe('source guards', () => {
  it('sees the sources', () => {
    expect(SRC.length).toBeGreaterThan(20);
    expect(SRC.some((f) => f.endsWith('App.svelte'))).toBe(true);
    expect(SRC.some((f) => f.endsWith('common/src/components/Field.svelte'))).toBe(true);
  });

  it('uses no storage, network or logging APIs', () => {
    const banned = /\b(localStorage|sessionStorage|indexedDB|document\.cookie|fetch\s*\(|XMLHttpRequest|WebSocket|EventSource|serviceWorker|console\.(log|info|debug|warn|error))/;
    for (const f of SRC) expect(readFileSync(f, 'utf8').match(banned)?.[0] ?? null, f).toBeNull();
  });

  it('has no inline style attributes, style: directives or {@html}', () => {
    for (const f of SRC.filter((p) => p.endsWith('.svelte'))) {
      const text = readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/\sstyle(=|:)/);
      expect(text, f).not.toMatch(/\{@html/);
    }
  });

  it('names Tauri commands only in commands.ts', () => {
    // The generated types (erased at run time) name the commands in their doc comments only.
    for (const f of SRC.filter((p) => !p.endsWith('commands.ts') && !p.includes('/lib/generated/'))) {
      const hit = readFileSync(f, 'utf8').match(/['"`](kiosk_status|check_in|check_out|search_hosts|override_(?!expired)\w+|enroll|wipe|visitor_types|visit_state|print_badge|offline_status|quit)['"`]/);
      expect(hit?.[0] ?? null, f).toBeNull();
    }
  });
});

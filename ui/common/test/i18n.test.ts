import { describe, expect, it } from 'vitest';
import { createI18n, fill } from '../src/i18n';

const en = { hello: 'Hello, {name}', only_en: 'English only', bye: 'Bye' } as const;
type Key = keyof typeof en;
const fr: Partial<Record<Key, string>> = { hello: 'Bonjour, {name}', bye: 'Au revoir' };

describe('i18n machinery', () => {
  const i18n = createI18n<'en' | 'fr', Key>(['en', 'fr'], { en, fr: fr as Record<Key, string> });

  it('fills placeholders and leaves unknown ones alone', () => {
    expect(fill('{a} and {b}', { a: 1 })).toBe('1 and {b}');
    expect(fill('{a}')).toBe('{a}');
  });

  it('does not interpret parameter values as placeholders', () => {
    expect(i18n.translate('en', 'hello', { name: '{name} $& $1' })).toBe('Hello, {name} $& $1');
  });

  it('falls back to the first language', () => {
    expect(i18n.translate('fr', 'only_en')).toBe('English only');
    expect(i18n.translate('fr', 'hello', { name: 'Ada' })).toBe('Bonjour, Ada');
  });

  it('t follows the bound language, destructured too', () => {
    const { t, bindLanguage } = i18n;
    let lang: 'en' | 'fr' = 'en';
    bindLanguage(() => lang);
    expect(t('bye')).toBe('Bye');
    lang = 'fr';
    expect(t('bye')).toBe('Au revoir');
  });

  it('knows its languages and keys', () => {
    expect(i18n.isLang('fr')).toBe(true);
    expect(i18n.isLang('de')).toBe(false);
    expect(i18n.isMessageKey('bye')).toBe(true);
    expect(i18n.isMessageKey('toString')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { bindLanguage, dictionaries, isMessageKey, t, translate } from '../src/lib/i18n';

describe('i18n', () => {
  it('en and fr have exactly the same keys, none empty', () => {
    const en = Object.keys(dictionaries.en).sort();
    const fr = Object.keys(dictionaries.fr).sort();
    expect(fr).toEqual(en);
    for (const lang of ['en', 'fr'] as const) {
      for (const [k, v] of Object.entries(dictionaries[lang])) expect(v.trim(), `${lang}:${k}`).not.toBe('');
    }
  });

  it('uses the same placeholders in both languages', () => {
    const ph = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const k of Object.keys(dictionaries.en) as Array<keyof typeof dictionaries.en>) {
      expect(ph(dictionaries.fr[k]), k).toEqual(ph(dictionaries.en[k]));
    }
  });

  it('interpolates parameters and leaves unknown ones alone', () => {
    expect(translate('en', 'confirm.welcome', { name: 'Ada' })).toBe('Welcome, Ada');
    expect(translate('fr', 'confirm.welcome', { name: 'Ada' })).toBe('Bienvenue, Ada');
    expect(translate('en', 'confirm.welcome')).toBe('Welcome, {name}');
    expect(translate('en', 'welcome.site', { tenant: 'ACME', site: 'Paris' })).toBe('ACME · Paris');
  });

  it('says only what will happen for the host, in both languages', () => {
    expect(translate('en', 'confirm.notifying')).toBe('We are letting your host know.');
    expect(translate('en', 'confirm.tell_reception')).toBe('Please tell reception you are here.');
    expect(translate('fr', 'confirm.notifying')).toBe('Nous prévenons votre hôte.');
    expect(translate('fr', 'confirm.tell_reception')).toBe('Veuillez signaler votre arrivée à l\u2019accueil.');
    for (const lang of ['en', 'fr'] as const) {
      for (const text of Object.values(dictionaries[lang])) expect(text).not.toMatch(/has been notified|a été prévenu/);
    }
  });

  it('does not interpret parameter values as placeholders', () => {
    expect(translate('en', 'confirm.welcome', { name: '{name} $& $1' })).toBe('Welcome, {name} $& $1');
  });

  it('t follows the bound language', () => {
    let lang: 'en' | 'fr' = 'en';
    bindLanguage(() => lang);
    expect(t('welcome.checkout')).toBe('Check out');
    lang = 'fr';
    expect(t('welcome.checkout')).toBe('Départ');
    bindLanguage(() => 'en');
  });

  it('knows its keys', () => {
    expect(isMessageKey('nav.back')).toBe(true);
    expect(isMessageKey('nope')).toBe(false);
    expect(isMessageKey('toString')).toBe(false);
  });
});

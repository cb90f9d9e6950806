// The i18n machinery every front end uses: dictionaries of the same keys per language, `{param}`
// placeholders, and a `t()` that reads the current language through a getter the app binds to its
// reactive state (so components re-render when it changes). The strings themselves belong to each
// app.

export type Params = Record<string, string | number>;

/** Fills `{param}` placeholders. Unknown placeholders stay as they are; values are not re-read. */
export function fill(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

export interface I18n<L extends string, K extends string> {
  /** The languages, in the order given. */
  readonly langs: readonly L[];
  /** Looks `key` up in `lang` (falling back to the first language, then the key) and fills it. */
  translate(lang: L, key: K, params?: Params): string;
  /** Translates into the current language. */
  t(key: K, params?: Params): string;
  /** Binds `t` to a (reactive) source of the current language. */
  bindLanguage(source: () => L): void;
  isLang(v: unknown): v is L;
  isMessageKey(v: unknown): v is K;
}

/**
 * Makes the machinery for `dictionaries`, whose first language is the fallback and the one whose
 * keys are the known keys. The functions returned need no `this`, so they can be destructured.
 */
export function createI18n<L extends string, K extends string>(
  langs: readonly [L, ...L[]],
  dictionaries: Record<L, Record<K, string>>,
): I18n<L, K> {
  const first = dictionaries[langs[0]];
  let current: () => L = () => langs[0];
  const translate = (lang: L, key: K, params?: Params): string =>
    fill(dictionaries[lang]?.[key] ?? first[key] ?? key, params);
  return {
    langs,
    translate,
    t: (key, params) => translate(current(), key, params),
    bindLanguage: (source) => {
      current = source;
    },
    isLang: (v): v is L => typeof v === 'string' && (langs as readonly string[]).includes(v),
    isMessageKey: (v): v is K => typeof v === 'string' && Object.prototype.hasOwnProperty.call(first, v),
  };
}

// @vestibule/common: what Vestibule's web front ends share. No app logic lives here.
// Styles: `@vestibule/common/tokens.css` (design tokens) and `@vestibule/common/base.css`;
// components: `@vestibule/common/components/<Name>.svelte`.

export { CODE_ALPHABET, isBadgeCode, isEnrollmentCode, isInviteCode, isPassCode, normalizeCode } from './code';
export { createI18n, fill, type I18n, type Params } from './i18n';
export { qrDataUrl, qrPath, qrSvg } from './qr';

// Pure validators. Each returns the dictionary key of the error to show, or null when the value is valid.
// The server (and the Rust side) validate again: these checks are for quick, friendly feedback.
import { isBadgeCode, isEnrollmentCode, isInviteCode, isPassCode, normalizeCode } from '@vestibule/common';
import type { MessageKey } from './i18n';

export type FieldError = MessageKey | null;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function length(s: string): number {
  return [...s].length; // code points, like the server counts characters
}

/** Required text, 1..=max characters after trimming, no control characters. */
function requiredText(raw: string, max: number, tooLong: MessageKey): FieldError {
  const s = raw.trim();
  if (s.length === 0) return 'field.required';
  if (length(s) > max) return tooLong;
  if (CONTROL.test(s)) return 'field.invalid_chars';
  return null;
}

/** Optional text: empty is fine, otherwise at most max characters, no control characters. */
function optionalText(raw: string, max: number, tooLong: MessageKey): FieldError {
  const s = raw.trim();
  if (s.length === 0) return null;
  if (length(s) > max) return tooLong;
  if (CONTROL.test(s)) return 'field.invalid_chars';
  return null;
}

export function validateName(raw: string): FieldError {
  return requiredText(raw, 100, 'field.too_long_100');
}

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export function validateEmail(raw: string): FieldError {
  const s = raw.trim();
  if (s.length === 0) return 'field.required';
  if (s.length > 254 || CONTROL.test(s) || !EMAIL.test(s)) return 'field.email_invalid';
  const local = s.slice(0, s.lastIndexOf('@'));
  if (local.length > 64) return 'field.email_invalid';
  return null;
}

export function validateCompany(raw: string): FieldError {
  return optionalText(raw, 100, 'field.too_long_100');
}

const PHONE = /^[0-9 +().-]{6,32}$/;

export function validatePhone(raw: string): FieldError {
  const s = raw.trim();
  if (s.length === 0) return null;
  if (!PHONE.test(s) || !/[0-9]/.test(s)) return 'field.phone_invalid';
  return null;
}

export function validatePurpose(raw: string): FieldError {
  return optionalText(raw, 200, 'field.too_long_200');
}

/** A custom question's text answer: at most 500 characters, no control characters. */
export function validateShortAnswer(raw: string): FieldError {
  return optionalText(raw, 500, 'field.too_long_500');
}

export function validateBadgeCode(raw: string): FieldError {
  if (normalizeCode(raw).length === 0) return 'field.required';
  return isBadgeCode(raw) ? null : 'field.badge_invalid';
}

export function validatePin(raw: string): FieldError {
  if (raw.length === 0) return 'field.required';
  return /^[0-9]{4,12}$/.test(raw) ? null : 'field.pin_invalid';
}

/** Splits a textarea into its non-empty trimmed lines. */
export function lines(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export function validateServerUrls(raw: string): FieldError {
  const urls = lines(raw);
  if (urls.length === 0) return 'field.required';
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      return 'field.urls_invalid';
    }
    if (parsed.protocol !== 'https:' || parsed.hostname === '' || parsed.username || parsed.password) {
      return 'field.urls_invalid';
    }
  }
  return null;
}

const PIN = /^sha256\/[A-Za-z0-9+/]{43}=$/;

export function validatePins(raw: string): FieldError {
  const pins = lines(raw);
  if (pins.length === 0) return 'field.required';
  return pins.every((p) => PIN.test(p)) ? null : 'field.pins_invalid';
}

export function validateEnrollmentCode(raw: string): FieldError {
  if (normalizeCode(raw).length === 0) return 'field.required';
  return isEnrollmentCode(raw) ? null : 'field.code_invalid';
}

/**
 * An invitation's code (10 letters and digits) or a visitor pass's (16), any case, spaces and
 * dashes allowed.
 */
export function validateInviteCode(raw: string): FieldError {
  if (normalizeCode(raw).length === 0) return 'field.required';
  return isInviteCode(raw) || isPassCode(raw) ? null : 'field.invite_invalid';
}

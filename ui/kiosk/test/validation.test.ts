import { describe, expect, it } from 'vitest';
import {
  lines,
  validateBadgeCode,
  validateCompany,
  validateEmail,
  validateEnrollmentCode,
  validateName,
  validatePhone,
  validatePin,
  validatePins,
  validatePurpose,
  validateServerUrls,
} from '../src/lib/validation';

const PIN_OK = 'sha256/' + 'A'.repeat(43) + '=';

describe('validateName', () => {
  it('accepts 1..100 characters after trimming', () => {
    expect(validateName('Ada Lovelace')).toBeNull();
    expect(validateName('  A  ')).toBeNull();
    expect(validateName('x'.repeat(100))).toBeNull();
    expect(validateName('é'.repeat(100))).toBeNull();
  });
  it('rejects empty, blank, too long and control characters', () => {
    expect(validateName('')).toBe('field.required');
    expect(validateName('    ')).toBe('field.required');
    expect(validateName('x'.repeat(101))).toBe('field.too_long_100');
    expect(validateName('Ada\u0000')).toBe('field.invalid_chars');
  });
});

describe('validateEmail', () => {
  it('accepts sane addresses', () => {
    expect(validateEmail('x@y.z')).toBeNull();
    expect(validateEmail('ada.lovelace+visit@example.co.uk')).toBeNull();
    expect(validateEmail(' ada@example.com ')).toBeNull();
  });
  it('rejects missing, malformed and overlong addresses', () => {
    expect(validateEmail('')).toBe('field.required');
    expect(validateEmail('   ')).toBe('field.required');
    for (const bad of ['ada', 'ada@', '@example.com', 'ada@example', 'ada@@example.com', 'a da@example.com', 'ada@example..com', 'ada@.com']) {
      expect(validateEmail(bad), bad).toBe('field.email_invalid');
    }
    expect(validateEmail('a'.repeat(65) + '@example.com')).toBe('field.email_invalid');
    expect(validateEmail('a@' + 'b'.repeat(250) + '.com')).toBe('field.email_invalid');
  });
});

describe('validateCompany', () => {
  it('is optional, at most 100 characters', () => {
    expect(validateCompany('')).toBeNull();
    expect(validateCompany('   ')).toBeNull();
    expect(validateCompany('ACME')).toBeNull();
    expect(validateCompany('c'.repeat(100))).toBeNull();
    expect(validateCompany('c'.repeat(101))).toBe('field.too_long_100');
  });
});

describe('validatePhone', () => {
  it('is optional; digits, spaces and +().- from 6 to 32 characters', () => {
    expect(validatePhone('')).toBeNull();
    expect(validatePhone('+33 (0)1 23-45.67')).toBeNull();
    expect(validatePhone('123456')).toBeNull();
    expect(validatePhone('1'.repeat(32))).toBeNull();
  });
  it('rejects letters, too short, too long, no digit', () => {
    expect(validatePhone('12345')).toBe('field.phone_invalid');
    expect(validatePhone('1'.repeat(33))).toBe('field.phone_invalid');
    expect(validatePhone('call me')).toBe('field.phone_invalid');
    expect(validatePhone('++++++')).toBe('field.phone_invalid');
  });
});

describe('validatePurpose', () => {
  it('is optional, at most 200 characters', () => {
    expect(validatePurpose('')).toBeNull();
    expect(validatePurpose('Meeting')).toBeNull();
    expect(validatePurpose('p'.repeat(200))).toBeNull();
    expect(validatePurpose('p'.repeat(201))).toBe('field.too_long_200');
  });
});

describe('badge codes', () => {
  it('accepts 8 letters/digits in any case and spacing', () => {
    expect(validateBadgeCode('ABCD2345')).toBeNull();
    expect(validateBadgeCode('abcd 2345')).toBeNull();
  });
  it('rejects wrong lengths and characters', () => {
    expect(validateBadgeCode('')).toBe('field.required');
    expect(validateBadgeCode('ABC2345')).toBe('field.badge_invalid');
    expect(validateBadgeCode('ABCD23456')).toBe('field.badge_invalid');
    expect(validateBadgeCode('ABCD_345')).toBe('field.badge_invalid');
    expect(validateBadgeCode('ABCD0123')).toBe('field.badge_invalid');
    expect(validateBadgeCode(' - ')).toBe('field.required');
  });
});

describe('validatePin', () => {
  it('accepts 4 to 12 digits', () => {
    expect(validatePin('1234')).toBeNull();
    expect(validatePin('123456789012')).toBeNull();
  });
  it('rejects others', () => {
    expect(validatePin('')).toBe('field.required');
    expect(validatePin('123')).toBe('field.pin_invalid');
    expect(validatePin('1234567890123')).toBe('field.pin_invalid');
    expect(validatePin('12a4')).toBe('field.pin_invalid');
    expect(validatePin(' 1234')).toBe('field.pin_invalid');
  });
});

describe('setup', () => {
  it('splits lines, dropping blanks', () => {
    expect(lines(' a \n\n b\r\n')).toEqual(['a', 'b']);
  });
  it('accepts https URLs, one per line', () => {
    expect(validateServerUrls('https://vestibule.example.com')).toBeNull();
    expect(validateServerUrls('https://a.example:8443\nhttps://127.0.0.1:8443/')).toBeNull();
  });
  it('rejects empty, non-https or malformed URLs', () => {
    expect(validateServerUrls('')).toBe('field.required');
    expect(validateServerUrls('http://a.example')).toBe('field.urls_invalid');
    expect(validateServerUrls('https://a.example\nnot a url')).toBe('field.urls_invalid');
    expect(validateServerUrls('https://user:pw@a.example')).toBe('field.urls_invalid');
  });
  it('accepts sha256/<44 base64> pins', () => {
    expect(validatePins(PIN_OK)).toBeNull();
    expect(validatePins(`${PIN_OK}\nsha256/${'b+/9'.repeat(10)}abc=`)).toBeNull();
  });
  it('rejects other pins', () => {
    expect(validatePins('')).toBe('field.required');
    expect(validatePins('sha1/' + 'A'.repeat(43) + '=')).toBe('field.pins_invalid');
    expect(validatePins('sha256/' + 'A'.repeat(42) + '=')).toBe('field.pins_invalid');
    expect(validatePins('sha256/' + 'A'.repeat(44))).toBe('field.pins_invalid');
  });
  it('accepts a 16-character enrollment code, grouped or not', () => {
    expect(validateEnrollmentCode('ABCD-EFGH-JKMN-PQRS')).toBeNull();
    expect(validateEnrollmentCode('abcdefghjkmnpqrs')).toBeNull();
  });
  it('rejects other codes', () => {
    expect(validateEnrollmentCode('')).toBe('field.required');
    expect(validateEnrollmentCode('ABCD-EFGH-JKMN')).toBe('field.code_invalid');
    expect(validateEnrollmentCode('ABCD-EFGH-JKMN-PQRS-T')).toBe('field.code_invalid');
  });
});

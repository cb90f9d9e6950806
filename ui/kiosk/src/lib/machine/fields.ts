// Maps server and Rust field paths onto the inline-error slots of each form.

import type { Field } from './state';

/** Maps a server/Rust field path onto an inline-error slot of the check-in form. */
export function checkInField(path: string): Field | null {
  const leaf = path.replace(/^visitor[._]/, '').replace(/^\//, '');
  const question = /^question:(.+)$/.exec(leaf);
  if (question) return `question-${question[1]}`;
  switch (leaf) {
    case 'name':
    case 'visitor_name':
    case 'visitorName':
      return 'name';
    case 'email':
      return 'email';
    case 'company':
      return 'company';
    case 'phone':
      return 'phone';
    case 'host':
    case 'host_id':
    case 'hostId':
      return 'host';
    case 'purpose':
      return 'purpose';
    case 'signature':
      return 'signature';
    case 'photo':
      return 'photo';
    case 'answers':
      return 'answers';
    default:
      return null;
  }
}

export function setupField(path: string): Field | null {
  if (/url/i.test(path)) return 'urls';
  if (/pin/i.test(path)) return 'pins';
  if (/code/i.test(path)) return 'code';
  return null;
}

export function loginField(path: string): Field | null {
  if (/email/i.test(path)) return 'override-email';
  if (/pin/i.test(path)) return 'override-pin';
  return null;
}

export function correctField(path: string): Field | null {
  if (/company/i.test(path)) return 'correct-company';
  if (/name/i.test(path)) return 'correct-name';
  if (/purpose/i.test(path)) return 'correct-purpose';
  return null;
}

export function orNull(s: string): string | null {
  const v = s.trim();
  return v.length === 0 ? null : v;
}

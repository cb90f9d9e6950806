// The tenant's logo for badges, as the console sends it: a PNG or SVG file of at most 256 KiB,
// read in the browser as standard base64 (the server decodes it and checks it is an image).
import type { MessageKey } from './i18n';
import type { LogoUpload } from './types';

/** The largest logo the server takes, in bytes. */
export const LOGO_MAX_BYTES = 256 * 1024;

/** The logo's content type, from the file's type or else its name; null when neither fits. */
export function logoType(file: { name: string; type: string }): LogoUpload['content_type'] | null {
  const type = file.type.toLowerCase();
  if (type === 'image/png' || type === 'image/svg+xml') return type;
  if (type) return null;
  const name = file.name.toLowerCase();
  return name.endsWith('.png') ? 'image/png' : name.endsWith('.svg') ? 'image/svg+xml' : null;
}

/** Why a file cannot be the logo, or its content type. */
export function checkLogo(file: { name: string; type: string; size: number }): { type: LogoUpload['content_type'] } | { problem: MessageKey } {
  const type = logoType(file);
  if (!type) return { problem: 'badge.logo_type' };
  if (file.size === 0 || file.size > LOGO_MAX_BYTES) return { problem: 'badge.logo_size' };
  return { type };
}

/** The base64 data of a `data:…;base64,…` URL ('' when it is not one). */
export function base64OfDataUrl(url: string): string {
  const m = /^data:[^,]*;base64,([A-Za-z0-9+/]*={0,2})$/.exec(url);
  return m ? m[1] : '';
}

/** Reads `file` as standard base64 (with FileReader, as a data URL). */
export function readBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(base64OfDataUrl(String(reader.result)));
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(file);
  });
}

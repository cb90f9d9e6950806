// The camera path's decoder on QR codes made here (by the same generator the badges use, not by
// the server): straight, turned a quarter and at 30 degrees, in low contrast, and a QR code that
// holds something else.
import { describe, expect, it } from 'vitest';
import qrcode from 'qrcode-generator';
import { decodeInviteCode, type Pixels } from '../src/lib/scan';

/** The QR code of `text` as RGBA pixels: `scale` pixels a module, a 4-module quiet zone. */
function render(text: string, dark = 0, light = 255, scale = 6): Pixels {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const side = (n + 8) * scale;
  const data = new Uint8ClampedArray(side * side * 4);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const r = Math.floor(y / scale) - 4;
      const c = Math.floor(x / scale) - 4;
      const on = r >= 0 && c >= 0 && r < n && c < n && qr.isDark(r, c);
      const v = on ? dark : light;
      data.set([v, v, v, 255], (y * side + x) * 4);
    }
  }
  return { data, width: side, height: side };
}

/** `img` turned by `degrees` about its centre, on a larger canvas of `light` (nearest pixel). */
function rotate(img: Pixels, degrees: number, light = 255): Pixels {
  const side = Math.ceil(img.width * 1.5);
  const data = new Uint8ClampedArray(side * side * 4).fill(light);
  const a = (degrees * Math.PI) / 180;
  const [cos, sin] = [Math.cos(a), Math.sin(a)];
  const [cx, cy, ix, iy] = [side / 2, side / 2, img.width / 2, img.height / 2];
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const sx = Math.round(cos * (x - cx) + sin * (y - cy) + ix);
      const sy = Math.round(-sin * (x - cx) + cos * (y - cy) + iy);
      const o = (y * side + x) * 4;
      if (sx >= 0 && sy >= 0 && sx < img.width && sy < img.height) {
        data.set(img.data.subarray((sy * img.width + sx) * 4, (sy * img.width + sx) * 4 + 4), o);
      } else {
        data[o + 3] = 255;
      }
    }
  }
  return { data, width: side, height: side };
}

describe('reading an invitation QR code from the camera', () => {
  it('reads a straight one, as the normalised code', () => {
    expect(decodeInviteCode(render('ABCDE-FGHJK'))).toBe('ABCDEFGHJK');
  });
  it('reads one turned a quarter and one at 30 degrees', () => {
    expect(decodeInviteCode(rotate(render('KMNPQ-RSTUV'), 90))).toBe('KMNPQRSTUV');
    expect(decodeInviteCode(rotate(render('KMNPQ-RSTUV'), 30))).toBe('KMNPQRSTUV');
  });
  it('reads one in low contrast', () => {
    expect(decodeInviteCode(render('WXYZ2-34567', 110, 160))).toBe('WXYZ234567');
  });
  it('ignores a QR code that holds something else, and an image without one', () => {
    expect(decodeInviteCode(render('https://example.com/'))).toBeNull();
    expect(decodeInviteCode({ data: new Uint8ClampedArray(64 * 64 * 4).fill(255), width: 64, height: 64 })).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { qrDataUrl, qrPath, qrSvg } from '../src/qr';

describe('qr', () => {
  it('renders a self-contained SVG without style attributes or scripts', () => {
    const svg = qrSvg('ABCD2345');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).not.toMatch(/style|script|href|http:\/\/(?!www\.w3\.org\/2000\/svg)/i);
    expect(svg).toMatch(/<path d="M/);
  });
  it('is a base64 data: URL', () => {
    const url = qrDataUrl('ABCD2345');
    expect(url.startsWith('data:image/svg+xml;base64,')).toBe(true);
    expect(atob(url.split(',')[1])).toBe(qrSvg('ABCD2345'));
  });
  it('gives the path alone for markup of its own', () => {
    const { size, d } = qrPath('ABCD2345');
    expect(size).toBeGreaterThan(21);
    expect(d).toMatch(/^M\d+ \d+h1v1h-1z/);
    expect(qrSvg('ABCD2345')).toContain(`d="${d}"`);
  });
});

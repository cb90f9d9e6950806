// The photo's size and encoding: at most 1024 pixels on its longest side, never enlarged, and
// the base64 of a `data:` URL without its prefix.
import { describe, expect, it } from 'vitest';
import { PHOTO_MAX_SIDE, dataUrlBase64, fitWithin } from '../src/lib/photo';

describe('photo', () => {
  it('fits a frame within the longest side, keeping its shape', () => {
    expect(fitWithin(1920, 1080, PHOTO_MAX_SIDE)).toEqual({ width: 1024, height: 576 });
    expect(fitWithin(720, 1280, PHOTO_MAX_SIDE)).toEqual({ width: 576, height: 1024 });
    expect(fitWithin(640, 480, PHOTO_MAX_SIDE)).toEqual({ width: 640, height: 480 });
    expect(fitWithin(4000, 1, PHOTO_MAX_SIDE)).toEqual({ width: 1024, height: 1 });
  });

  it('strips the data: prefix', () => {
    expect(dataUrlBase64('data:image/jpeg;base64,/9j/4AAQ')).toBe('/9j/4AAQ');
    expect(dataUrlBase64('data:,')).toBe('');
    expect(dataUrlBase64('nonsense')).toBe('');
  });
});

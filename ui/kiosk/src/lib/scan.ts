// Reading an invitation's QR code with the tablet's camera: frames of the camera's stream are
// drawn into a canvas and decoded by jsQR. The camera is asked for only while the code screen
// shows and released when it goes; frames stay in memory, like everything else on the kiosk.
import jsQR from 'jsqr';
import { isInviteCode, normalizeCode } from '@vestibule/common';

/** Pixels as a canvas gives them (RGBA, row by row). */
export interface Pixels {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** The invitation code in an image, if it shows the QR code of one; a dim or washed-out frame is
 * read again with its contrast stretched. */
export function decodeInviteCode(image: Pixels): string | null {
  for (const pixels of [image, stretched(image)]) {
    const found = jsQR(pixels.data, pixels.width, pixels.height, { inversionAttempts: 'attemptBoth' });
    if (found) {
      const code = normalizeCode(found.data);
      return isInviteCode(code) ? code : null;
    }
  }
  return null;
}

/** `image` in grey, its darkest pixel made black and its lightest white. */
function stretched(image: Pixels): Pixels {
  const grey = new Uint8ClampedArray(image.width * image.height);
  let [lo, hi] = [255, 0];
  for (let i = 0; i < grey.length; i++) {
    const o = i * 4;
    const v = (image.data[o] * 299 + image.data[o + 1] * 587 + image.data[o + 2] * 114) / 1000;
    grey[i] = v;
    lo = Math.min(lo, grey[i]);
    hi = Math.max(hi, grey[i]);
  }
  const scale = hi > lo ? 255 / (hi - lo) : 1;
  const data = new Uint8ClampedArray(image.data.length);
  for (let i = 0; i < grey.length; i++) {
    const v = (grey[i] - lo) * scale;
    data.set([v, v, v, 255], i * 4);
  }
  return { data, width: image.width, height: image.height };
}

/** How often a frame is decoded. */
const FRAME_MS = 150;

/** The camera while the code screen shows: `start` asks for it, `stop` releases it. */
export class CameraScanner {
  private stream: MediaStream | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  /** Starts reading frames into `video`; calls `found` once with the first code seen. False when there is no camera. */
  async start(video: HTMLVideoElement, found: (code: string) => void): Promise<boolean> {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user' }, audio: false });
    } catch {
      return false;
    }
    video.srcObject = this.stream;
    await video.play().catch(() => undefined);
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.timer = setInterval(() => {
      if (!ctx || video.videoWidth === 0) return;
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0);
      const code = decodeInviteCode(ctx.getImageData(0, 0, canvas.width, canvas.height));
      if (code) {
        this.stop();
        found(code);
      }
    }, FRAME_MS);
    return true;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
  }
}

// The visitor's photo: the camera's picture in a <video> while the photo screen shows, and the
// frame taken, drawn into a canvas and made a JPEG. The camera is asked for only on that screen
// and released when it goes; the frame stays in memory, like everything else on the kiosk.

/** The longest side of a photo, in pixels. */
export const PHOTO_MAX_SIDE = 1024;
/** The JPEG quality of a photo. */
export const PHOTO_QUALITY = 0.85;
/** How long the camera may take to start before the screen says it is not available. */
const START_MS = 10_000;

/** The size of a `width`×`height` frame made to fit within `max` pixels on its longest side. */
export function fitWithin(width: number, height: number, max: number): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The base64 of a `data:` URL (what follows its comma). */
export function dataUrlBase64(url: string): string {
  const comma = url.indexOf(',');
  return comma < 0 ? '' : url.slice(comma + 1);
}

/** The camera while the photo screen shows: `start` asks for it, `stop` releases it. */
export class PhotoCamera {
  private stream: MediaStream | null = null;
  /** Bumped by each start and stop: a camera that answers late is released at once. */
  private turn = 0;

  /** Shows the camera's picture in `video`; false when there is no camera (or it does not start in time). */
  async start(video: HTMLVideoElement): Promise<boolean> {
    this.stop();
    const turn = ++this.turn;
    const media = navigator.mediaDevices;
    if (!media?.getUserMedia) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), START_MS)));
    const asked = media.getUserMedia({ video: true, audio: false });
    let stream: MediaStream | null;
    try {
      stream = await Promise.race([asked, late]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
    if (!stream || turn !== this.turn) {
      // Too late, or the screen went meanwhile: release the camera whenever it answers.
      void (stream ? Promise.resolve(stream) : asked).then(release, () => undefined);
      return false;
    }
    this.stream = stream;
    video.srcObject = stream;
    await video.play().catch(() => undefined);
    return true;
  }

  /** The frame `video` shows, as a JPEG in base64 (no `data:` prefix); null before the first frame. */
  take(video: HTMLVideoElement): string | null {
    if (video.videoWidth === 0 || video.videoHeight === 0) return null;
    const { width, height } = fitWithin(video.videoWidth, video.videoHeight, PHOTO_MAX_SIDE);
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    ctx.drawImage(video, 0, 0, width, height);
    const jpeg = dataUrlBase64(canvas.toDataURL('image/jpeg', PHOTO_QUALITY));
    canvas.width = 0;
    canvas.height = 0;
    return jpeg.length > 0 ? jpeg : null;
  }

  /** Releases the camera (its light goes off). */
  stop(): void {
    this.turn++;
    if (this.stream) release(this.stream);
    this.stream = null;
  }
}

function release(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}

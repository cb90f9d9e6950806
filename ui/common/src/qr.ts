// A QR code as a self-contained SVG (one <path>, no style attributes), delivered as a data: URL so
// it can be shown with <img> under the kiosk's CSP (img-src 'self' data:), or as the path alone
// for a front end that draws the <svg> in its own markup.
import qrcode from 'qrcode-generator';

/** The QR code's dark modules as one SVG path, on a square of `size` units (margin included). */
export function qrPath(text: string, margin = 4): { size: number; d: string } {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) d += `M${c + margin} ${r + margin}h1v1h-1z`;
    }
  }
  return { size: n + margin * 2, d };
}

export function qrSvg(text: string, margin = 4): string {
  const { size, d } = qrPath(text, margin);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">` +
    `<rect width="${size}" height="${size}" fill="#fff"/><path d="${d}" fill="#000"/></svg>`
  );
}

export function qrDataUrl(text: string): string {
  const svg = qrSvg(text);
  // The SVG is pure ASCII, so btoa is safe.
  return `data:image/svg+xml;base64,${btoa(svg)}`;
}

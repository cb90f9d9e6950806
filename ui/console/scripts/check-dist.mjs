// Fails the build if dist/ would break the console's CSP (inline <script>/<style>, style
// attributes, anything from outside the bundle), and prints the gzip size of its JS and CSS.
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const html = readFileSync('dist/index.html', 'utf8');
const problems = [];
for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (!/\bsrc=/.test(m[1]) || m[2].trim() !== '') problems.push('inline <script> in index.html');
}
if (/<style\b/i.test(html)) problems.push('inline <style> in index.html');
if (/\sstyle\s*=/i.test(html)) problems.push('style attribute in index.html');
if (/\s(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html)) problems.push('external resource in index.html');
let js = 0;
let css = 0;
for (const f of readdirSync('dist/assets')) {
  const body = readFileSync(`dist/assets/${f}`);
  const gz = gzipSync(body, { level: 9 }).length;
  if (f.endsWith('.js')) js += gz;
  if (f.endsWith('.css')) {
    css += gz;
    if (/@import|url\(\s*["']?(https?:)?\/\//i.test(body.toString())) problems.push(`external resource in ${f}`);
  }
}
if (problems.length) {
  console.error(`dist/ check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log(`dist/ check: no inline script or style, nothing external; gzip JS ${(js / 1024).toFixed(1)} KiB, CSS ${(css / 1024).toFixed(1)} KiB`);

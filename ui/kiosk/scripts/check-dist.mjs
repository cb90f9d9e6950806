// Fails the build if dist/ would break the kiosk's CSP: inline <script>/<style>, style attributes,
// or anything loaded from outside the bundle.
import { readFileSync, readdirSync } from 'node:fs';

const html = readFileSync('dist/index.html', 'utf8');
const problems = [];
for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (!/\bsrc=/.test(m[1]) || m[2].trim() !== '') problems.push('inline <script> in index.html');
}
if (/<style\b/i.test(html)) problems.push('inline <style> in index.html');
if (/\sstyle\s*=/i.test(html)) problems.push('style attribute in index.html');
if (/\s(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html)) problems.push('external resource in index.html');
for (const f of readdirSync('dist/assets')) {
  if (!f.endsWith('.css')) continue;
  const css = readFileSync(`dist/assets/${f}`, 'utf8');
  if (/@import|url\(\s*["']?(https?:)?\/\//i.test(css)) problems.push(`external resource in ${f}`);
}
if (problems.length) {
  console.error(`dist/ check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('dist/ check: no inline script or style, nothing external');

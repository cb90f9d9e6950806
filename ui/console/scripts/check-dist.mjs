// Fails the build if dist/ would break the console's CSP (inline <script>/<style>, style
// attributes in index.html or in the markup Svelte builds with innerHTML, {@html}, eval,
// anything from outside the bundle), and prints the gzip size of its JS and CSS: what the first
// screen loads (index.html's own files) and everything (with the lazily loaded chart).
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const problems = [];

const html = readFileSync('dist/index.html', 'utf8');
for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (!/\bsrc=/.test(m[1]) || m[2].trim() !== '') problems.push('inline <script> in index.html');
}
if (/<style\b/i.test(html)) problems.push('inline <style> in index.html');
if (/\sstyle\s*=/i.test(html)) problems.push('style attribute in index.html');
if (/\son[a-z]+\s*=/i.test(html)) problems.push('inline event handler in index.html');
if (/\s(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html)) problems.push('external resource in index.html');

// The sources: no style attribute or directive, no {@html} (the CSP would block the first;
// the second could run a visitor's name as markup).
function svelteFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? svelteFiles(`${dir}/${e.name}`) : e.name.endsWith('.svelte') ? [`${dir}/${e.name}`] : [],
  );
}
for (const file of svelteFiles('src')) {
  const markup = readFileSync(file, 'utf8').replace(/<script\b[\s\S]*?<\/script>/g, '');
  if (/\sstyle(\s*=|:[a-z-]+)/i.test(markup)) problems.push(`style attribute or directive in ${file}`);
  if (/\{@html\b/.test(markup)) problems.push(`{@html} in ${file}`);
}

const sizes = { js: 0, css: 0 };
const first = { js: 0, css: 0 };
const firstFiles = new Set([...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]));
for (const f of readdirSync('dist/assets')) {
  const body = readFileSync(`dist/assets/${f}`);
  const text = body.toString();
  const gz = gzipSync(body, { level: 9 }).length;
  const kind = f.endsWith('.js') ? 'js' : f.endsWith('.css') ? 'css' : null;
  if (!kind) continue;
  sizes[kind] += gz;
  if (firstFiles.has(f)) first[kind] += gz;
  if (kind === 'css' && /@import|url\(\s*["']?(https?:)?\/\//i.test(text)) problems.push(`external resource in ${f}`);
  if (kind === 'js') {
    // Svelte's templates are template literals passed to its template function: `f(`<div ...>`)`.
    for (const m of text.matchAll(/\(`(<[^`]*)`/g)) {
      if (/<[a-z][^<>]*\sstyle\s*=/i.test(m[1])) problems.push(`style attribute in a template of ${f}: ${m[1].slice(0, 80)}`);
      if (/<script\b/i.test(m[1])) problems.push(`<script> in a template of ${f}`);
    }
    if (/\beval\(|\bnew Function\(/.test(text)) problems.push(`eval or new Function in ${f}`);
  }
}
if (problems.length) {
  console.error(`dist/ check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
const kib = (n) => (n / 1024).toFixed(1);
console.log(
  `dist/ check: no inline script or style, nothing external; gzip first screen JS ${kib(first.js)} KiB + CSS ${kib(first.css)} KiB` +
    ` = ${kib(first.js + first.css)} KiB; all JS ${kib(sizes.js)} KiB + CSS ${kib(sizes.css)} KiB = ${kib(sizes.js + sizes.css)} KiB`,
);

// Builds the widget into ../build/widget/: widget.js (socket.io-client, the CSS
// and our code in one minified file) and the demo practice page served at /widget/.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '..', 'build', 'widget');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: [path.join(here, 'src', 'widget.js')],
  outfile: path.join(out, 'widget.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  loader: { '.css': 'text' },
  legalComments: 'none',
  banner: { js: '/* Pulp care chat widget. Includes socket.io-client (MIT). */' },
  logLevel: 'warning',
});
for (const name of ['index.html', 'demo.css']) {
  await copyFile(path.join(here, 'demo', name), path.join(out, name));
}
console.log(`widget built in ${path.relative(process.cwd(), out) || out}`);

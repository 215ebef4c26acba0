// The build id the packages' tsup configs define as __COVET_BUILD_ID__: the package's version
// and a hash of its sources, so that anything cached under it (compiled migration plans) is
// never used by a different build, even between two builds of one version while developing.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

function sources(directory) {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [path] : [];
  });
}

export function buildId(packageDir = process.cwd()) {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const hash = createHash('sha256').update(`${manifest.name}@${manifest.version}`);
  for (const file of sources(join(packageDir, 'src')).sort()) {
    hash.update(`\0${relative(packageDir, file)}\0`).update(readFileSync(file));
  }
  return `${manifest.version}+${hash.digest('hex').slice(0, 16)}`;
}

/**
 * `npm run data`              — training/validation photos into data/photos/ (docs/data.md)
 * `npm run data -- --fixtures` — benchmark fixtures into fixtures/
 *
 * Sources are Debian packages fetched with `apt-get download` (pinned version + SHA-256,
 * see scripts/data-sources.ts) and unpacked with `dpkg -x` into data/cache/.
 * Photos are decoded with jpeg-js, box-downscaled 4x (4x4 mean, round half up, incomplete
 * border dropped) and written as binary PPM (P6). Idempotent: finished outputs whose
 * checksum matches the manifest are skipped. See docs/data.md.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { readImage } from '../src/image/index.ts';
import {
  DEBS,
  DOWNSCALE,
  TRAINING_DOWNSCALES,
  FIXTURES,
  PATCH,
  PHOTOS,
  PHOTO_OUTPUT_SHA256,
  VAL_EVERY,
  debFileName,
  type DebName,
  type DebSource,
  type FixtureSource,
  type PhotoSource,
} from './data-sources.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, 'data', 'cache');
const DEB_DIR = path.join(CACHE, 'debs');
const EXTRACT_DIR = path.join(CACHE, 'extract');
const PHOTO_DIR = path.join(ROOT, 'data', 'photos');
const FIXTURE_DIR = path.join(ROOT, 'fixtures');
const MANIFEST = path.join(PHOTO_DIR, 'manifest.json');

class FetchError extends Error {}

function fail(msg: string): never {
  throw new FetchError(msg);
}

export function sha256(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

function sha256File(file: string): string | null {
  if (!fs.existsSync(file)) return null;
  return sha256(fs.readFileSync(file));
}

function rel(p: string): string {
  return path.relative(ROOT, p) || '.';
}

/** Write atomically: temp file + rename, so an interrupted run never leaves a half file. */
function writeAtomic(file: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function lastLine(s: string): string {
  const lines = s.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('W:'));
  return lines[lines.length - 1] ?? '';
}

// ---------------------------------------------------------------------------------------------
// Debian packages

let aptUpdated = false;

function aptDownload(d: DebSource): { ok: boolean; err: string } {
  const r = spawnSync('apt-get', ['download', `${d.name}=${d.version}`], { cwd: DEB_DIR, encoding: 'utf8' });
  if (r.error) return { ok: false, err: r.error.message };
  return { ok: r.status === 0, err: lastLine(r.stderr ?? '') };
}

/** Returns the path of the verified .deb, downloading it into data/cache/debs/ if needed. */
function ensureDeb(name: DebName): string {
  const d: DebSource = DEBS[name];
  const file = path.join(DEB_DIR, debFileName(d));
  fs.mkdirSync(DEB_DIR, { recursive: true });
  const have = sha256File(file);
  if (have === d.sha256) return file;
  if (have !== null) {
    console.log(`  cached ${debFileName(d)} has wrong checksum, re-downloading`);
    fs.rmSync(file);
  }
  if (!hasCommand('apt-get')) {
    fail(`Debian package ${d.name}=${d.version} is needed but apt-get is not available; place ${debFileName(d)} in ${rel(DEB_DIR)}/`);
  }
  console.log(`  apt-get download ${d.name}=${d.version}`);
  let r = aptDownload(d);
  if (!r.ok && !aptUpdated && process.getuid?.() === 0) {
    console.log('  download failed; running apt-get update once and retrying');
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    aptUpdated = true;
    r = aptDownload(d);
  }
  if (!r.ok || !fs.existsSync(file)) {
    fail(`Debian package ${d.name}=${d.version} is not available via apt-get (${r.err || 'no .deb produced'}); try 'apt-get update' or place ${debFileName(d)} in ${rel(DEB_DIR)}/`);
  }
  const got = sha256File(file);
  if (got !== d.sha256) {
    fs.renameSync(file, `${file}.bad`);
    fail(`checksum mismatch for ${debFileName(d)}: expected sha256 ${d.sha256}, got ${got} (kept as ${rel(file)}.bad)`);
  }
  return file;
}

/** dpkg -x the verified .deb into data/cache/extract/<name>_<version>/; returns that folder. */
function ensureExtracted(name: DebName): string {
  const d: DebSource = DEBS[name];
  const dir = path.join(EXTRACT_DIR, `${d.name}_${d.version}`);
  const marker = path.join(dir, '.extracted-sha256');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === d.sha256) return dir;
  const deb = ensureDeb(name);
  if (!hasCommand('dpkg')) fail(`dpkg is not available; cannot extract ${path.basename(deb)}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  console.log(`  dpkg -x ${path.basename(deb)}`);
  const r = spawnSync('dpkg', ['-x', deb, dir], { encoding: 'utf8' });
  if (r.status !== 0) fail(`dpkg -x ${path.basename(deb)} failed: ${lastLine(r.stderr ?? '')}`);
  fs.writeFileSync(marker, `${d.sha256}\n`);
  return dir;
}

function sourceFile(name: DebName, p: string): string {
  const file = path.join(ensureExtracted(name), p);
  if (!fs.existsSync(file)) fail(`${p} not found in Debian package ${name}=${DEBS[name].version}`);
  return file;
}

// ---------------------------------------------------------------------------------------------
// Image helpers

export interface RGBImage {
  width: number;
  height: number;
  /** Interleaved RGB, row-major, 8 bits per sample. */
  data: Uint8Array;
}

/**
 * Box-downscale by `f`: each output pixel is the mean of an f×f block, rounded half up
 * (floor((sum + f²/2) / f²)). Rows/columns that do not fill a whole block are dropped.
 */
export function boxDownscale(img: RGBImage, f: number): RGBImage {
  const width = Math.floor(img.width / f);
  const height = Math.floor(img.height / f);
  const out = new Uint8Array(width * height * 3);
  const n = f * f;
  const half = n >> 1;
  const src = img.data;
  const rowStride = img.width * 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < f; dy++) {
        let i = (y * f + dy) * rowStride + x * f * 3;
        for (let dx = 0; dx < f; dx++, i += 3) {
          r += src[i];
          g += src[i + 1];
          b += src[i + 2];
        }
      }
      const o = (y * width + x) * 3;
      out[o] = Math.floor((r + half) / n);
      out[o + 1] = Math.floor((g + half) / n);
      out[o + 2] = Math.floor((b + half) / n);
    }
  }
  return { width, height, data: out };
}

export function encodePPM(img: RGBImage): Buffer {
  const header = Buffer.from(`P6\n${img.width} ${img.height}\n255\n`, 'ascii');
  return Buffer.concat([header, Buffer.from(img.data.buffer, img.data.byteOffset, img.width * img.height * 3)]);
}

function decodeJPEG(buf: Buffer, what: string): RGBImage {
  const im = jpeg.decode(buf, {
    useTArray: true,
    formatAsRGBA: false,
    maxResolutionInMP: 200,
    maxMemoryUsageInMB: 2048,
  });
  if (im.data.length !== im.width * im.height * 3) fail(`unexpected decoded size for ${what}`);
  return { width: im.width, height: im.height, data: im.data };
}

/**
 * The bytes of entry `name` of an EET container (Enlightenment's .edj files), which must be
 * stored uncompressed and unencrypted. EET v2 layout, big-endian: magic 0x1EE70F42, entry and
 * dictionary counts, then per entry offset, size, data size, name offset, name size, flags
 * (bit 0 compressed, bit 1 ciphered).
 */
function eetEntry(buf: Buffer, name: string, what: string): Buffer {
  if (buf.length < 12 || buf.readUInt32BE(0) !== 0x1ee70f42) fail(`${what} is not an EET file`);
  const count = buf.readInt32BE(4);
  for (let i = 0; i < count; i++) {
    const at = 12 + 24 * i;
    if (at + 24 > buf.length) break;
    const [offset, size, , nameOffset, nameSize, flags] = [0, 4, 8, 12, 16, 20].map((k) => buf.readInt32BE(at + k));
    if (buf.subarray(nameOffset, nameOffset + nameSize).toString('latin1').replace(/\0+$/, '') !== name) continue;
    if ((flags & 3) !== 0) fail(`${what}: entry ${name} is compressed or ciphered`);
    if (offset < 0 || offset + size > buf.length) fail(`${what}: entry ${name} lies outside the file`);
    return buf.subarray(offset, offset + size);
  }
  return fail(`${what} has no entry ${name}`);
}

/** A PNG photo as RGB: grey replicated, alpha dropped (the photos' alpha is opaque). */
function decodePhotoPNG(buf: Buffer): RGBImage {
  const im = readImage(new Uint8Array(buf));
  const data = new Uint8Array(im.width * im.height * 3);
  for (let i = 0; i < im.width * im.height; i++) {
    for (let c = 0; c < 3; c++) data[3 * i + c] = im.data[i * im.channels + (im.channels >= 3 ? c : 0)];
  }
  return { width: im.width, height: im.height, data };
}

/** Reads width, height, bit depth and colour type from a PNG's IHDR chunk. */
function pngHeader(buf: Buffer): { width: number; height: number; bitDepth: number; colourType: number } {
  const sig = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  if (buf.length < 33 || !buf.subarray(0, 8).equals(sig) || buf.toString('ascii', 12, 16) !== 'IHDR') {
    fail('not a PNG file');
  }
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20), bitDepth: buf[24], colourType: buf[25] };
}

// ---------------------------------------------------------------------------------------------
// Photos

type Split = 'train' | 'val';

interface ManifestEntry {
  file: string;
  split: Split;
  /** Box-downscale factor from the source photo. */
  downscale: number;
  width: number;
  height: number;
  sha256: string;
  bytes: number;
  source: {
    package: string;
    version: string;
    debSha256: string;
    path: string;
    sourceWidth: number;
    sourceHeight: number;
  };
  licence: string;
  copyright: string;
}

interface Manifest {
  description: string;
  downscale: number;
  patch: number;
  files: ManifestEntry[];
  /** Per output folder (train, val, train-x2, …). */
  summary: Record<string, { photos: number; megapixels: number; patches: number }>;
}

export function splitOf(indexInSortedList: number): Split {
  return indexInSortedList % VAL_EVERY === VAL_EVERY - 1 ? 'val' : 'train';
}

function loadManifest(): Map<string, ManifestEntry> {
  const m = new Map<string, ManifestEntry>();
  try {
    const j = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Manifest;
    for (const e of j.files) m.set(e.file, e);
  } catch {
    // no manifest yet, or unreadable: everything is regenerated
  }
  return m;
}

/** Output folder (relative to data/photos) of a split at a downscale factor. */
function photoFolder(split: Split, factor: number): string {
  return factor === DOWNSCALE ? split : `${split}-x${factor}`;
}

/** Writes a photo at DOWNSCALE and, for training photos, at each of TRAINING_DOWNSCALES; decodes the source only when an output is missing or stale. */
function processPhoto(p: PhotoSource, split: Split, old: Map<string, ManifestEntry>): ManifestEntry[] {
  const d: DebSource = DEBS[p.deb];
  const factors = split === 'train' ? [DOWNSCALE, ...TRAINING_DOWNSCALES] : [DOWNSCALE];
  const files = factors.map((f) => `${photoFolder(split, f)}/${p.id}.ppm`);
  const current = files.map((file) => {
    const e = old.get(file);
    return e && e.source.debSha256 === d.sha256 && e.source.path === p.path && sha256File(path.join(PHOTO_DIR, file)) === e.sha256 ? e : undefined;
  });
  if (current.every((e) => e !== undefined)) return current.map((e) => ({ ...e!, licence: p.licence, copyright: p.copyright }));
  const src = sourceFile(p.deb, p.path);
  const bytes = p.eetEntry ? eetEntry(fs.readFileSync(src), p.eetEntry, p.path) : fs.readFileSync(src);
  const full = /\.png$/i.test(p.path) ? decodePhotoPNG(bytes) : decodeJPEG(bytes, p.path);
  return factors.map((factor, k) => {
    const file = files[k];
    const small = boxDownscale(full, factor);
    const ppm = encodePPM(small);
    const sum = sha256(ppm);
    const pinned = PHOTO_OUTPUT_SHA256[p.id];
    if (factor === DOWNSCALE && pinned && pinned !== sum) {
      console.warn(`  warning: ${file} sha256 ${sum} differs from pinned ${pinned} (different jpeg-js version?)`);
    }
    fs.mkdirSync(path.dirname(path.join(PHOTO_DIR, file)), { recursive: true });
    writeAtomic(path.join(PHOTO_DIR, file), ppm);
    console.log(`  ${file}  ${full.width}x${full.height} -> ${small.width}x${small.height}`);
    return {
      file,
      split,
      downscale: factor,
      width: small.width,
      height: small.height,
      sha256: sum,
      bytes: ppm.length,
      source: {
        package: d.name,
        version: d.version,
        debSha256: d.sha256,
        path: p.path,
        sourceWidth: full.width,
        sourceHeight: full.height,
      },
      licence: p.licence,
      copyright: p.copyright,
    };
  });
}

function fetchPhotos(): void {
  console.log(`photos -> ${rel(PHOTO_DIR)}/`);
  const old = loadManifest();
  const ids = new Set(PHOTOS.map((p) => p.id));
  if (ids.size !== PHOTOS.length) fail('duplicate photo id in scripts/data-sources.ts');

  const entries: ManifestEntry[] = [];
  for (const batch of [...new Set(PHOTOS.map((p) => p.batch))].sort()) {
    const sorted = PHOTOS.filter((p) => p.batch === batch).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    sorted.forEach((p, i) => {
      const split = splitOf(i);
      entries.push(...processPhoto(p, split, old));
    });
  }

  // Remove stale outputs (e.g. from an older split rule) so the folders match the manifest.
  const wanted = new Set(entries.map((e) => e.file));
  const folders = [...new Set(entries.map((e) => path.dirname(e.file)))];
  for (const folder of folders) {
    const dir = path.join(PHOTO_DIR, folder);
    for (const f of fs.readdirSync(dir)) {
      if (f.endsWith('.ppm') && !wanted.has(`${folder}/${f}`)) {
        fs.rmSync(path.join(dir, f));
        console.log(`  removed stale ${folder}/${f}`);
      }
    }
  }

  const summary: Manifest['summary'] = {};
  for (const e of entries) {
    const s = (summary[path.dirname(e.file)] ??= { photos: 0, megapixels: 0, patches: 0 });
    s.photos++;
    s.megapixels += (e.width * e.height) / 1e6;
    s.patches += Math.floor(e.width / PATCH) * Math.floor(e.height / PATCH);
  }
  for (const s of Object.values(summary)) s.megapixels = Math.round(s.megapixels * 1000) / 1000;

  const manifest: Manifest = {
    description:
      `Photos from Debian packages, decoded with jpeg-js, box-downscaled ${DOWNSCALE}x ` +
      `(mean of each ${DOWNSCALE}x${DOWNSCALE} block, round half up, incomplete border dropped), ` +
      `8-bit binary PPM (P6); training photos also at ${TRAINING_DOWNSCALES.map((f) => `${f}x`).join(', ')} in train-x<f>/. ` +
      `Split: within each batch, photos sorted by file name, every ${VAL_EVERY}th to val. ` +
      `Patch counts are non-overlapping ${PATCH}x${PATCH} patches. Generated by scripts/fetch-data.ts.`,
    downscale: DOWNSCALE,
    patch: PATCH,
    files: entries,
    summary,
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  if (!fs.existsSync(MANIFEST) || fs.readFileSync(MANIFEST, 'utf8') !== text) writeAtomic(MANIFEST, text);

  for (const [folder, s] of Object.entries(summary)) {
    console.log(
      `${folder.padEnd(8)}: ${String(s.photos).padStart(2)} photos, ${s.megapixels.toFixed(2)} MP, ` +
        `${s.patches} patches of ${PATCH}x${PATCH}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Fixtures

function bunzip2(buf: Buffer, what: string): Buffer {
  if (!hasCommand('bzip2')) fail(`bzip2 is not available; needed to decompress ${what}`);
  const r = spawnSync('bzip2', ['-dc'], { input: buf, maxBuffer: 1 << 28 });
  if (r.status !== 0) fail(`bzip2 -dc failed on ${what}: ${lastLine(String(r.stderr ?? ''))}`);
  return r.stdout;
}

function buildFixture(f: FixtureSource): Buffer {
  const src = fs.readFileSync(sourceFile(f.deb, f.path));
  if (f.kind === 'png') {
    pngHeader(src); // fails unless it is a PNG
    return src;
  }
  if (f.kind === 'copy') {
    const h = pngHeader(src);
    if (h.bitDepth !== 8 || h.colourType !== 2) {
      fail(`${f.path} is not an 8-bit RGB PNG (bit depth ${h.bitDepth}, colour type ${h.colourType})`);
    }
    return src;
  }
  // scipy.misc.face(): bz2-compressed raw RGB, 1024 wide x 768 high.
  const raw = bunzip2(src, f.path);
  const width = 1024;
  const height = 768;
  if (raw.length !== width * height * 3) fail(`${f.path}: expected ${width * height * 3} raw bytes, got ${raw.length}`);
  return encodePPM({ width, height, data: raw });
}

function fetchFixtures(): void {
  console.log(`fixtures -> ${rel(FIXTURE_DIR)}/`);
  let unpinned = 0;
  for (const f of FIXTURES) {
    const out = path.join(FIXTURE_DIR, f.out);
    if (f.sha256 && sha256File(out) === f.sha256) {
      console.log(`  ${f.out}: up to date`);
      continue;
    }
    const data = buildFixture(f);
    const sum = sha256(data);
    if (!f.sha256) {
      unpinned++;
      console.warn(`  ${f.out}: not pinned; sha256 ${sum}`);
    } else if (sum !== f.sha256) {
      fail(`checksum mismatch for fixtures/${f.out}: expected sha256 ${f.sha256}, got ${sum}`);
    }
    writeAtomic(out, data);
    console.log(`  ${f.out}: written (${data.length} bytes) from ${f.deb}:/${f.path}`);
  }
  if (unpinned) console.warn(`${unpinned} fixture(s) without a pinned checksum in scripts/data-sources.ts`);
  console.log(`${FIXTURES.length} fixtures ok`);
}

// ---------------------------------------------------------------------------------------------

function main(argv: string[]): void {
  const known = new Set(['--fixtures', '--all', '--help', '-h']);
  for (const a of argv) if (!known.has(a)) fail(`unknown option ${a} (use --fixtures, --all or --help)`);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: npm run data [-- --fixtures | --all]\n  (default) training photos into data/photos/\n  --fixtures  benchmark images into fixtures/\n  --all       both');
    return;
  }
  const t0 = Date.now();
  const all = argv.includes('--all');
  if (all || !argv.includes('--fixtures')) fetchPhotos();
  if (all || argv.includes('--fixtures')) fetchFixtures();
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    if (e instanceof FetchError) {
      console.error(`fetch-data: error: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}

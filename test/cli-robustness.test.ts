// Odd inputs and odd surroundings, through the real binary as a user meets them: an endless
// input (/dev/zero, a pipe) fails at once in little memory; a reader that closes the pipe
// early (| head -1) ends the command quietly; an output that cannot be written is refused
// before the work; a cut or damaged file says so in plain words. Never a stack trace.

import { spawn } from 'node:child_process';
import { chmodSync, existsSync, openSync, closeSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImage } from '../src/image/index.ts';
import { saveTinyModel } from './helpers/tiny-model.ts';

const BIN = fileURLToPath(new URL('../cli/vdmzip.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
/** GNU time, for a child's peak memory; without it the memory checks are skipped. */
const GNU_TIME = '/usr/bin/time';
const HAVE_TIME = existsSync(GNU_TIME);
/** How long a run that should fail at once may take beyond the same command's start-up. */
const PROMPT_MS = 1000;
/** How long a run is let go on (beyond start-up) before it counts as one that does not stop. */
const GIVE_UP_MS = 8000;

type Run = { code: number | null; stdout: Buffer; stderr: string; ms: number; maxRssKb?: number; killed: boolean };

let dir: string;
let model: string;

const at = (name: string) => join(dir, name);

/**
 * Runs a shell command line in `dir`, where `$VDMZIP` is the binary; GNU time (when present)
 * measures vdmzip's peak memory. Killed, with its whole process group, after `deadlineMs`.
 */
function sh(line: string, options: { deadlineMs?: number; stdin?: 'zero'; closeStdout?: boolean; asNobody?: boolean } = {}): Promise<Run> {
  // Words of $VDMZIP are split, not parsed: paths with spaces would break it.
  const rssFile = join(dir, 'rss', `${Math.random().toString(36).slice(2)}`);
  const timed = HAVE_TIME ? `${GNU_TIME} -f %M -o ${rssFile} node ${BIN}` : `node ${BIN}`;
  return new Promise((resolve, reject) => {
    const stdinFd = options.stdin === 'zero' ? openSync('/dev/zero', 'r') : 'ignore';
    const started = performance.now();
    const child = spawn('/bin/bash', ['-c', line], {
      cwd: dir,
      detached: true,
      stdio: [stdinFd, 'pipe', 'pipe'],
      env: { ...process.env, VDMZIP: timed },
      ...(options.asNobody ? { uid: 65534, gid: 65534 } : {}),
    });
    if (typeof stdinFd === 'number') closeSync(stdinFd);
    // A reader that has gone before the command writes anything: every write meets EPIPE.
    if (options.closeStdout) child.stdout!.destroy();
    const stdout: Buffer[] = [];
    let stderr = '';
    let killed = false;
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      killed = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, options.deadlineMs ?? 60_000);
    child.on('error', reject);
    child.on('close', async (code) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      let maxRssKb: number | undefined;
      if (HAVE_TIME && existsSync(rssFile)) {
        const last = (await readFile(rssFile, 'utf8')).trim().split('\n').pop();
        maxRssKb = Number(last);
        await rm(rssFile, { force: true });
      }
      resolve({ code, stdout: Buffer.concat(stdout), stderr, ms, maxRssKb, killed });
    });
  });
}

/** The start-up of a vdmzip command that fails at once: the time and memory everything else is measured against. */
async function baseline(args = 'compress -c not-an-image.txt', asNobody = false): Promise<Run> {
  const runs = [await sh(`$VDMZIP ${args}`, { asNobody }), await sh(`$VDMZIP ${args}`, { asNobody })];
  for (const run of runs) expect(run.code, run.stderr).toBe(1);
  return { ...runs[0], ms: Math.max(runs[0].ms, runs[1].ms), maxRssKb: HAVE_TIME ? Math.max(runs[0].maxRssKb!, runs[1].maxRssKb!) : undefined };
}

function expectOneLine(run: Run, pattern: RegExp): void {
  expect(run.stderr).toMatch(/^vdmzip: [^\n]*\n$/);
  expect(run.stderr).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vdmzip-robustness-'));
  chmodSync(dir, 0o755); // the read-only-folder test runs as another user
  await mkdir(at('rss'), { mode: 0o777 });
  chmodSync(at('rss'), 0o777);
  model = at('model');
  saveTinyModel(model, 1);
  await writeFile(at('not-an-image.txt'), 'hello\n');
  const noise = Uint8Array.from({ length: 24 * 16 * 3 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 24) & 255);
  await writeFile(at('small.ppm'), writeImage({ width: 24, height: 16, channels: 3, data: noise }, 'pnm'));
  await writeFile(at('other.ppm'), writeImage({ width: 16, height: 8, channels: 3, data: noise.subarray(0, 16 * 8 * 3) }, 'pnm'));
  // A compressed file of this build, made by the CLI itself.
  const photoLike = Uint8Array.from({ length: 64 * 48 * 3 }, (_, i) => {
    const x = (i / 3) % 64;
    const y = Math.floor(i / 3 / 64);
    return (x * 3 + y * 2 + (i % 3) * 40 + ((Math.imul(i + 7, 2654435761) >>> 29) & 7)) & 255;
  });
  await writeFile(at('photo.ppm'), writeImage({ width: 64, height: 48, channels: 3, data: photoLike }, 'pnm'));
  const made = await sh('$VDMZIP compress --model model photo.ppm');
  expect(made.stderr).toBe('');
  expect(made.code).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('endless or oversized input fails at once, in bounded memory', () => {
  it('/dev/zero as a file, on standard input and through a pipe, for compress, decompress and info', async () => {
    const base = await baseline();
    const cases: Array<[string, { stdin?: 'zero' }, RegExp]> = [
      [`$VDMZIP compress --model model -c /dev/zero`, {}, /^vdmzip: \/dev\/zero: not a PNG or Netpbm \(PBM, PGM, PPM, PAM\) image\n$/],
      [`$VDMZIP compress --model model -c - `, { stdin: 'zero' }, /^vdmzip: <stdin>: not a PNG or Netpbm \(PBM, PGM, PPM, PAM\) image\n$/],
      [`cat /dev/zero | $VDMZIP compress --model model -c -`, {}, /^vdmzip: <stdin>: not a PNG or Netpbm \(PBM, PGM, PPM, PAM\) image\n$/],
      [`$VDMZIP decompress --model model -c /dev/zero`, {}, /^vdmzip: \/dev\/zero: not a \.vdmz file\n$/],
      [`cat /dev/zero | $VDMZIP decompress --model model -c -`, {}, /^vdmzip: <stdin>: not a \.vdmz file\n$/],
      [`$VDMZIP info /dev/zero`, {}, /^vdmzip: \/dev\/zero: not a \.vdmz file\n$/],
      // A header that promises a small image, then no end of data: read up to the bound, no further.
      [`(printf 'P6\\n100 100\\n255\\n'; cat /dev/zero) | $VDMZIP compress --model model -c -`, {}, /^vdmzip: <stdin>: input goes on past \d+ bytes, more than its header's 100×100 PPM image can take\n$/],
      [`(printf 'P4\\n100 100\\n'; cat /dev/zero) | $VDMZIP compress --model model -c -`, {}, /^vdmzip: <stdin>: input goes on past \d+ bytes, more than its header's 100×100 PBM image can take\n$/],
      [`(printf 'P7\\nWIDTH 100\\nHEIGHT 100\\nDEPTH 4\\nMAXVAL 255\\nENDHDR\\n'; cat /dev/zero) | $VDMZIP compress --model model -c -`, {}, /^vdmzip: <stdin>: input goes on past \d+ bytes, more than its header's 100×100 PAM image can take\n$/],
      [`(printf 'VDMZ\\006\\144\\144\\003\\010'; cat /dev/zero) | $VDMZIP decompress --model model -c -`, {}, /^vdmzip: <stdin>: input goes on past \d+ bytes, more than its header's 100×100 image can take\n$/],
      // A header that promises more than MAX_PIXELS: refused before anything more is read.
      [`(printf 'P5\\n70000 70000\\n255\\n'; cat /dev/zero) | $VDMZIP compress --model model -c -`, {}, /^vdmzip: <stdin>: PNM image is 70000×70000 pixels; vdmzip handles at most 268435456\n$/],
    ];
    for (const [line, options, message] of cases) {
      const run = await sh(line, { ...options, deadlineMs: base.ms + GIVE_UP_MS });
      expect(run.killed, line).toBe(false);
      expectOneLine(run, message);
      expect(run.code, line).toBe(1);
      expect(run.ms, line).toBeLessThan(base.ms + PROMPT_MS);
      // The bounded case reads at most twice the raw image plus 64 MiB of slack.
      if (HAVE_TIME) expect(run.maxRssKb!, line).toBeLessThan(base.maxRssKb! + 160 * 1024);
    }
  });
});

describe('a reader that closes the pipe early ends the command quietly', () => {
  it('info | head -1 exits 0 with nothing on stderr', async () => {
    const run = await sh(`$VDMZIP info photo.ppm.vdmz | head -1; exit \${PIPESTATUS[0]}`);
    expect(run.stdout.toString()).toMatch(/^file\s+photo\.ppm\.vdmz\n$/);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('info and eval into a pipe already closed: exit 0, nothing on stderr', async () => {
    await mkdir(at('images'));
    await copyFile(at('small.ppm'), at('images/a.ppm'));
    await copyFile(at('other.ppm'), at('images/b.ppm'));
    for (const line of ['$VDMZIP info photo.ppm.vdmz', '$VDMZIP eval --model model images']) {
      const run = await sh(line, { closeStdout: true });
      expect(run.stderr, line).toBe('');
      expect(run.code, line).toBe(0);
    }
  });

  it('binary output to a reader that has gone away ends quietly, exit 0, as gzip -dc | head does', async () => {
    const run = await sh('$VDMZIP decompress --model model -c photo.ppm.vdmz', { closeStdout: true });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('standard output that fails otherwise (a full disk) is one line, exit 1', async () => {
    const run = await sh('$VDMZIP info photo.ppm.vdmz > /dev/full');
    expectOneLine(run, /^vdmzip: <stdout>: cannot write: no space left on device\n$/);
    expect(run.code).toBe(1);
  });
});

describe('output problems are found before the work', () => {
  // Root writes to a read-only folder regardless of its mode, so as root the command runs as nobody.
  const asNobody = process.getuid?.() === 0;

  it('a folder that cannot be written is refused before encoding a large image starts', async () => {
    await mkdir(at('read-only'));
    await copyFile(join(FIXTURES, 'astronaut.png'), at('astronaut.png'));
    chmodSync(at('read-only'), 0o555);
    const base = await baseline('compress --model model -c missing.png', asNobody);
    const run = await sh('$VDMZIP compress --model model -o read-only/astronaut.png.vdmz astronaut.png', { asNobody, deadlineMs: base.ms + GIVE_UP_MS });
    expect(run.killed).toBe(false);
    expectOneLine(run, /^vdmzip: read-only\/astronaut\.png\.vdmz: cannot write: permission denied\n$/);
    expect(run.code).toBe(1);
    expect(run.ms).toBeLessThan(base.ms + PROMPT_MS);
    expect(existsSync(at('read-only/astronaut.png.vdmz'))).toBe(false);
  });

  it('an existing output is refused before the model loads', async () => {
    await writeFile(at('astronaut.png.vdmz'), 'precious');
    const base = await baseline('compress --model model -c missing.png');
    const run = await sh('$VDMZIP compress --model model astronaut.png', { deadlineMs: base.ms + GIVE_UP_MS });
    expectOneLine(run, /^vdmzip: astronaut\.png\.vdmz: output file already exists; use -f\/--force to overwrite it\n$/);
    expect(run.code).toBe(1);
    expect(run.ms).toBeLessThan(base.ms + PROMPT_MS);
    expect(await readFile(at('astronaut.png.vdmz'), 'utf8')).toBe('precious');
  });
});

describe('cut and damaged files say so in plain words', () => {
  // A predictor-only file (format 4) records no payload length: a cut inside its payload reads
  // as damage to the decoder, which says "damaged" or "damaged or cut short".
  it('a .vdmz file cut anywhere says it is cut short or damaged, never rANS jargon', async () => {
    const whole = await readFile(at('photo.ppm.vdmz'));
    const cuts = [whole.length - 1, whole.length - 2, Math.floor(whole.length * 0.75), Math.floor(whole.length / 2), 12, 6];
    for (const cut of cuts) await writeFile(at(`cut-${cut}.vdmz`), whole.subarray(0, cut));
    for (const cut of cuts) {
      const run = await sh(`$VDMZIP decompress --model model -c cut-${cut}.vdmz`);
      expectOneLine(run, new RegExp(`^vdmzip: cut-${cut}\\.vdmz: .*(cut short|ends inside|truncated|damaged)`));
      expect(run.stderr, String(cut)).not.toMatch(/rANS|tail|odd number/);
      expect(run.code).toBe(1);
    }
  });

  it('a damaged header or payload says damaged', async () => {
    const whole = await readFile(at('photo.ppm.vdmz'));
    const payload = Buffer.from(whole);
    payload[Math.floor(whole.length * 0.6)] ^= 0x5a;
    await writeFile(at('damaged.vdmz'), payload);
    const run = await sh('$VDMZIP decompress --model model -c damaged.vdmz');
    expectOneLine(run, /^vdmzip: damaged\.vdmz: .*damaged/);
    expect(run.code).toBe(1);
  });
});

describe('info refuses a header that does not check out', () => {
  it('a damaged header of a file with a header CRC (format 2): one line, exit 1, nothing on stdout', async () => {
    // Format 2's preamble (magic, version, body length), a body, and a CRC that is not the body's.
    const damaged = Buffer.from([...Buffer.from('VDMZ'), 2, 4, 0, 0, 0, 1, 2, 3, 4, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0]);
    await writeFile(at('damaged-header.vdmz'), damaged);
    const run = await sh('$VDMZIP info damaged-header.vdmz');
    expectOneLine(run, /^vdmzip: damaged-header\.vdmz: header fails its CRC check\n$/);
    expect(run.stdout.length).toBe(0);
    expect(run.code).toBe(1);
  });
});

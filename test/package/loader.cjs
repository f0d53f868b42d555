// Run by scripts/test-package.sh inside a fresh project that installed the packed tarball:
// `node loader.cjs`. When no binary fits, loading logitkit must fail with the documented message
// (platform, arch, libc, every place looked at, the command that builds from source), not with a
// stack from require. Each case starts a child node whose platform, C library or prebuilt file is
// faked before logitkit loads. Ends with "N passed, N failed".
'use strict';
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const pkgDir = path.dirname(require.resolve('logitkit/package.json'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logitkit-loader-'));
const BUILD = 'Build it from source with `npx logitkit build` (needs a C++17 compiler, make and python3; it uses this Node\'s own headers and downloads nothing).';
const source = path.join(pkgDir, 'build', 'Release', 'logitkit.node');
const prebuilt = (target) => path.join(pkgDir, 'prebuilds', target, 'logitkit.node');
const target = `linux-${process.arch}`;

/** Loads logitkit in a child node after `preload` ran; returns its stderr (it must fail). */
function loadError(preload, env = {}) {
  const file = path.join(tmp, `preload-${Math.random().toString(36).slice(2)}.cjs`);
  fs.writeFileSync(file, preload);
  const r = spawnSync(process.execPath, ['-r', file, '-e', "require('logitkit')"], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  assert.notEqual(r.status, 0, 'loading must fail');
  return r.stderr;
}

function message(system, ...tried) {
  return [`logitkit: cannot load its native addon on ${system}.`, '  LOGITKIT_ADDON: not set', ...tried.map((t) => `  ${t}`), BUILD].join('\n');
}

function expectMessage(stderr, expected) {
  assert.ok(stderr.includes(`Error: ${expected}\n`), `stderr:\n${stderr}\nexpected:\n${expected}`);
  assert.ok(!/MODULE_NOT_FOUND|Require stack/.test(stderr), 'no error of require itself');
}

const fakeReport = (header, sharedObjects) => `
  const real = process.report.getReport.bind(process.report);
  process.report.getReport = () => ({ ...real(), header: ${JSON.stringify(header)}, sharedObjects: ${JSON.stringify(sharedObjects)} });
`;

const cases = [
  ['a platform without a prebuilt binary (freebsd)', () => {
    const err = loadError(`Object.defineProperty(process, 'platform', { value: 'freebsd' });`);
    expectMessage(err, message(`freebsd-${process.arch}, libc unknown`,
      `${source} (source build): not found`,
      `${prebuilt(`freebsd-${process.arch}`)} (prebuilt, for glibc >= 2.28): not found (the package ships binaries for linux-x64 and linux-arm64 only)`));
  }],
  ['an architecture without a prebuilt binary (riscv64)', () => {
    const err = loadError(`Object.defineProperty(process, 'arch', { value: 'riscv64' });`);
    expectMessage(err, message(`linux-riscv64, glibc ${process.report.getReport().header.glibcVersionRuntime}`,
      `${source} (source build): not found`,
      `${prebuilt('linux-riscv64')} (prebuilt, for glibc >= 2.28): not found (the package ships binaries for linux-x64 and linux-arm64 only)`));
  }],
  ['musl (Alpine)', () => {
    const err = loadError(fakeReport({}, ['/lib/ld-musl-x86_64.so.1']));
    expectMessage(err, message(`${target}, musl`, `${source} (source build): not found`,
      `${prebuilt(target)} (prebuilt, for glibc >= 2.28): not usable with musl`));
  }],
  ['a glibc older than the floor', () => {
    const err = loadError(fakeReport({ glibcVersionRuntime: '2.17' }, []));
    expectMessage(err, message(`${target}, glibc 2.17`, `${source} (source build): not found`,
      `${prebuilt(target)} (prebuilt, for glibc >= 2.28): this system's glibc 2.17 is older`));
  }],
  ['a prebuilt binary that dlopen rejects: the loader\'s message with dlopen\'s inside', () => {
    const bad = path.join(tmp, 'bad.node');
    fs.writeFileSync(bad, 'not an ELF file');
    // require() of the prebuilt path is sent to the bad file, as a failing dlopen of it would be.
    const err = loadError(`
      const Module = require('module');
      const real = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        return request === ${JSON.stringify(prebuilt(target))} ? ${JSON.stringify(bad)} : real.call(this, request, ...rest);
      };`);
    const glibc = process.report.getReport().header.glibcVersionRuntime;
    expectMessage(err, message(`${target}, glibc ${glibc}`, `${source} (source build): not found`,
      `${prebuilt(target)} (prebuilt, for glibc >= 2.28): failed to load: ${bad}: file too short`));
  }],
  ['LOGITKIT_ADDON naming a missing file', () => {
    const err = loadError('', { LOGITKIT_ADDON: '/nonexistent/logitkit.node' });
    const glibc = process.report.getReport().header.glibcVersionRuntime;
    assert.ok(err.includes(`Error: logitkit: cannot load its native addon on ${target}, glibc ${glibc}.\n  LOGITKIT_ADDON=/nonexistent/logitkit.node: no such file\n${BUILD}\n`), err);
  }],
];

let passed = 0;
let failed = 0;
for (const [name, fn] of cases) {
  try {
    fn();
    passed++;
    console.log(`ok      ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAILED  ${name}: ${e && e.message}`);
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`loader errors: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;

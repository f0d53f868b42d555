import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

// Binary compatibility of the Linux addons, read from the files with binutils' readelf (which reads
// ELF files of every architecture): the symbol versions they need stay within what RHEL 8 / Debian
// 10 provide (the floor of the official Node 20/22 binaries), the dynamic symbol table exports only
// the Node-API entry points, and the addon is never unloaded (-z nodelete: its worker threads run
// its code until the process ends). Checked: the source build the tests load (build/Release), and
// every file listed in LOGITKIT_TEST_BINARIES (scripts/test-package.sh passes the tarball's two
// prebuilds).
const FLOORS: Record<string, number[]> = {
  GLIBC: [2, 28],
  GLIBCXX: [3, 4, 25],
  CXXABI: [1, 3, 11],
  GCC: [7, 0, 0],
};
const EXPORTS = ['napi_register_module_v1', 'node_api_module_get_api_version_v1'];

const root = path.resolve(__dirname, '..');
const listed = (process.env.LOGITKIT_TEST_BINARIES ?? '').split(',').filter(Boolean);
const files = [path.join(root, 'build', 'Release', 'logitkit.node'), ...listed];

function readelf(args: string[], file: string): string {
  return execFileSync('readelf', [...args, '-W', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

function above(version: string): boolean {
  const m = /^([A-Z]+)_([0-9.]+)$/.exec(version);
  if (!m || !FLOORS[m[1]]) return false;
  const v = m[2].split('.').map(Number);
  const f = FLOORS[m[1]];
  for (let i = 0; i < Math.max(v.length, f.length); i++) {
    const a = v[i] ?? 0;
    const b = f[i] ?? 0;
    if (a !== b) return a > b;
  }
  return false;
}

/** Undefined symbols with the version each needs, e.g. ['exp', 'GLIBC_2.29']. */
function neededSymbols(file: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of readelf(['--dyn-syms'], file).split('\n')) {
    const m = /\sUND\s+([^@\s]+)@+([A-Z]+_[0-9.]+)/.exec(line);
    if (m) out.push([m[1], m[2]]);
  }
  return out;
}

/** Version names of the version-needs section (every version the file asks of each library). */
function neededVersions(file: string): string[] {
  const text = readelf(['--version-info'], file);
  const start = text.indexOf(".gnu.version_r'");
  expect(start, `${file} has a version-needs section`).toBeGreaterThan(-1);
  return [...text.slice(start).matchAll(/Name: ([A-Z]+_[0-9.]+)/g)].map((m) => m[1]);
}

function exportedSymbols(file: string): string[] {
  const out: string[] = [];
  for (const line of readelf(['--dyn-syms'], file).split('\n')) {
    const f = line.trim().split(/\s+/);
    // Num: Value Size Type Bind Vis Ndx Name
    if (f.length >= 8 && /^\d+:$/.test(f[0]) && f[6] !== 'UND' && f[4] !== 'LOCAL') out.push(f[7]);
  }
  return out.sort();
}

describe('the Linux addon binaries load on glibc >= 2.28 and libstdc++ >= GLIBCXX_3.4.25', () => {
  it('every listed binary exists', () => {
    for (const f of files) expect(existsSync(f), f).toBe(true);
    // the tarball's two prebuilds: one per architecture
    if (listed.length) {
      const machines = listed.map((f) => readelf(['--file-header'], f).match(/Machine:\s+(.*)/)?.[1].trim()).sort();
      expect(machines).toEqual(['AArch64', 'Advanced Micro Devices X86-64']);
    }
  });

  for (const file of files) {
    const name = path.relative(root, file) || file;
    it(`${name}: no symbol version above the floor`, () => {
      const versions = neededVersions(file);
      expect(versions.some((v) => v.startsWith('GLIBC_')), 'reads glibc versions').toBe(true);
      const tooNew = neededSymbols(file)
        .filter(([, v]) => above(v))
        .map(([s, v]) => `${s}@${v}`);
      expect(tooNew).toEqual([]);
      expect(versions.filter(above)).toEqual([]);
    });

    it(`${name}: exports only the Node-API entry points, and is never unloaded`, () => {
      expect(exportedSymbols(file)).toEqual(EXPORTS);
      expect(readelf(['--dynamic'], file)).toMatch(/\(FLAGS_1\)\s+Flags:.*\bNODELETE\b/);
    });
  }

  it('the check itself fails on a version above the floor', () => {
    expect(above('GLIBC_2.29')).toBe(true);
    expect(above('GLIBC_2.28')).toBe(false);
    expect(above('GLIBC_2.2.5')).toBe(false);
    expect(above('GLIBCXX_3.4.30')).toBe(true);
    expect(above('GLIBCXX_3.4.25')).toBe(false);
    expect(above('CXXABI_1.3.13')).toBe(true);
    expect(above('GCC_3.0')).toBe(false);
  });
});

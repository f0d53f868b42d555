import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { runNode } from './helpers.js';

// The package loads as CommonJS and as an ES module, by its own name, with one shared state.
const root = path.resolve(__dirname, '..');
function node(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = runNode(args, { cwd: root, env, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')}: ${r.error ?? `exit ${r.status ?? r.signal}`}\n${r.stderr}`);
  return r.stdout.trim();
}

describe('package entry points', () => {
  it('require("logitkit") works and exposes the API', () => {
    const out = node(['-e', "const l = require('logitkit'); console.log(Object.keys(l).sort().join(','), l.softmax(new Float32Array([0, 0]))[1])"]);
    expect(out).toBe('argmax,argmaxAsync,binaryCrossEntropyWithLogits,binaryCrossEntropyWithLogitsAsync,crossEntropy,crossEntropyAsync,getNumThreads,info,logSigmoid,logSigmoidAsync,logSoftmax,logSoftmaxAsync,sample,sampleAsync,setNumThreads,sigmoid,sigmoidAsync,softmax,softmaxAsync,topK,topKAsync 0.5');
  });

  it('import from "logitkit" works and is the same implementation', () => {
    const out = node([
      '--input-type=module',
      '-e',
      "import * as l from 'logitkit'; import { createRequire } from 'node:module'; const c = createRequire(import.meta.url)('logitkit'); console.log(Object.keys(l).sort().join(','), l.softmax === c.softmax)",
    ]);
    expect(out).toBe('argmax,argmaxAsync,binaryCrossEntropyWithLogits,binaryCrossEntropyWithLogitsAsync,crossEntropy,crossEntropyAsync,getNumThreads,info,logSigmoid,logSigmoidAsync,logSoftmax,logSoftmaxAsync,sample,sampleAsync,setNumThreads,sigmoid,sigmoidAsync,softmax,softmaxAsync,topK,topKAsync true');
  });

  it('info() names the active path and the supported ones', () => {
    const i = JSON.parse(node(['-p', "JSON.stringify(require('logitkit').info())"]));
    expect(i.version).toBe(require('../package.json').version);
    expect(i.isas).toContain(i.isa);
    expect(i.isas[i.isas.length - 1]).toBe('scalar');
    if (process.env.LOGITKIT_ISA) expect(i.isa).toBe(process.env.LOGITKIT_ISA);
  });

  it('asking for an ISA the CPU lacks, or an unknown one, is an error at load, not a crash', () => {
    const loadError = (isa: string) => {
      const r = runNode(['-e', "require('logitkit')"], { cwd: root, env: { ...process.env, LOGITKIT_ISA: isa }, timeout: 120_000 });
      return r.status === 0 ? 'loaded' : r.stderr;
    };
    const supported = JSON.parse(node(['-p', "JSON.stringify(require('logitkit').info().isas)"])) as string[];
    const list = supported.join(', ');
    expect(loadError('mmx')).toContain(`logitkit: LOGITKIT_ISA=mmx is not a known instruction set (supported here: ${list})`);
    const lacking = ['avx512', 'avx2', 'neon'].find((i) => !supported.includes(i)) as string;
    expect(loadError(lacking)).toContain(`logitkit: LOGITKIT_ISA=${lacking} is not supported by this CPU (supported here: ${list})`);
  });

  it('info().binary names the file loaded', () => {
    const b = JSON.parse(node(['-p', "JSON.stringify(require('logitkit').info().binary)"]));
    if (process.env.LOGITKIT_ADDON) expect(b).toEqual({ kind: 'LOGITKIT_ADDON', path: path.resolve(process.env.LOGITKIT_ADDON) });
    else expect(b).toEqual({ kind: 'source build', path: path.join(root, 'build', 'Release', 'logitkit.node') });
  });

  // The loader's messages when the file it is told to load is missing or is no addon (the cases of
  // the prebuilt binaries are run on an installed tarball by scripts/test-package.sh).
  it('LOGITKIT_ADDON naming a missing file, or a file dlopen rejects, is the documented error', () => {
    const loadError = (addon: string) => {
      const r = runNode(['-e', "require('logitkit')"], { cwd: root, env: { ...process.env, LOGITKIT_ADDON: addon }, timeout: 120_000 });
      expect(r.status).not.toBe(0);
      expect(r.stderr).not.toMatch(/MODULE_NOT_FOUND|Require stack/);
      return r.stderr;
    };
    const system = `${process.platform}-${process.arch}, ${
      process.platform === 'linux' ? `glibc ${(process.report.getReport() as { header: { glibcVersionRuntime: string } }).header.glibcVersionRuntime}` : 'libc unknown'
    }`;
    const build =
      "Build it from source with `npx logitkit build` (needs a C++17 compiler, make and python3; it uses this Node's own headers and downloads nothing).";
    expect(loadError('/nonexistent/logitkit.node')).toContain(
      `Error: logitkit: cannot load its native addon on ${system}.\n  LOGITKIT_ADDON=/nonexistent/logitkit.node: no such file\n${build}\n`,
    );
    const dir = mkdtempSync(path.join(os.tmpdir(), 'logitkit-addon-'));
    try {
      const bad = path.join(dir, 'bad.node');
      writeFileSync(bad, 'not an ELF file');
      expect(loadError(bad)).toContain(
        `Error: logitkit: cannot load its native addon on ${system}.\n  LOGITKIT_ADDON=${bad}: failed to load: ${bad}: file too short\n${build}\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

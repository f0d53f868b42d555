// Builds the addon from source with node-gyp, against headers that are already on this machine:
// `npx logitkit build` in an installed package, `npm ci` in the repository (its prepare script), and
// scripts/prebuild.mjs (one staged copy per architecture) all come here.
//
// node-gyp downloads Node's headers unless it is told where they are, and this project must never
// download anything but npm packages. The headers of the running node live next to its binary
// (<prefix>/include/node); we pass that prefix as nodedir. node-gyp lets npm_config_* variables
// override its command-line flags, so the prefix goes in through the environment as well.
//
// The npm package has no binding.gyp at its root (npm would run node-gyp on every install if it
// had one); a build there writes the repository's two includes for its length and removes them.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const GYP_ENTRY = '{"includes": ["native/sources.gypi", "native/logitkit.gypi"]}\n';

export function findNodedir() {
  const candidates = [process.env.npm_config_nodedir, path.resolve(path.dirname(process.execPath), '..')].filter(Boolean);
  for (const dir of candidates) {
    if (existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
  }
  return null;
}

export function findNodeGyp() {
  // npm sets npm_config_node_gyp to its bundled node-gyp when it runs a lifecycle script.
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // npm's own copy, next to the npm that came with this node (no child process needed for it).
    const prefix = path.resolve(path.dirname(process.execPath), '..');
    for (const npmRoot of [path.join(prefix, 'lib', 'node_modules'), path.join(prefix, 'node_modules')]) {
      const bundled = path.join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
      if (existsSync(bundled)) return bundled;
    }
    const npmRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout?.trim() ?? '';
    const bundled = path.join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(bundled)) return bundled;
  }
  return null;
}

/**
 * `node-gyp rebuild` in `dir` (which holds native/ and package.json); the addon lands in
 * dir/build/Release/logitkit.node. `arch` and `env` serve cross builds (CC, CXX, ...). Returns the
 * exit status; with `log`, node-gyp's output goes to that file descriptor instead of the terminal.
 */
export function buildAddon({ dir, arch, env = {}, extraArgs = [], log } = {}) {
  const nodedir = findNodedir();
  if (!nodedir) {
    console.error(
      `logitkit: cannot find Node headers (include/node/node_api.h) next to ${process.execPath}. ` +
        "Install your distribution's Node development headers or set npm_config_nodedir.",
    );
    return 1;
  }
  const nodeGyp = findNodeGyp();
  if (!nodeGyp) {
    console.error('logitkit: cannot find node-gyp (it ships with npm).');
    return 1;
  }
  const gyp = path.join(dir, 'binding.gyp');
  const temporary = !existsSync(gyp);
  if (temporary) writeFileSync(gyp, GYP_ENTRY);
  try {
    const args = [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=max', ...(arch ? [`--arch=${arch}`] : []), ...extraArgs];
    const result = spawnSync(process.execPath, args, {
      cwd: dir,
      stdio: log === undefined ? 'inherit' : ['ignore', log, log],
      env: { ...process.env, npm_config_nodedir: nodedir, ...(arch ? { npm_config_arch: arch } : {}), ...env },
    });
    return result.status ?? 1;
  } finally {
    if (temporary) rmSync(gyp, { force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  process.exit(buildAddon({ dir: root, extraArgs: process.argv.slice(2) }));
}

// Builds the addon with node-gyp against headers that are already on this machine.
//
// node-gyp downloads Node's headers unless it is told where they are, and this project must never
// download anything but npm packages. The headers of the running node live next to its binary
// (<prefix>/include/node); we pass that prefix as nodedir. node-gyp lets npm_config_* variables
// override its command-line flags, so the prefix goes in through the environment as well.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

function findNodedir() {
  const candidates = [
    process.env.npm_config_nodedir,
    path.resolve(path.dirname(process.execPath), '..'),
  ].filter(Boolean);
  for (const dir of candidates) {
    if (existsSync(path.join(dir, 'include', 'node', 'node_api.h'))) return dir;
  }
  return null;
}

function findNodeGyp() {
  // npm sets npm_config_node_gyp to its bundled node-gyp when it runs a lifecycle script.
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return fromNpm;
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const npmRoot = spawnSync('npm', ['root', '-g'], { encoding: 'utf8' }).stdout.trim();
    const bundled = path.join(npmRoot, 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(bundled)) return bundled;
  }
  return null;
}

const nodedir = findNodedir();
if (!nodedir) {
  console.error(
    'logitkit: cannot find Node headers (include/node/node_api.h) next to ' + process.execPath +
      '. Install your distribution\'s Node development headers or set npm_config_nodedir.',
  );
  process.exit(1);
}
const nodeGyp = findNodeGyp();
if (!nodeGyp) {
  console.error('logitkit: cannot find node-gyp (it ships with npm).');
  process.exit(1);
}
const args = [nodeGyp, 'rebuild', `--nodedir=${nodedir}`, ...process.argv.slice(2)];
const result = spawnSync(process.execPath, args, {
  stdio: 'inherit',
  env: { ...process.env, npm_config_nodedir: nodedir },
});
process.exit(result.status ?? 1);

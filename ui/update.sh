#!/bin/sh
# Installs the exact versions pinned in package-lock.json and copies the editors' browser builds, with their
# licences, into kb/serve/static/vendor/ (ui/vendor.mjs). To upgrade: change a version in package.json,
# `npm install --package-lock-only --ignore-scripts`, run this, then `pytest tests/test_editors.py`.
set -eu
cd "$(dirname "$0")"
npm ci --ignore-scripts --no-audit --no-fund
node vendor.mjs

#!/bin/sh
# Install the link-checking benchmark's peers under benchmarks/.peers/ (git-ignored); idempotent.
#   LinkChecker: its own venv (pip install linkchecker)
#   linkinator:  npm install --prefix benchmarks/.peers/node linkinator
# The Scrapy CrawlSpider baseline needs nothing: it runs in the project's venv.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
peers="$here/.peers"
python=${PYTHON:-python3}
mkdir -p "$peers"
if [ ! -x "$peers/linkchecker/bin/linkchecker" ]; then
    "$python" -m venv "$peers/linkchecker"
    "$peers/linkchecker/bin/python" -m pip install --quiet --upgrade pip
    "$peers/linkchecker/bin/python" -m pip install --quiet linkchecker
fi
if [ ! -x "$peers/node/node_modules/.bin/linkinator" ]; then
    command -v npm >/dev/null || { echo "npm is needed for linkinator" >&2; exit 1; }
    npm install --silent --no-audit --no-fund --prefix "$peers/node" linkinator
fi
"$peers/linkchecker/bin/linkchecker" --version 2>/dev/null | grep -m1 LinkChecker || true
"$peers/node/node_modules/.bin/linkinator" --version | sed "s/^/linkinator /"

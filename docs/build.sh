#!/usr/bin/env sh
# Build the documentation site into docs/_build/html: nitpicky (-n: every cross-reference must
# resolve), warnings as errors (-W).
#
#   sh docs/build.sh            # installs the docs extra into the current environment, builds
#
# The build needs no network (no intersphinx; MathJax loads from its CDN only when a page is
# viewed). Every tutorial and the formulas page are executed during the build, so a notebook
# that no longer runs, or a docstring that no longer renders, fails it. A fresh build (-E) every
# time: cached pages or notebook outputs could hide a change in the code. Extra arguments go to
# sphinx-build.
set -eu
cd "$(dirname "$0")/.."
# COGC_DOCS_INSTALL=0 skips the install (CI installs first, then builds beside other jobs)
if [ "${COGC_DOCS_INSTALL:-1}" != 0 ]; then
    python -m pip install --quiet -e ".[docs]"
fi
COGC_DOCS_EXECUTE="${COGC_DOCS_EXECUTE:-force}" \
    python -m sphinx -E -n -W --keep-going -b html docs docs/_build/html "$@"
echo "docs: open docs/_build/html/index.html"

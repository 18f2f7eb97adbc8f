#!/usr/bin/env bash
# Refresh the vendored GOV.UK Frontend: the compiled CSS and JavaScript only, from the npm registry.
# The GDS Transport font and the crown/crest are for GOV.UK alone, so the font faces are dropped
# (the stylesheet then falls back to Arial, as its own font stack says) and nothing refers to the crest.
set -euo pipefail
version="${1:-6.6.0}"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "govuk-frontend@$version" >/dev/null && tar xzf govuk-frontend-*.tgz)
dist="$work/package/dist/govuk"
python3 - "$dist/govuk-frontend.min.css" "$here/govuk/govuk-frontend.min.css" <<'PY'
import re, sys
css = open(sys.argv[1], encoding="utf-8").read()
css = re.sub(r"@font-face\{[^}]*\}", "", css)
css = css.replace("GDS Transport,", "")
css = re.sub(r"[^{}]*\{[^{}]*govuk-crest[^{}]*\}", "", css)
css = css.replace("/*# sourceMappingURL=govuk-frontend.min.css.map */", "")
assert "GDS Transport" not in css and "crest" not in css and "/assets/" not in css
open(sys.argv[2], "w", encoding="utf-8").write(css)
PY
sed 's#//\# sourceMappingURL=.*##' "$dist/govuk-frontend.min.js" > "$here/govuk/govuk-frontend.min.js"
echo "$version" > "$here/govuk/VERSION"
echo "GOV.UK Frontend $version vendored into $here/govuk"

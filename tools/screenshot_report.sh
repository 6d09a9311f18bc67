#!/usr/bin/env bash
# Renders a `fooling report` page in headless Chromium (Debian: apt-get install chromium) and
# saves a screenshot, to check the page in a real browser:
#   tools/screenshot_report.sh runs/reproduce-mnist-quick/report.html report.png [HEIGHT]
set -euo pipefail
html=$(realpath "$1")
png=$2
height=${3:-4000}
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    echo "no Chromium found: apt-get install chromium" >&2
    exit 1
fi
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size=1200,"$height" --screenshot="$png" "file://$html" 2>/dev/null
test -s "$png"
echo "wrote $png"

#!/usr/bin/env bash
# Renders archived reports to PNG with headless Chromium, to look at them as a reader would:
#   scripts/screenshot-reports.sh out/lake/reports/period=2026-10 out/screenshots
# Needs: apt-get install chromium fonts-noto-cjk (Chinese text in the HTML uses the machine's fonts;
# the charts carry their own).
set -euo pipefail
archive=${1:?archive folder, e.g. out/lake/reports/period=2026-10}
out=${2:-out/screenshots}
mkdir -p "$out"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
for html in "$archive"/*/*.html; do
    locale=$(basename "$(dirname "$html")")
    name="$out/${locale}-$(basename "$html" .html).png"
    chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
        --disable-sync --no-first-run --disable-quic --user-data-dir="$profile" --hide-scrollbars \
        --window-size=700,${HEIGHT:-4000} --screenshot="$name" "file://$(realpath "$html")" 2>/dev/null
    echo "$name"
done

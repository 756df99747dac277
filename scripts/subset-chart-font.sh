#!/usr/bin/env bash
# Builds report_templates/chart-font.ttf: WenQuanYi Micro Hei (Apache-2.0, Debian fonts-wqy-microhei)
# cut down to the characters charts draw — printable ASCII, the [chart] labels of every locale and the
# indicator names — so charts render Chinese without depending on the fonts of the machine.
# Run it after changing chart labels or indicator names; a unit test fails until you do.
# Needs: apt-get install fonts-wqy-microhei; python3 -m pip install fonttools.
set -euo pipefail
cd "$(dirname "$0")/.."
source_font=${SOURCE_FONT:-/usr/share/fonts/truetype/wqy/wqy-microhei.ttc}
text=$(python3 - <<'PY'
import glob, re, tomllib
chars = {chr(c) for c in range(0x20, 0x7f)} | set("−–—…·%×±→←（）：，、。 ")
for path in glob.glob("report_templates/i18n/*.toml"):
    with open(path, "rb") as f:
        for value in tomllib.load(f).get("chart", {}).values():
            chars |= set(value)
for path in glob.glob("sql/kpi/*.sql"):
    for line in open(path, encoding="utf-8"):
        m = re.match(r"-- (name|name_zh): (.*)", line)
        if m:
            chars |= set(m.group(2).strip())
print("".join(sorted(chars)))
PY
)
pyftsubset "$source_font" --font-number=0 --text="$text" --output-file=report_templates/chart-font.ttf \
    --layout-features='' --no-hinting --desubroutinize --drop-tables+=GSUB,GPOS,kern
echo "report_templates/chart-font.ttf: $(wc -c < report_templates/chart-font.ttf) bytes, ${#text} characters"

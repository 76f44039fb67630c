#!/usr/bin/python3
"""Check one blame -j answer against what an expert names (issue 16's cases).

check_blame.py FILE VERDICT DECIDER [PATH]
  DECIDER  "FAMILY TABLE CHAIN|RULE TEXT" for a rule, "FAMILY TABLE CHAIN|" for a
           policy, "open:HOOK" when no chain at HOOK would drop it
  PATH     base chains in order (any order among equal priorities; "?" before a
           chain: it may be crossed or not, as the order of equal priorities says), "FAMILY TABLE CHAIN=VERDICT,..." (optional); a chain
           written "...CHAIN=VERDICT>NAT TO" also wants a NAT step translating to TO
The last entry of the answer is checked; its deciders must agree with the top level.
"""
import json
import sys


def main():
    doc = json.load(open(sys.argv[1]))
    want_verdict, decider = sys.argv[2], sys.argv[3]
    e = doc["blame"][-1]
    errs = []
    if e["verdict"] != want_verdict:
        errs.append(f"verdict {e['verdict']!r}, want {want_verdict!r}")
    ds = e.get("deciders", [])
    if decider.startswith("open:"):
        hook = decider[5:]
        if e["type"] != "open":
            errs.append(f"type {e['type']!r}, want open")
        if [d["hook"] for d in ds if d["type"] == "none"] != [hook]:
            errs.append(f"deciders {ds}, want none at {hook}")
    else:
        where, text = decider.split("|", 1)
        fam, table, chain = where.split()
        typ = "rule" if text else "policy"
        got = (e.get("type"), e.get("family"), e.get("table"), e.get("chain"))
        if got != (typ, fam, table, chain):
            errs.append(f"decider {got}, want {(typ, fam, table, chain)}")
        if text and e.get("rule") != text:
            errs.append(f"rule {e.get('rule')!r}, want {text!r}")
        if not any(d.get("chain") == chain and d.get("table") == table for d in ds):
            errs.append(f"deciders {ds} do not name {where}")
    if len(sys.argv) > 4 and sys.argv[4]:
        want = sys.argv[4].split(",")
        got = []
        for s in e["path"]:
            g = f"{s['family']} {s['table']} {s['chain']}={s.get('verdict')}"
            for r in s["rules"]:
                if r.get("nat"):
                    g += f">{r['nat']} {r.get('to', '?')}"
            got.append(g)
        # chains of one priority on one hook run in the order they were registered
        # "?CHAIN": crossed or not, by the order of equal priorities before a drop
        want = [w[1:] for w in want if w.startswith("?") and w[1:] in got] + [
            w for w in want if not w.startswith("?")]
        if sorted(got) != sorted(want):
            errs.append(f"path {got}, want {want} (in some order)")
        for a, b in zip(e["path"], e["path"][1:]):
            if a.get("hook") == b.get("hook") and a.get("priority", 0) > b.get("priority", 0):
                errs.append(f"path not in priority order: {got}")
        hooks = [s.get("hook") for s in e["path"]]
        if None in hooks:
            errs.append(f"path without hooks: {hooks}")
    if errs:
        print("; ".join(errs))
        print(json.dumps(e, indent=1))
        sys.exit(1)


main()

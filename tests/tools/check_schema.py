#!/usr/bin/python3
"""Validate JSON documents against the schemas in docs/schema.

    check_schema.py SCHEMA_DIR SCHEMA_FILE DOCUMENT...

A DOCUMENT named *.jsonl is one document per line.

Debian's python3-jsonschema (scripts/deps installs it).
"""
import json
import pathlib
import sys

import jsonschema


def main():
    schema_dir = pathlib.Path(sys.argv[1])
    store = {}
    for path in schema_dir.glob("*.schema.json"):
        s = json.loads(path.read_text())
        store[s["$id"]] = s
        store[path.name] = s
    schema = store[sys.argv[2]]
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    resolver = jsonschema.RefResolver(schema["$id"], schema, store=store)
    validator = cls(schema, resolver=resolver)
    bad = 0
    for doc in sys.argv[3:]:
        text = pathlib.Path(doc).read_text()
        # a .jsonl file holds one document per line
        docs = [json.loads(l) for l in text.splitlines() if l] if doc.endswith(".jsonl") \
            else [json.loads(text)]
        for n, d in enumerate(docs, 1):
            errors = list(validator.iter_errors(d))
            where = f"{doc}:{n}" if doc.endswith(".jsonl") else doc
            for e in errors[:5]:
                print(f"{where}: {'/'.join(map(str, e.absolute_path))}: {e.message}")
            bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

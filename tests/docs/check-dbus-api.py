#!/usr/bin/env python3
"""Compare docs/dbus-api.md with live introspection XML files given on the command line.

For each org.sipr.* interface: every method and signal appears as "Name(" in the interface's
section, every property has a table row "| `Name` | `type` |" with the live type, and every
property row in the section exists in the live interface. Exit 1 listing every difference."""
import re
import sys
import xml.etree.ElementTree as ET

doc_path, xml_paths = sys.argv[1], sys.argv[2:]
doc = open(doc_path, encoding='utf-8').read()

# A section starts at its "Interface <name>" line and ends at the next "---" rule.
sections = {}
for m in re.finditer(r'^Interface\s+(org\.sipr\.[A-Za-z0-9.]+)\s*$', doc, re.M):
    end = doc.find('\n---', m.end())
    sections[m.group(1)] = doc[m.end(): end if end >= 0 else len(doc)]

errors = []
seen = set()
for path in xml_paths:
    for iface in ET.parse(path).getroot().iter('interface'):
        name = iface.get('name')
        if not name.startswith('org.sipr.'):
            continue
        seen.add(name)
        text = sections.get(name)
        if text is None:
            errors.append(f'{name}: no section "Interface {name}" in {doc_path}')
            continue
        for kind in ('method', 'signal'):
            for member in iface.iter(kind):
                if not re.search(r'\b' + re.escape(member.get('name')) + r'\(', text):
                    errors.append(f'{name}: {kind} {member.get("name")} is not documented')
        live = {p.get('name'): p.get('type') for p in iface.iter('property')}
        rows = dict(re.findall(r'^\| `([A-Za-z0-9]+)` \| `([^`]+)` \|', text, re.M))
        for prop, sig in live.items():
            if prop not in rows:
                errors.append(f'{name}: property {prop} ({sig}) is not documented')
            elif rows[prop] != sig:
                errors.append(f'{name}: property {prop} is {sig}, documented as {rows[prop]}')
        for prop in rows:
            if prop not in live:
                errors.append(f'{name}: documented property {prop} does not exist')
for name in sections:
    if name not in seen:
        errors.append(f'{name}: documented, but no running service exports it')

for e in errors:
    print('FAIL:', e, file=sys.stderr)
sys.exit(1 if errors else 0)

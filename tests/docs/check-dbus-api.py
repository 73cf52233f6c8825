#!/usr/bin/env python3
"""Compare docs/dbus-api.md with live introspection XML files given on the command line.

  check-dbus-api.py [--policy DIR] DOC XML…

For each org.sipr.* interface: every method and signal appears as "Name(" in the interface's
section, every property has a table row "| `Name` | `type` |" with the live type, and every
property row in the section exists in the live interface. With --policy, the "Access control"
table lists, for each service, exactly the methods its policy file (dbus/system.d) denies to
everyone by default. Exit 1 listing every difference."""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

args = sys.argv[1:]
policy_dir = None
if args[:1] == ['--policy']:
    policy_dir, args = args[1], args[2:]
doc_path, xml_paths = args[0], args[1:]
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

if policy_dir:
    # | `org.sipr.Config1` | `Set`, `Reset`, `Reload`; `GetSecret` only root and `sipr` |
    access = doc[doc.find('## Access control'):]
    table = {}
    for service, cell in re.findall(r'^\| `(org\.sipr\.[A-Za-z0-9]+)` \| (.*) \|\s*$', access, re.M):
        table[service] = set(re.findall(r'`([A-Z][A-Za-z0-9]*)`', cell)) - {service}
    for conf in sorted(glob.glob(os.path.join(policy_dir, 'org.sipr.*.conf'))):
        service = os.path.basename(conf)[:-len('.conf')]
        denied = set()
        for policy in ET.parse(conf).getroot().iter('policy'):
            if policy.get('context') == 'default':
                for d in policy.iter('deny'):
                    if d.get('send_interface') == 'org.freedesktop.DBus.Properties':
                        # property writes (LogControl1) are said once for all services, below the table
                        if 'Set` of org.freedesktop.DBus.Properties' not in access:
                            errors.append(f'{service}: the policy denies writing properties; the Access control section does not say so')
                    elif d.get('send_member'):
                        denied.add(d.get('send_member'))
        documented = table.get(service, set())
        for m in sorted(denied - documented):
            errors.append(f'{service}: the policy denies {m} by default; the Access control table does not say so')
        for m in sorted(documented - denied):
            errors.append(f'{service}: the Access control table restricts {m}; the policy does not')

for e in errors:
    print('FAIL:', e, file=sys.stderr)
sys.exit(1 if errors else 0)

#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compare a sipr introspection XML file (dbus/org.sipr.*.xml) with what a live service exports.

    check-introspection.py FILE.xml BUS_NAME OBJECT_PATH
    check-introspection.py --live LIVE.xml FILE.xml      (compare two files; for self-tests)

Uses the system bus (busctl honours DBUS_SYSTEM_BUS_ADDRESS). Every interface of FILE.xml must be
on the object with exactly the same methods (argument types and directions, in order), signals
(argument types), properties (type, access, EmitsChangedSignal) and nothing more. Argument names
are compared too, but a difference there is only a warning (it is not part of the wire protocol).
Exit 0 when they match, 1 on a difference (each one printed), 2 on usage or bus errors.
"""
import subprocess
import sys
import xml.etree.ElementTree as ET

EMITS = 'org.freedesktop.DBus.Property.EmitsChangedSignal'


def emits(elem, default):
    for a in elem.findall('annotation'):
        if a.get('name') == EMITS:
            return a.get('value')
    return default


def members(iface):
    """interface element → dict of 'method X' / 'signal X' / 'property X' → description."""
    out = {}
    # D-Bus: a property without the annotation takes the interface's, and that defaults to true.
    iface_emits = emits(iface, 'true')
    for m in iface.findall('method'):
        args = [(a.get('direction', 'in'), a.get('type'), a.get('name')) for a in m.findall('arg')]
        out['method ' + m.get('name')] = args
    for s in iface.findall('signal'):
        args = [('out', a.get('type'), a.get('name')) for a in s.findall('arg')]
        out['signal ' + s.get('name')] = args
    for p in iface.findall('property'):
        out['property ' + p.get('name')] = (p.get('type'), p.get('access'), emits(p, iface_emits))
    return out


def fmt_args(args):
    return '(' + ', '.join('%s %s %s' % (d, t, n or '?') for d, t, n in args) + ')'


def compare_iface(name, want, have):
    problems, warnings = [], []
    w, h = members(want), members(have)
    for key in w:
        if key not in h:
            problems.append('%s: %s is missing on the live object' % (name, key))
            continue
        if key.startswith('property '):
            if w[key] != h[key]:
                problems.append('%s: %s: file says type/access/EmitsChangedSignal %s, live has %s'
                                % (name, key, '/'.join(w[key]), '/'.join(str(x) for x in h[key])))
            continue
        wa, ha = w[key], h[key]
        if [(d, t) for d, t, _ in wa] != [(d, t) for d, t, _ in ha]:
            problems.append('%s: %s: file says %s, live has %s' % (name, key, fmt_args(wa), fmt_args(ha)))
        elif [n for _, _, n in wa] != [n for _, _, n in ha]:
            warnings.append('%s: %s: argument names differ: file %s, live %s'
                            % (name, key, fmt_args(wa), fmt_args(ha)))
    for key in h:
        if key not in w:
            problems.append('%s: live object has %s, which the file does not document' % (name, key))
    return problems, warnings


def parse(text, what):
    try:
        return ET.fromstring(text)
    except ET.ParseError as e:
        print('%s: not valid XML: %s' % (what, e), file=sys.stderr)
        sys.exit(2)


def main(argv):
    if len(argv) == 4 and argv[1] == '--live':
        with open(argv[2]) as f:
            live = parse(f.read(), argv[2])
        where = argv[2]
        path = argv[3]
    elif len(argv) == 4:
        path, bus_name, obj = argv[1], argv[2], argv[3]
        where = '%s %s' % (bus_name, obj)
        try:
            r = subprocess.run(['busctl', '--system', '--xml-interface', 'introspect', bus_name, obj],
                               capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            print('cannot introspect %s: %s' % (where, e), file=sys.stderr)
            return 2
        if r.returncode != 0:
            print('cannot introspect %s: %s' % (where, r.stderr.strip()), file=sys.stderr)
            return 2
        live = parse(r.stdout, where)
    else:
        print(__doc__, file=sys.stderr)
        return 2

    with open(path) as f:
        want = parse(f.read(), path)
    live_ifaces = {i.get('name'): i for i in live.findall('interface')}
    problems, warnings = [], []
    checked = 0
    for iface in want.findall('interface'):
        name = iface.get('name')
        checked += 1
        if name not in live_ifaces:
            problems.append('%s: interface not exported at %s (it has: %s)'
                            % (name, where, ', '.join(sorted(live_ifaces)) or 'nothing'))
            continue
        p, w = compare_iface(name, iface, live_ifaces[name])
        problems += p
        warnings += w
    if checked == 0:
        problems.append('%s: no <interface> in the file' % path)
    for w in warnings:
        print('warning: ' + w)
    for p in problems:
        print('MISMATCH: ' + p)
    if problems:
        print('%s differs from %s: %d problem(s)' % (path, where, len(problems)))
        return 1
    print('%s matches %s' % (path, where))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

#!/usr/bin/python3
# A long-lived D-Bus client for the healthd tests: Watch()es the targets given on the command
# line, prints one object path per line (then "ready"), and keeps its bus connection (and so its
# watches) until it is killed.
#   watcher.py [--commands FIFO] "udp 127.0.0.1 5060 interval_ms=500 method=options" …
# With --commands, it then executes lines written to FIFO, printing "ok …" or "error NAME: …":
#   watch SPEC | unwatch PATH | report PATH EVENT | standby PATH 0|1 (SetStandby)
import os
import signal
import sys

import dbus

OPTION_TYPES = {"interval_ms": dbus.UInt32, "down_after": dbus.UInt32, "up_after": dbus.UInt32,
                "method": dbus.String, "standby": dbus.Boolean}


def watch(health, spec):
    words = spec.split()
    opts = dbus.Dictionary({}, signature="sv")
    for kv in words[3:]:
        k, v = kv.split("=", 1)
        if OPTION_TYPES[k] is dbus.UInt32:
            opts[k] = dbus.UInt32(int(v))
        elif OPTION_TYPES[k] is dbus.Boolean:
            opts[k] = dbus.Boolean(v in ("1", "true"))
        else:
            opts[k] = OPTION_TYPES[k](v)
    return health.Watch(words[0], words[1], dbus.UInt16(int(words[2])), opts)


def main():
    args = sys.argv[1:]
    fifo = None
    if args[:1] == ["--commands"]:
        fifo, args = args[1], args[2:]
    bus = dbus.SystemBus()
    health = dbus.Interface(bus.get_object("org.sipr.Health1", "/org/sipr/Health1"), "org.sipr.Health1")
    for spec in args:
        print(watch(health, spec), flush=True)
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    if not fifo:
        while True:
            signal.pause()
    while True:
        with open(fifo) as f:
            for line in f:
                cmd, _, rest = line.strip().partition(" ")
                try:
                    if cmd == "watch":
                        print("ok", watch(health, rest), flush=True)
                    elif cmd == "unwatch":
                        health.Unwatch(dbus.ObjectPath(rest))
                        print("ok", flush=True)
                    elif cmd == "standby":
                        path, flag = rest.split()
                        health.SetStandby(dbus.ObjectPath(path), dbus.Boolean(flag in ("1", "true")))
                        print("ok", flush=True)
                    elif cmd == "report":
                        path, event = rest.split()
                        health.Report(dbus.ObjectPath(path), event)
                        print("ok", flush=True)
                    else:
                        print("error unknown command", cmd, flush=True)
                except dbus.exceptions.DBusException as e:
                    print("error %s: %s" % (e.get_dbus_name(), e.get_dbus_message()), flush=True)


if __name__ == "__main__":
    main()

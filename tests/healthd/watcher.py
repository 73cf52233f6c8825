#!/usr/bin/python3
# A long-lived D-Bus client for the healthd tests: Watch()es the targets given on the command
# line, prints one object path per line (then "ready"), and keeps its bus connection (and so its
# watches) until it is killed or its stdin closes.
#   watcher.py "udp 127.0.0.1 5060 interval_ms=500 method=options" …
import signal
import sys

import dbus

OPTION_TYPES = {"interval_ms": dbus.UInt32, "down_after": dbus.UInt32, "up_after": dbus.UInt32,
                "method": dbus.String}


def main():
    bus = dbus.SystemBus()
    health = dbus.Interface(bus.get_object("org.sipr.Health1", "/org/sipr/Health1"), "org.sipr.Health1")
    for spec in sys.argv[1:]:
        words = spec.split()
        opts = dbus.Dictionary({}, signature="sv")
        for kv in words[3:]:
            k, v = kv.split("=", 1)
            opts[k] = OPTION_TYPES[k](int(v) if OPTION_TYPES[k] is dbus.UInt32 else v)
        path = health.Watch(words[0], words[1], dbus.UInt16(int(words[2])), opts)
        print(path, flush=True)
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    # Hold the connection until told to go.
    try:
        sys.stdin.read()
    except Exception:
        pass
    signal.pause()


if __name__ == "__main__":
    main()

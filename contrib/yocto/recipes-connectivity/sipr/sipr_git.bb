# SPDX-License-Identifier: LGPL-2.1-or-later
# An example recipe for a layer of your own (docs/packaging.md); not built by sipr's CI.
SUMMARY = "SIP registration with server redundancy"
DESCRIPTION = "Four small D-Bus daemons that keep a device's SIP accounts registered when a \
SIP server dies (failover, fallback, failback, health probes), and the siprctl client."
HOMEPAGE = "https://sipr.example.org"
SECTION = "net"
LICENSE = "LGPL-2.1-or-later"
# the license line of meson.build (the tree has no separate license file)
LIC_FILES_CHKSUM = "file://meson.build;beginline=3;endline=3;md5=aaef7d524fb1c205cdd062d81625aa03"

SRC_URI = "git://git.example.org/sipr.git;protocol=https;branch=main"
SRCREV = "${AUTOREV}"
PV = "0.1.0+git${SRCPV}"
S = "${WORKDIR}/git"

# sofia-sip with its GLib part (sofia-sip-ua-glib): meta-openembedded's recipe, or one of your own.
DEPENDS = "systemd glib-2.0 sofia-sip c-ares scdoc-native"
REQUIRED_DISTRO_FEATURES = "systemd"

inherit meson pkgconfig systemd useradd features_check

# Only what is installed: no tests, benchmarks or fuzz replays (they need a lab of real servers).
EXTRA_OEMESON = "-Dtests=false -Dnspawn_tests=disabled"

# The units: sipr.target pulls in the four services (WantedBy=sipr.target).
SYSTEMD_SERVICE:${PN} = "sipr.target sipr-configd.service sipr-resolverd.service \
                         sipr-healthd.service sipr-regd.service"
SYSTEMD_AUTO_ENABLE = "enable"

# The user the daemons run as and the admin group, made at rootfs time (a read-only rootfs has
# no systemd-sysusers at boot); the same as systemd/sipr.sysusers, which is installed too.
USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system sipr-admin"
USERADD_PARAM:${PN} = "--system --home-dir /var/lib/sipr --no-create-home --shell /sbin/nologin --user-group sipr"

FILES:${PN} += "${systemd_system_unitdir} ${nonarch_libdir}/sysusers.d ${nonarch_libdir}/tmpfiles.d \
                ${datadir}/dbus-1 ${datadir}/bash-completion"
RDEPENDS:${PN} += "dbus"

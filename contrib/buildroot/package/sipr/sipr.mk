################################################################################
#
# sipr (an example package for a BR2_EXTERNAL tree; docs/packaging.md)
#
################################################################################

SIPR_VERSION = 0.1.0
SIPR_SITE = https://git.example.org/sipr.git
SIPR_SITE_METHOD = git
SIPR_LICENSE = LGPL-2.1+
SIPR_DEPENDENCIES = host-pkgconf libglib2 c-ares sofia-sip systemd dbus
# Only what is installed: no tests, benchmarks or fuzz replays (they need a lab of real servers).
# Man pages are built when host-scdoc is there; without it they are left out.
SIPR_CONF_OPTS = -Dtests=false -Dnspawn_tests=disabled

# The daemons' user and the admin group (as systemd/sipr.sysusers, which is installed too).
define SIPR_USERS
	sipr -1 sipr -1 * /var/lib/sipr - - sipr SIP registration daemons
	- - sipr-admin -1 * - - - sipr administrators
endef

# Enabled at boot: sipr.target (WantedBy=multi-user.target) pulls in the four services.
define SIPR_INSTALL_INIT_SYSTEMD
	mkdir -p $(TARGET_DIR)/etc/systemd/system/multi-user.target.wants
	ln -sf ../../../../usr/lib/systemd/system/sipr.target \
		$(TARGET_DIR)/etc/systemd/system/multi-user.target.wants/sipr.target
endef

$(eval $(meson-package))

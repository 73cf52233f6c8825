/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The device MAC that picks <mac>.cfg: 12 lower-case hex digits, no separators. */

/* Accepts "001565AABBCC", "00:15:65:aa:bb:cc" or "00-15-65-aa-bb-cc"; ret gets 13 bytes. */
int mac_normalize(const char *s, char ret[static 13]);

/* The MAC of the first non-loopback interface by ifindex with a non-zero address; -ENXIO if none. */
int mac_detect(char ret[static 13]);

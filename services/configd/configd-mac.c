/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "configd-mac.h"
#include "macro.h"
#include "util.h"

int mac_normalize(const char *s, char ret[static 13]) {
        size_t n = 0;
        char sep = 0;

        if (!s)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (isxdigit((unsigned char) *p)) {
                        if (n >= 12)
                                return -EINVAL;
                        ret[n++] = (char) tolower((unsigned char) *p);
                        continue;
                }
                /* One separator style, only between octets. */
                if ((*p != ':' && *p != '-') || n == 0 || n % 2 != 0 || (sep && *p != sep))
                        return -EINVAL;
                sep = *p;
        }
        if (n != 12)
                return -EINVAL;
        ret[12] = 0;
        return 0;
}

static int read_sysfs(const char *ifname, const char *attr, char *buf, size_t size) {
        _cleanup_free_ char *path = NULL, *data = NULL;
        size_t len = 0;
        int r;

        if (asprintf(&path, "/sys/class/net/%s/%s", ifname, attr) < 0)
                return -ENOMEM;
        r = read_file_full(path, 4096, &data, &len);
        if (r < 0)
                return r;
        while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == ' '))
                data[--len] = 0;
        if (len + 1 > size)
                return -ENOBUFS;
        memcpy(buf, data, len + 1);
        return 0;
}

int mac_detect(char ret[static 13]) {
        struct if_nameindex *ifs = if_nameindex();
        unsigned best = 0;
        int r = -ENXIO;

        if (!ifs)
                return -errno;
        /* if_nameindex() is not guaranteed to be sorted: pick the smallest ifindex ourselves. */
        for (struct if_nameindex *i = ifs; i->if_index != 0; i++) {
                char type[16], addr[64], mac[13];

                if (best != 0 && i->if_index >= best)
                        continue;
                if (read_sysfs(i->if_name, "type", type, sizeof(type)) < 0 || streq(type, "772"))
                        continue; /* 772 = ARPHRD_LOOPBACK */
                if (read_sysfs(i->if_name, "address", addr, sizeof(addr)) < 0)
                        continue;
                if (mac_normalize(addr, mac) < 0 || streq(mac, "000000000000"))
                        continue;
                best = i->if_index;
                memcpy(ret, mac, 13);
                r = 0;
        }
        if_freenameindex(ifs);
        return r;
}

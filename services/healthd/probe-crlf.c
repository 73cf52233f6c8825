/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manager.h"
#include "probe.h"

void probe_crlf_start(Target *t) {
        manager_probe_done(t, TARGET_EVENT_ERROR, 0, "crlf not implemented yet");
}
void probe_crlf_cancel(Target *t) {
}
void probe_crlf_forget(Target *t) {
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What must survive a restart of regd so registrars update our binding instead of keeping a
 * stale second contact: the local SIP port (same Contact), per account a +sip.instance UUID, per
 * (account, server address) the Call-ID and last CSeq. Files in the state directory, mode 0600,
 * written with write_file_atomic(). */

#include <stdint.h>

typedef struct AccountPersist AccountPersist;

int persist_load_port(const char *dir, uint16_t *ret); /* -ENOENT when none saved */
int persist_save_port(const char *dir, uint16_t port);

int account_persist_load(const char *dir, unsigned index, AccountPersist **ret);
AccountPersist *account_persist_free(AccountPersist *p);
const char *account_persist_instance(const AccountPersist *p);
/* Call-ID and last CSeq for uri; a new Call-ID is made (and saved) the first time. After a
 * restart the CSeq returned may be up to 64 above the last one sent (a saved ceiling, so that
 * not every REGISTER costs a file write); the sequence only ever increases. */
int account_persist_binding(AccountPersist *p, const char *uri, const char **ret_call_id, uint32_t *ret_cseq);
/* -ENOENT when uri has no entry (never had one, or it was evicted as least recently used). */
int account_persist_set_cseq(AccountPersist *p, const char *uri, uint32_t cseq);
/* Like set_cseq, but puts the entry back (as most recently used) when it was evicted: a binding
 * in use keeps its Call-ID and CSeq across restarts whatever else came and went. */
int account_persist_keep(AccountPersist *p, const char *uri, const char *call_id, uint32_t cseq);

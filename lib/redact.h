/* redact: secrets out of partner payloads before they reach the database.
 * A key that names a secret (password, secret, token, api_key, authorization,
 * credentials, private_key, ... in any case, with _ - . or camelCase between
 * the words) has its value replaced by "[redacted]" at any depth; inside any
 * string, the user:password@ part of a URL, the values of secret-named
 * query parameters and of secret-named name=value pairs (a conninfo's
 * password=..., PGPASSWORD=...) become [redacted] too. Short names (pwd,
 * pass, auth) count only as a whole key. A null value is left alone: there
 * is no secret in it. */
#ifndef CHM_REDACT_H
#define CHM_REDACT_H

#include <jansson.h>
#include <stddef.h>

#include "strbuf.h"

#define CHM_REDACTED "[redacted]"

/* 1 when key names a secret. */
int chm_redact_key(const char *key, size_t len);
/* Redacts v in place; returns how many values changed (0: v is untouched). */
size_t chm_redact_json(json_t *v);
/* Credentials in URLs inside s[0..len): 0 when there are none (out untouched),
 * else the count, with the redacted text appended to out. */
size_t chm_redact_text(const char *s, size_t len, struct strbuf *out);
/* 1 when chm_redact_text would change s[0..len) (what chm_redact_json does
 * to a string value): the fast path of chm-normalize asks this. */
int chm_redact_text_changes(const char *s, size_t len);
/* A URL fit for a diagnostic: its credentials redacted as above. A new
 * string the caller frees. */
char *chm_redact_url(const char *url);

#endif

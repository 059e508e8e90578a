/* redact: secrets out of everything CHM keeps or shows. Every path into the
 * database, into rejects and onto stdout or stderr passes through here,
 * whichever program it enters by.
 * A key that names a secret (password, secret, token, api_key, authorization,
 * credentials, private_key, cookie, ... in any case, with _ - . or camelCase
 * between the words; the short pwd, pw, pass, auth and key only as the whole
 * key) has its value replaced by "[redacted]" at any depth, as has the value
 * of a {"name": "DB_PASSWORD", "value": ...} pair. Inside any string, the
 * rules of find_secrets (redact.c) replace what looks like a secret by its
 * shape: a URL's user:password@ and secret query parameters (sig, jwt, code
 * too), the path of a Slack or Discord webhook URL (the path is the key), name=value and name: value pairs with a secret name (a conninfo,
 * an environment dump, a header, YAML, JSON inside a string), "Bearer x",
 * a PEM private key's body, Oracle's user/password@host, a .pgpass line and
 * mysql's -pSECRET. A null value is left alone: there is no secret in it.
 * Redacting twice changes nothing. It errs on the side of hiding. */
#ifndef CHM_REDACT_H
#define CHM_REDACT_H

#include <jansson.h>
#include <stddef.h>

#include "core/strbuf.h"

#define CHM_REDACTED "[redacted]"

/* 1 when key names a secret. */
int chm_redact_key(const char *key, size_t len);
/* Redacts v in place; returns how many values changed (0: v is untouched). */
size_t chm_redact_json(json_t *v);
/* Credentials in URLs inside s[0..len): 0 when there are none (out untouched),
 * else the count, with the redacted text appended to out. */
size_t chm_redact_text(const char *s, size_t len, struct strbuf *out);
/* 1 when chm_redact_text would change s[0..len) (what chm_redact_json does
 * to a string value): the fast paths of chm-normalize and chm-load ask this. */
int chm_redact_text_changes(const char *s, size_t len);
/* Whether a member with this key makes a JSON object one whose secrets hide
 * in another member (the "value" of a name/value pair): a fast reader that
 * meets it leaves the record to chm_redact_json. */
int chm_redact_pair_key(const char *key, size_t len);
/* A line of input (a JSON record or any text) fit for a reject or a
 * message: 0 when there is nothing to hide (out untouched), else the count,
 * with the redacted line appended to out. */
size_t chm_redact_line(const char *s, size_t len, struct strbuf *out);
/* A URL fit for a diagnostic: its credentials redacted as above. A new
 * string the caller frees. */
char *chm_redact_url(const char *url);

#endif

/* urlmask: a URL made fit for a message. Userinfo (user:password@) and the
 * values of token-like query parameters (token, access_token, api_key, key,
 * password, secret, signature, ...) become "[redacted]", so a diagnostic can
 * name the URL it failed on without leaking a credential. Small on purpose:
 * if a general lib/redact appears, this one folds into it. */
#ifndef CHM_URLMASK_H
#define CHM_URLMASK_H

/* A new string the caller frees. */
char *chm_urlmask(const char *url);
/* 1 when a query parameter or JSON key of this name carries a secret. */
int chm_urlmask_is_secret_name(const char *name, size_t len);

#endif

/* http: GET a JSON document from a partner API (or POST to a receiver) with libcurl, the way curl
 * itself retries: only what is transient (timeouts, refused or reset
 * connections, 408, 429, 5xx), exponential backoff with jitter from a base up
 * to a cap, Retry-After honoured in both forms (seconds and HTTP-date) up to a
 * maximum, and a bounded total retry time. Every retry is announced through a
 * callback, so the program prints one stderr line each time. The body has a
 * hard maximum size. TLS verification is always on; a private CA is given
 * with cacert. Credentials are sent as a header or as basic auth and never
 * appear in an error message (URLs in messages are masked, chm_redact_url in lib/redact.h). */
#ifndef CHM_HTTP_H
#define CHM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/strbuf.h"

struct chm_http_retry {
	const char *method;     /* "GET", "POST", "SMTP" */
	const char *url;        /* masked */
	const char *reason;     /* "HTTP 503", "timeout", "connection reset", ... */
	int attempt;            /* the attempt that failed, from 1 */
	int max_attempts;
	long delay_ms;          /* how long we wait before the next one */
};

struct chm_http_opts {
	long connect_timeout_ms;   /* default 10 s */
	long timeout_ms;           /* one whole request; default 60 s */
	int retries;               /* retries after the first attempt; default 5; 0 = none */
	long retry_base_ms;        /* first backoff; default 1000 */
	long retry_cap_ms;         /* largest backoff; default 30 s */
	long retry_max_time_ms;    /* all the waiting and retrying together; default 300 s */
	long retry_after_max_ms;   /* largest Retry-After honoured; default 120 s */
	size_t max_body;           /* bytes; default 32 MiB */
	const char *cacert;        /* PEM bundle, or NULL for the system's */
	const char *bearer;        /* token sent as "Authorization: <scheme> <token>" */
	const char *auth_scheme;   /* default "Bearer" */
	const char *basic;         /* "user:password" for basic auth */
	const char *user_agent;
	/* When set (by a signal handler), a transfer or a wait stops and
	 * chm_http_get fails with status 75 (code "interrupted"). */
	volatile int *interrupted;
	void (*on_retry)(const struct chm_http_retry *r, void *arg);
	void *arg;
};

struct chm_http;

/* Copies opts (the strings must outlive the handle); fills defaults for
 * zeros. NULL with err when libcurl cannot be set up. */
struct chm_http *chm_http_new(const struct chm_http_opts *opts, struct chm_err *err);
void chm_http_free(struct chm_http *h);
/* From now on, every request carries "Authorization: Bearer <token>" (a
 * token traded for a login) instead of the one it had. The handle keeps its
 * own copy. */
void chm_http_set_bearer(struct chm_http *h, const char *token);

/* GETs url into body (reset first). 0 on a 2xx answer. -1 with err otherwise:
 * status 69 for a service that failed or stayed unavailable after retries
 * (err->code "http_4xx" / "http_5xx" / "unavailable" / "too_large"), 78 for
 * 401/403 (bad credentials) and for TLS problems with the CA file. *http_status
 * (may be NULL) gets the last HTTP status, 0 when there was no answer. */
int chm_http_get(struct chm_http *h, const char *url, struct strbuf *body, long *http_status,
		 struct chm_err *err);

/* A POST body and its extra headers ("Name: value"), e.g. for a webhook.
 * url_is_secret: the URL itself is a credential (a Slack incoming webhook),
 * so messages name it as "(the configured URL)", not even masked. */
struct chm_http_post {
	const char *data;
	size_t len;
	const char *const *headers;
	size_t nheaders;
	int url_is_secret;
};

/* POSTs with the same retries, limits and errors as chm_http_get. A POST is
 * retried only where the request cannot have been acted on twice by a sane
 * receiver, which is why every CHM POST carries an idempotency key. */
int chm_http_post(struct chm_http *h, const char *url, const struct chm_http_post *post,
		  struct strbuf *body, long *http_status, struct chm_err *err);

/* The attempts of one transfer under the handle's retry rules: the
 * requests of this module, and a transfer that is not HTTP but is retried
 * alike (an SMTP delivery). */
struct chm_http_attempts {
	const char *method, *url;   /* for messages; url masked */
	int attempt;                /* the one under way, from 1 */
	int max;
	int64_t deadline_ms;        /* the retry time limit, on a monotonic clock */
};
void chm_http_attempts_start(struct chm_http *h, struct chm_http_attempts *a, const char *method,
			     const char *masked_url);
/* After an attempt that failed for a reason that may pass: 0 once the wait
 * before the next attempt is over (on_retry was told; a->attempt is the
 * next one), or -1 with err: the attempts are spent or the wait would pass
 * the retry time limit (69, "unavailable"), or a signal came (75).
 * delay_ms: the server's Retry-After, or -1 for the backoff. */
int chm_http_attempts_pause(struct chm_http *h, struct chm_http_attempts *a, const char *reason,
			    long delay_ms, struct chm_err *err);

/* Retry-After to milliseconds from now: seconds or an HTTP-date. -1 when unparsable. */
long chm_http_parse_retry_after(const char *value, long now_sec);

/* Appends s percent-encoded for one path segment or query value (RFC 3986
 * unreserved characters stay as they are). */
void chm_http_add_escaped(struct strbuf *sb, const char *s);

#endif

#include "core/http.h"

#include <ctype.h>
#include <limits.h>
#include <strings.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/record.h"
#include "core/redact.h"

struct chm_http {
	struct chm_http_opts o;
	CURL *curl;
	struct curl_slist *headers;
	uint64_t rng;
	/* per request */
	struct strbuf *body;
	int too_large;
	char retry_after[128];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms, volatile int *interrupted)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR && !(interrupted && *interrupted))
		;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct chm_http *h = arg;
	return h->o.interrupted && *h->o.interrupted; /* nonzero aborts the transfer */
}

static uint64_t next_rand(struct chm_http *h)
{
	/* xorshift64: jitter needs spread, not cryptographic strength */
	h->rng ^= h->rng << 13;
	h->rng ^= h->rng >> 7;
	h->rng ^= h->rng << 17;
	return h->rng;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct chm_http *h = arg;
	size_t n = size * nmemb;
	if (h->body->len + n > h->o.max_body) {
		h->too_large = 1;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	strbuf_add(h->body, data, n);
	return n;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *arg)
{
	struct chm_http *h = arg;
	size_t n = size * nitems;
	static const char name[] = "retry-after:";
	if (n > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		const char *v = data + sizeof(name) - 1;
		size_t vl = n - (sizeof(name) - 1);
		while (vl && isspace((unsigned char)*v))
			v++, vl--;
		while (vl && isspace((unsigned char)v[vl - 1]))
			vl--;
		if (vl >= sizeof(h->retry_after))
			vl = sizeof(h->retry_after) - 1;
		memcpy(h->retry_after, v, vl);
		h->retry_after[vl] = '\0';
		/* it reaches stderr in messages: no terminal escapes from a partner */
		for (char *c = h->retry_after; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
				*c = '?';
	}
	return n;
}

/* "Authorization: <scheme> <token>" among the handle's headers. */
static void add_authorization(struct chm_http *h, const char *scheme, const char *token)
{
	struct strbuf a = STRBUF_INIT;
	strbuf_addf(&a, "Authorization: %s %s", scheme, token);
	h->headers = curl_slist_append(h->headers, a.buf);
	memset(a.buf, 0, a.len); /* curl keeps its own copy */
	strbuf_release(&a);
}

void chm_http_set_bearer(struct chm_http *h, const char *token)
{
	struct curl_slist *kept = NULL;
	for (struct curl_slist *l = h->headers; l; l = l->next) {
		if (strncasecmp(l->data, "Authorization:", 14) != 0)
			kept = curl_slist_append(kept, l->data);
		else
			memset(l->data, 0, strlen(l->data)); /* the token it had */
	}
	curl_slist_free_all(h->headers);
	h->headers = kept;
	add_authorization(h, "Bearer", token);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
}

struct chm_http *chm_http_new(const struct chm_http_opts *opts, struct chm_err *err)
{
	static int global_done;
	struct chm_http *h = chm_xmalloc(sizeof(*h));

	memset(h, 0, sizeof(*h));
	h->o = *opts;
	if (!h->o.connect_timeout_ms)
		h->o.connect_timeout_ms = 10000;
	if (!h->o.timeout_ms)
		h->o.timeout_ms = 60000;
	if (h->o.retries < 0)
		h->o.retries = 0;
	if (!h->o.retry_base_ms)
		h->o.retry_base_ms = 1000;
	if (!h->o.retry_cap_ms)
		h->o.retry_cap_ms = 30000;
	if (!h->o.retry_max_time_ms)
		h->o.retry_max_time_ms = 300000;
	if (!h->o.retry_after_max_ms)
		h->o.retry_after_max_ms = 120000;
	if (!h->o.max_body)
		h->o.max_body = 32u << 20;
	if (!h->o.auth_scheme)
		h->o.auth_scheme = "Bearer";
	h->rng = ((uint64_t)getpid() << 32) ^ (uint64_t)now_ms() ^ (uint64_t)time(NULL) ^ 0x9e3779b97f4a7c15ull;
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			free(h);
			chm_err_set(err, CHM_EX_SOFTWARE, CHM_E_INTERNAL, "", "cannot initialize libcurl");
			return NULL;
		}
		global_done = 1;
	}
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		chm_err_set(err, CHM_EX_SOFTWARE, CHM_E_INTERNAL, "", "cannot initialize libcurl");
		return NULL;
	}
	CURL *c = h->curl;
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* never carry a credential elsewhere */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->o.cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->o.cacert);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->o.max_body);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* whatever this libcurl decodes */
	curl_easy_setopt(c, CURLOPT_USERAGENT, h->o.user_agent ? h->o.user_agent : "chm/" CHM_VERSION);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	if (h->o.interrupted) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	h->headers = curl_slist_append(h->headers, "Accept: application/json");
	if (h->o.bearer) {
		add_authorization(h, h->o.auth_scheme, h->o.bearer);
	} else if (h->o.basic) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, h->o.basic);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
	return h;
}

void chm_http_free(struct chm_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	free(h);
}

long chm_http_parse_retry_after(const char *v, long now_sec)
{
	if (!v || !*v)
		return -1;
	if (isdigit((unsigned char)*v)) {
		char *end;
		errno = 0;
		long s = strtol(v, &end, 10);
		if (errno || *end || s < 0)
			return -1;
		return s > LONG_MAX / 1000 ? LONG_MAX : s * 1000;
	}
	time_t t = curl_getdate(v, NULL);
	if (t == (time_t)-1)
		return -1;
	return t <= now_sec ? 0 : (long)(t - now_sec) * 1000;
}

void chm_http_add_escaped(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			strbuf_addc(sb, (char)*p);
		} else {
			strbuf_addc(sb, '%');
			strbuf_addc(sb, hex[*p >> 4]);
			strbuf_addc(sb, hex[*p & 15]);
		}
	}
}

/* What a failed attempt was: a reason for messages, and whether it is transient. */
static int classify(CURLcode rc, long status, const char **reason, char *buf, size_t bufsz)
{
	if (rc == CURLE_OK) {
		snprintf(buf, bufsz, "HTTP %ld", status);
		*reason = buf;
		return status == 408 || status == 429 || (status >= 500 && status <= 599);
	}
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT: *reason = "timeout"; return 1;
	case CURLE_COULDNT_CONNECT: *reason = "cannot connect"; return 1;
	case CURLE_COULDNT_RESOLVE_HOST: *reason = "cannot resolve host"; return 1;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR: *reason = "connection reset"; return 1;
	case CURLE_GOT_NOTHING: *reason = "connection closed without a reply"; return 1;
	case CURLE_PARTIAL_FILE: *reason = "response cut short"; return 1;
	default:
		*reason = curl_easy_strerror(rc);
		return 0;
	}
}

static int is_tls_config_error(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
	       rc == CURLE_SSL_CERTPROBLEM;
}

/* The reason a refusal's body gives, for a person: the first of the fields
 * APIs put it in (Airflow's problem "detail", FastAPI's detail[0].msg, dbt
 * Cloud's status.user_message, an OAuth error_description, "message"...),
 * or a short text body as it is (Slack's webhooks answer "no_service",
 * "channel_is_archived"). Control bytes become spaces, secrets are
 * redacted, and it is cut at a word. Empty when there is none: an HTML
 * page says nothing a person can use in one line. */
static void server_says(const struct strbuf *body, char *out, size_t outsz)
{
	static const char *const paths[] = { "detail", "detail.message", "detail.0.msg", "status.user_message",
					     "error_description", "message", "error.message", "errors.0.message",
					     "error", "title" };
	out[0] = '\0';
	/* a tree costs up to 80 times its text: an error body of megabytes
	 * is not read for its words */
	if (!body || body->len == 0 || body->len > 65536)
		return;
	const char *text = NULL;
	size_t len = 0;
	int raw = 0; /* a text body: its bytes may not be UTF-8, a JSON string's are */
	json_t *doc = json_loadb(body->buf, body->len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(doc)) {
		for (size_t i = 0; i < sizeof(paths) / sizeof(*paths) && !text; i++) {
			json_t *v = chm_json_path(doc, paths[i]);
			if (json_is_string(v) && json_string_length(v) > 0)
				text = json_string_value(v), len = json_string_length(v);
		}
	} else if (!doc && body->len <= 300 && !memchr(body->buf, '<', body->len)) {
		text = body->buf, len = body->len;
		raw = 1;
	}
	struct strbuf red = STRBUF_INIT;
	if (text && chm_redact_line(text, len, &red))
		text = red.buf, len = red.len;
	size_t n = 0, i = 0;
	for (; text && i < len && n + 1 < outsz; i++) {
		unsigned char c = (unsigned char)text[i];
		char ch = c < 0x20 || c == 0x7f ? ' ' : raw && c >= 0x80 ? '?' : (char)c;
		if (ch == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = ch;
	}
	if (text && i < len) {
		/* room for "...", then back to a word's end (or a whole UTF-8
		 * character, in a word longer than half the room) */
		size_t keep = n - 3;
		size_t at = keep;
		while (at > keep / 2 && out[at] != ' ')
			at--;
		if (out[at] != ' ')
			for (at = keep; at > 0 && ((unsigned char)out[at] & 0xC0) == 0x80; at--)
				;
		n = at;
		while (n > 0 && out[n - 1] == ' ')
			n--;
		memcpy(out + n, "...", 3);
		n += 3;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	strbuf_release(&red);
	json_decref(doc);
}

/* An attempt that failed for good: 1 with err (and the loop ends), or 0
 * when it may be tried again (*reason says why it failed). */
static int failed_for_good(struct chm_http *h, CURLcode cc, long status, const char *method,
			   const char *masked, const char **reason, char *reasonbuf, size_t reasonsz,
			   struct chm_err *err)
{
	if (h->o.interrupted && *h->o.interrupted)
		return chm_err_set(err, CHM_EX_TEMPFAIL, CHM_E_INTERRUPTED, "", "%s %s: stopped by a signal",
				   method, masked), 1;
	if (h->too_large || cc == CURLE_FILESIZE_EXCEEDED)
		return chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_TOO_LARGE, "", "%s %s: response larger than %zu bytes",
				   method, masked, h->o.max_body), 1;
	if (cc != CURLE_OK && is_tls_config_error(cc))
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_TLS, "", "%s %s: %s (see --cacert)", method, masked,
				   curl_easy_strerror(cc)), 1;
	if (classify(cc, status, reason, reasonbuf, reasonsz))
		return 0;
	char says[200], said[240] = "";
	server_says(h->body, says, sizeof(says));
	if (says[0])
		snprintf(said, sizeof(said), " (the server said \"%s\")", says);
	if (status == 401 || status == 403)
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_HTTP_AUTH, "",
			    "%s %s: HTTP %ld: the partner refused our credentials%s", method, masked, status, said);
	else if (status >= 300 && status <= 399)
		chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_HTTP_REDIRECT, "",
			    "%s %s: HTTP %ld: redirects are not followed; give the final base URL",
			    method, masked, status);
	else if (status)
		chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_HTTP_4XX, "", "%s %s: HTTP %ld%s", method, masked, status,
			    said);
	else
		chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_UNAVAILABLE, "", "%s %s: %s", method, masked, *reason);
	return 1;
}

/* The backoff before attempt+1: exponential from the base up to the cap,
 * with equal jitter (never less than half of it, spread over the rest). */
static long backoff(struct chm_http *h, int attempt)
{
	long exp = h->o.retry_base_ms;
	for (int i = 1; i < attempt && exp < h->o.retry_cap_ms; i++)
		exp *= 2;
	if (exp > h->o.retry_cap_ms)
		exp = h->o.retry_cap_ms;
	return exp / 2 + (long)(next_rand(h) % (uint64_t)(exp / 2 + 1));
}

void chm_http_attempts_start(struct chm_http *h, struct chm_http_attempts *a, const char *method,
			     const char *masked_url)
{
	a->method = method;
	a->url = masked_url;
	a->attempt = 1;
	a->max = h->o.retries + 1;
	a->deadline_ms = now_ms() + h->o.retry_max_time_ms;
}

int chm_http_attempts_pause(struct chm_http *h, struct chm_http_attempts *a, const char *reason,
			    long delay_ms, struct chm_err *err)
{
	if (a->attempt >= a->max)
		return chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_UNAVAILABLE, "", "%s %s: %s; gave up after %d attempt%s",
				   a->method, a->url, reason, a->attempt, a->attempt == 1 ? "" : "s");
	long delay = delay_ms >= 0 ? delay_ms : backoff(h, a->attempt);
	if (now_ms() + delay > a->deadline_ms)
		return chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_UNAVAILABLE, "",
				   "%s %s: %s; gave up after %d attempt%s (retry time limit %.3gs)", a->method, a->url,
				   reason, a->attempt, a->attempt == 1 ? "" : "s", h->o.retry_max_time_ms / 1000.0);
	if (h->o.on_retry) {
		struct chm_http_retry r = { a->method, a->url, reason, a->attempt, a->max, delay };
		h->o.on_retry(&r, h->o.arg);
	}
	sleep_ms(delay, h->o.interrupted);
	if (h->o.interrupted && *h->o.interrupted)
		return chm_err_set(err, CHM_EX_TEMPFAIL, CHM_E_INTERRUPTED, "", "%s %s: stopped by a signal", a->method,
				   a->url);
	a->attempt++;
	return 0;
}

/* The server's Retry-After before the next attempt, or -1 for the
 * backoff; -2 with err when it asks for longer than we wait. */
static long retry_delay(struct chm_http *h, long status, const char *method, const char *masked,
			const char *reason, struct chm_err *err)
{
	long delay = -1;
	long ra = chm_http_parse_retry_after(h->retry_after, (long)time(NULL));
	if (ra >= 0 && (status == 429 || status == 503 || status == 408)) {
		if (ra > h->o.retry_after_max_ms)
			return chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_UNAVAILABLE, "",
					   "%s %s: %s with Retry-After %s, longer than the %lds we wait at most",
					   method, masked, reason, h->retry_after, h->o.retry_after_max_ms / 1000), -2;
		delay = ra;
	}
	return delay;
}

/* The POST's headers and body on the handle (the handle's own headers
 * first); a GET otherwise. The list is the caller's to free. */
static struct curl_slist *set_method(struct chm_http *h, const struct chm_http_post *post)
{
	struct curl_slist *headers = NULL;
	if (!post) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		return NULL;
	}
	for (struct curl_slist *l = h->headers; l; l = l->next)
		headers = curl_slist_append(headers, l->data);
	for (size_t i = 0; i < post->nheaders; i++)
		headers = curl_slist_append(headers, post->headers[i]);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post->len);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, post->data);
	return headers;
}

/* One request with the retry discipline above; post NULL is a GET. */
static int request(struct chm_http *h, const char *url, const struct chm_http_post *post,
		   struct strbuf *body, long *http_status, struct chm_err *err)
{
	const char *method = post ? "POST" : "GET";
	char *masked = post && post->url_is_secret ? chm_xstrdup("(the configured URL)") : chm_redact_url(url);
	struct curl_slist *headers = set_method(h, post);
	struct chm_http_attempts at;
	char reasonbuf[64];
	int rc = -1;

	chm_http_attempts_start(h, &at, method, masked);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	h->body = body;
	for (;;) {
		long status = 0;
		const char *reason = NULL;

		strbuf_reset(body);
		h->too_large = 0;
		h->retry_after[0] = '\0';
		CURLcode cc = curl_easy_perform(h->curl);
		if (cc == CURLE_OK)
			curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
		if (http_status)
			*http_status = status;
		if (cc == CURLE_OK && status >= 200 && status <= 299) {
			rc = 0;
			break;
		}
		if (failed_for_good(h, cc, status, method, masked, &reason, reasonbuf, sizeof(reasonbuf), err))
			break;
		long delay = at.attempt < at.max ? retry_delay(h, status, method, masked, reason, err) : -1;
		if (delay < -1 || chm_http_attempts_pause(h, &at, reason, delay, err))
			break;
	}
	h->body = NULL;
	if (post) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
		curl_slist_free_all(headers);
	}
	free(masked);
	return rc;
}

int chm_http_get(struct chm_http *h, const char *url, struct strbuf *body, long *http_status,
		 struct chm_err *err)
{
	return request(h, url, NULL, body, http_status, err);
}

int chm_http_post(struct chm_http *h, const char *url, const struct chm_http_post *post,
		  struct strbuf *body, long *http_status, struct chm_err *err)
{
	return request(h, url, post, body, http_status, err);
}

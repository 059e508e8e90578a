#include "engines/notify.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/record.h"
#include "core/redact.h"

/* Free text from run data is cut to this many bytes in a message: a stack
 * trace belongs in the report, not in a chat line or a subject. */
#define TEXT_MAX 600

struct chm_notifier {
	struct chm_notify_opts o;
	struct chm_http *http;
	json_t *down;   /* receivers that stayed unavailable in this run, by name */
};

struct chm_notifier *chm_notifier_new(const struct chm_notify_opts *o, struct chm_err *err)
{
	struct chm_notifier *n = chm_xmalloc(sizeof(*n));
	n->o = *o;
	n->http = chm_http_new(&o->http, err);
	if (!n->http) {
		free(n);
		return NULL;
	}
	n->down = json_object();
	return n;
}

void chm_notifier_free(struct chm_notifier *n)
{
	if (!n)
		return;
	chm_http_free(n->http);
	json_decref(n->down);
	free(n);
}

static long long num(json_t *a, const char *key)
{
	return (long long)json_integer_value(json_object_get(a, key));
}

/* Appends s with control characters made harmless: newline and tab kept
 * when multiline, anything else below 0x20 and DEL becomes a space, and at
 * most max bytes (cut on a UTF-8 boundary, marked with an ellipsis). */
static void add_clean(struct strbuf *out, const char *s, size_t max, int multiline)
{
	size_t n = strlen(s);
	int cut = n > max;
	if (cut) {
		n = max;
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (multiline && (c == '\n' || c == '\t'))
			strbuf_addc(out, (char)c);
		else if (c < 0x20 || c == 0x7f)
			strbuf_addc(out, ' ');
		else
			strbuf_addc(out, (char)c);
	}
	if (cut)
		strbuf_adds(out, "\xe2\x80\xa6");
}

/* Slack mrkdwn treats &, < and > as control characters (links, mentions):
 * text from run data must not ping @channel or hide a link. */
static void add_mrkdwn(struct strbuf *out, const char *s, size_t max)
{
	struct strbuf clean = STRBUF_INIT;
	add_clean(&clean, s, max, 1);
	for (size_t i = 0; i < clean.len; i++) {
		char c = clean.buf[i];
		if (c == '&')
			strbuf_adds(out, "&amp;");
		else if (c == '<')
			strbuf_adds(out, "&lt;");
		else if (c == '>')
			strbuf_adds(out, "&gt;");
		else
			strbuf_addc(out, c);
	}
	strbuf_release(&clean);
}

static int firing(json_t *a)
{
	return !strcmp(chm_json_str(a, "state"), "firing");
}

/* A window for people: 60 min, 24 h, 7 d. */
static void add_window(struct strbuf *out, long long m)
{
	if (m >= 2880 && m % 1440 == 0)
		strbuf_addf(out, "%lld d", m / 1440);
	else if (m >= 120 && m % 60 == 0)
		strbuf_addf(out, "%lld h", m / 60);
	else
		strbuf_addf(out, "%lld min", m);
}

/* "acme/orders_daily: 3 failures in 60 min", raw (the callers escape). */
static void headline(json_t *a, struct strbuf *out)
{
	long long failures = num(a, "failures");
	int window = !strcmp(chm_json_str(a, "rule_type"), "failures_in_window");

	strbuf_addf(out, "%s/%s: ", chm_json_str(a, "client"), chm_json_str(a, "pipeline"));
	if (!firing(a) && json_is_string(json_object_get(a, "reason")))
		strbuf_addf(out, "resolved, %s", chm_json_str(a, "reason"));
	else if (window) {
		strbuf_addf(out, "%lld failure%s in ", failures, failures == 1 ? "" : "s");
		add_window(out, num(a, "window_minutes"));
		if (!firing(a))
			strbuf_addf(out, ", below %lld", num(a, "threshold"));
	}
	else if (!firing(a))
		strbuf_adds(out, "recovered, a run succeeded");
	else if (failures == 1)
		strbuf_addf(out, "run %s failed", json_string_value(json_array_get(json_object_get(a, "runs"), 0))
							  ? json_string_value(json_array_get(json_object_get(a, "runs"), 0))
							  : "?");
	else
		strbuf_addf(out, "%lld failed runs since the last success", failures);
}

void chm_notify_subject(json_t *a, struct strbuf *out)
{
	struct strbuf h = STRBUF_INIT;
	headline(a, &h);
	strbuf_addf(out, "[CHM] %s ", firing(a) ? "FIRING" : "RESOLVED");
	add_clean(out, h.buf, 200, 0);
	strbuf_release(&h);
}

void chm_notify_text(json_t *a, struct strbuf *out)
{
	struct strbuf t = STRBUF_INIT;
	chm_notify_subject(a, &t);
	strbuf_addf(&t, "\n\nclient:    %s\npipeline:  %s (%s)\nrule:      #%lld %s -> %s %s\n",
		    chm_json_str(a, "client"), chm_json_str(a, "pipeline"), chm_json_str(a, "platform"), num(a, "rule_id"),
		    chm_json_str(a, "rule_type"), chm_json_str(a, "channel"), chm_json_str(a, "destination"));
	strbuf_addf(&t, "since:     %s\n", chm_json_str(a, "since"));
	if (json_is_string(json_object_get(a, "last_failed_at")))
		strbuf_addf(&t, "last fail: %s\n", chm_json_str(a, "last_failed_at"));
	strbuf_addf(&t, "failures:  %lld\n", num(a, "failures"));
	json_t *runs = json_object_get(a, "runs");
	if (json_array_size(runs)) {
		strbuf_adds(&t, "runs:      ");
		for (size_t i = 0; i < json_array_size(runs); i++)
			strbuf_addf(&t, "%s%s", i ? ", " : "", json_string_value(json_array_get(runs, i)));
		strbuf_addc(&t, '\n');
	}
	if (json_is_string(json_object_get(a, "last_error"))) {
		strbuf_adds(&t, "\nlast error:\n");
		strbuf_adds(&t, chm_json_str(a, "last_error"));
		strbuf_addc(&t, '\n');
	}
	if (json_is_string(json_object_get(a, "report_url")))
		strbuf_addf(&t, "\nreport: %s\n", chm_json_str(a, "report_url"));
	strbuf_addf(&t, "key: %s\n", chm_json_str(a, "key"));
	add_clean(out, t.buf, 8 * TEXT_MAX, 1);
	strbuf_release(&t);
}

char *chm_notify_slack_json(json_t *a)
{
	struct strbuf text = STRBUF_INIT, head = STRBUF_INIT, facts = STRBUF_INIT, err = STRBUF_INIT;
	struct strbuf h = STRBUF_INIT;

	headline(a, &h);
	strbuf_addf(&text, "%s ", firing(a) ? ":red_circle: FIRING" : ":large_green_circle: RESOLVED");
	add_mrkdwn(&text, h.buf, 300);
	strbuf_addf(&head, "*%s* ", firing(a) ? ":red_circle: FIRING" : ":large_green_circle: RESOLVED");
	add_mrkdwn(&head, h.buf, 300);

	strbuf_adds(&facts, "*Client* ");
	add_mrkdwn(&facts, chm_json_str(a, "client"), 200);
	strbuf_adds(&facts, "   *Pipeline* ");
	add_mrkdwn(&facts, chm_json_str(a, "pipeline"), 200);
	strbuf_addf(&facts, " (%s)   *Since* %s", chm_json_str(a, "platform"), chm_json_str(a, "since"));
	json_t *runs = json_object_get(a, "runs");
	if (json_array_size(runs)) {
		strbuf_adds(&facts, "\n*Runs* ");
		for (size_t i = 0; i < json_array_size(runs) && i < 5; i++) {
			strbuf_adds(&facts, i ? ", `" : "`");
			add_mrkdwn(&facts, json_string_value(json_array_get(runs, i)), 120);
			strbuf_addc(&facts, '`');
		}
	}
	json_t *blocks = json_pack("[{s:s,s:{s:s,s:s}},{s:s,s:{s:s,s:s}}]",
				   "type", "section", "text", "type", "mrkdwn", "text", head.buf,
				   "type", "section", "text", "type", "mrkdwn", "text", facts.buf);
	if (json_is_string(json_object_get(a, "last_error")) && firing(a)) {
		strbuf_adds(&err, "*Last error*\n");
		add_mrkdwn(&err, chm_json_str(a, "last_error"), TEXT_MAX);
		json_array_append_new(blocks, json_pack("{s:s,s:{s:s,s:s}}", "type", "section", "text", "type",
							"mrkdwn", "text", err.buf));
	}
	struct strbuf ctx = STRBUF_INIT;
	strbuf_addf(&ctx, "rule #%lld %s to ", num(a, "rule_id"), chm_json_str(a, "rule_type"));
	add_mrkdwn(&ctx, chm_json_str(a, "destination"), 200);
	if (json_is_string(json_object_get(a, "report_url"))) {
		strbuf_adds(&ctx, " | ");
		add_mrkdwn(&ctx, chm_json_str(a, "report_url"), 500);
	}
	json_array_append_new(blocks, json_pack("{s:s,s:[{s:s,s:s}]}", "type", "context", "elements", "type",
						"mrkdwn", "text", ctx.buf));
	json_t *msg = json_pack("{s:s,s:s,s:o}", "channel", chm_json_str(a, "destination"), "text", text.buf, "blocks",
				blocks);
	char *body = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	strbuf_release(&text);
	strbuf_release(&head);
	strbuf_release(&facts);
	strbuf_release(&err);
	strbuf_release(&ctx);
	strbuf_release(&h);
	return body;
}

static void add_base64(struct strbuf *out, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		strbuf_addc(out, tab[v >> 18 & 63]);
		strbuf_addc(out, tab[v >> 12 & 63]);
		strbuf_addc(out, i + 1 < n ? tab[v >> 6 & 63] : '=');
		strbuf_addc(out, i + 2 < n ? tab[v & 63] : '=');
	}
}

/* A header value: plain when it is short printable ASCII, else RFC 2047
 * encoded words of at most 45 bytes each (cut on UTF-8 boundaries), folded. */
static void add_header_value(struct strbuf *out, const char *s)
{
	int plain = strlen(s) <= 900;
	for (const char *p = s; *p && plain; p++)
		plain = (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f;
	if (plain) {
		strbuf_adds(out, s);
		return;
	}
	size_t n = strlen(s), i = 0;
	while (i < n) {
		size_t k = n - i < 45 ? n - i : 45;
		while (i + k < n && k && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k--;
		if (i)
			strbuf_adds(out, "\r\n ");
		strbuf_adds(out, "=?UTF-8?B?");
		add_base64(out, (const unsigned char *)s + i, k);
		strbuf_adds(out, "?=");
		i += k;
	}
}

/* A body in quoted-printable (RFC 2045): lines of at most 76 characters
 * whatever the run data holds (SMTP refuses a line over 998, and an error
 * message or a stack trace on one line is longer), in 7-bit ASCII. */
static void add_quoted_printable(struct strbuf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n') {
			strbuf_adds(out, "\r\n");
			col = 0;
			continue;
		}
		/* white space that ends a line would be lost in transport */
		int at_end = i + 1 == n || s[i + 1] == '\n';
		int plain = (c >= 0x21 && c <= 0x7e && c != '=') || ((c == ' ' || c == '\t') && !at_end);
		size_t width = plain ? 1 : 3;
		if (col + width > 75) {
			strbuf_adds(out, "=\r\n");
			col = 0;
		}
		if (plain) {
			strbuf_addc(out, (char)c);
		} else {
			strbuf_addc(out, '=');
			strbuf_addc(out, hex[c >> 4]);
			strbuf_addc(out, hex[c & 15]);
		}
		col += width;
	}
}

/* The alert's identity for a receiver that drops what it saw before: the
 * key and state, stable across retries, and for a reminder (--repeat-after)
 * the notification it repeats, so that it is not dropped as a copy. sep
 * separates the parts; what is not an atom character (RFC 5322 atext, for
 * a Message-ID) becomes '_' when atext is set. */
static void add_identity(struct strbuf *out, json_t *a, const char *sep, int atext)
{
	size_t from = out->len;
	add_clean(out, chm_json_str(a, "key"), 200, 0);
	strbuf_addf(out, "%s%s", sep, chm_json_str(a, "state"));
	if (json_is_string(json_object_get(a, "last_notified_at"))) {
		strbuf_addf(out, "%sreminder%s", sep, sep);
		add_clean(out, chm_json_str(a, "last_notified_at"), 64, 0);
	}
	for (size_t i = from; atext && i < out->len; i++)
		if (!strchr("!#$%&'*+-/=?^_`{|}~.", out->buf[i]) && !(out->buf[i] >= 'a' && out->buf[i] <= 'z') &&
		    !(out->buf[i] >= 'A' && out->buf[i] <= 'Z') && !(out->buf[i] >= '0' && out->buf[i] <= '9'))
			out->buf[i] = '_';
}

void chm_notify_email(json_t *a, const char *from, const char *date, struct strbuf *out)
{
	struct strbuf subject = STRBUF_INIT, text = STRBUF_INIT, key = STRBUF_INIT;
	chm_notify_subject(a, &subject);
	chm_notify_text(a, &text);
	strbuf_addf(out, "From: %s\r\nTo: %s\r\nDate: %s\r\nSubject: ", from, chm_json_str(a, "destination"), date);
	add_header_value(out, subject.buf);
	/* stable across retries, so a mailbox can drop a second copy */
	strbuf_adds(out, "\r\nMessage-ID: <");
	add_identity(out, a, ".", 1);
	add_clean(&key, chm_json_str(a, "key"), 200, 0);
	strbuf_adds(out, "@chm>\r\nMIME-Version: 1.0\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
			 "X-CHM-Alert-Key: ");
	add_header_value(out, key.buf);
	strbuf_adds(out, "\r\n\r\n");
	add_quoted_printable(out, text.buf, text.len);
	strbuf_release(&subject);
	strbuf_release(&text);
	strbuf_release(&key);
}

/* One address, nothing else: no display name, list, or byte that would end
 * the header or the SMTP command. */
static int plain_address(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || !at[1] || strchr(at + 1, '@') || strlen(s) > 254)
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("<>,;:\"()[]\\", *p))
			return 0;
	return 1;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb < u->left ? size * nmemb : u->left;
	memcpy(buf, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* One SMTP transaction of msg from `from` to `to`; *code is the server's
 * last reply code (0 when it said nothing). */
static CURLcode smtp_attempt(struct chm_notifier *n, const char *from, const char *to,
			     const struct strbuf *msg, long *code)
{
	const struct chm_http_opts *ho = &n->o.http;
	CURL *c = curl_easy_init();
	struct curl_slist *rcpt = NULL;
	struct strbuf to_arg = STRBUF_INIT;
	struct upload up = { msg->buf, msg->len };

	*code = 0;
	if (!c)
		return CURLE_FAILED_INIT;
	strbuf_addf(&to_arg, "<%s>", to);
	rcpt = curl_slist_append(rcpt, to_arg.buf);
	curl_easy_setopt(c, CURLOPT_URL, n->o.smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* STARTTLS when the server offers it; smtps:// is TLS from the start.
	 * A login is never sent in clear: with one, a server that does not
	 * offer STARTTLS is refused. */
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)(n->o.smtp_login ? CURLUSESSL_ALL : CURLUSESSL_TRY));
	if (ho->cacert)
		curl_easy_setopt(c, CURLOPT_CAINFO, ho->cacert);
	if (n->o.smtp_login)
		curl_easy_setopt(c, CURLOPT_USERPWD, n->o.smtp_login);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ho->connect_timeout_ms ? ho->connect_timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ho->timeout_ms ? ho->timeout_ms : 60000L);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(c);
	strbuf_release(&to_arg);
	return cc;
}

static int send_email(struct chm_notifier *n, json_t *a, struct chm_err *err)
{
	const char *to = chm_json_str(a, "destination");
	if (!n->o.smtp_url)
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_NOT_CONFIGURED, "channel",
				   "an email alert needs --smtp-url");
	if (!plain_address(to))
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_DESTINATION, "destination",
				   "the rule's destination is not one email address");
	if (!plain_address(n->o.smtp_from))
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_FROM, "smtp_from", "--smtp-from is not one email address");

	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	struct strbuf msg = STRBUF_INIT, from = STRBUF_INIT;
	chm_notify_email(a, n->o.smtp_from, date, &msg);
	strbuf_addf(&from, "<%s>", n->o.smtp_from);
	char *masked = chm_redact_url(n->o.smtp_url);
	struct chm_http_attempts at;
	int rc = -1;

	chm_http_attempts_start(n->http, &at, "SMTP", masked);
	for (;;) {
		long code;
		CURLcode cc = smtp_attempt(n, from.buf, to, &msg, &code);
		if (cc == CURLE_OK) {
			rc = 0;
			break;
		}
		if (cc == CURLE_FAILED_INIT) {
			chm_err_set(err, CHM_EX_SOFTWARE, CHM_E_INTERNAL, "", "cannot initialize libcurl");
			break;
		}
		if (cc == CURLE_USE_SSL_FAILED) {
			chm_err_set(err, CHM_EX_CONFIG, CHM_E_TLS, "",
				    "SMTP %s: the server offers no STARTTLS, and the login is not sent in clear "
				    "(use smtps:// or a server with STARTTLS)", masked);
			break;
		}
		char reason[160];
		snprintf(reason, sizeof(reason), "%s%s%.0ld", curl_easy_strerror(cc), code ? ", server said " : "", code);
		/* 5xx from the server is a permanent refusal; the rest may pass */
		if ((code >= 500 && code <= 599) || cc == CURLE_LOGIN_DENIED) {
			chm_err_set(err, cc == CURLE_LOGIN_DENIED ? CHM_EX_CONFIG : CHM_EX_UNAVAILABLE,
				    CHM_E_UNAVAILABLE, "", "SMTP %s: %s; not retried", masked, reason);
			break;
		}
		if (chm_http_attempts_pause(n->http, &at, reason, -1, err))
			break;
	}
	free(masked);
	strbuf_release(&msg);
	strbuf_release(&from);
	return rc;
}

static int post(struct chm_notifier *n, const char *url, const char *body, const char *const *headers,
		size_t nheaders, int url_is_secret, struct chm_err *err)
{
	struct chm_http_post p = { body, strlen(body), headers, nheaders, url_is_secret };
	struct strbuf resp = STRBUF_INIT;
	int rc = chm_http_post(n->http, url, &p, &resp, NULL, err);
	strbuf_release(&resp);
	return rc;
}

static int send_webhook(struct chm_notifier *n, json_t *a, struct chm_err *err)
{
	const char *url = chm_json_str(a, "destination");
	if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_DESTINATION, "destination",
				   "a webhook rule's destination must be an http(s) URL");
	char *body = json_dumps(a, JSON_COMPACT);
	struct strbuf idem = STRBUF_INIT, sig = STRBUF_INIT;
	const char *headers[3];
	size_t nh = 0;

	headers[nh++] = "Content-Type: application/json";
	strbuf_adds(&idem, "Idempotency-Key: ");
	add_identity(&idem, a, ":", 0);
	headers[nh++] = idem.buf;
	if (n->o.webhook_secret) {
		unsigned char mac[EVP_MAX_MD_SIZE];
		unsigned int maclen = 0;
		HMAC(EVP_sha256(), n->o.webhook_secret, (int)strlen(n->o.webhook_secret),
		     (const unsigned char *)body, strlen(body), mac, &maclen);
		strbuf_adds(&sig, "X-CHM-Signature: sha256=");
		for (unsigned i = 0; i < maclen; i++)
			strbuf_addf(&sig, "%02x", mac[i]);
		headers[nh++] = sig.buf;
	}
	int rc = post(n, url, body, headers, nh, 0, err);
	free(body);
	strbuf_release(&idem);
	strbuf_release(&sig);
	return rc;
}

static int send_slack(struct chm_notifier *n, json_t *a, struct chm_err *err)
{
	if (!n->o.slack_webhook)
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_NOT_CONFIGURED, "channel",
				   "a slack alert needs the incoming-webhook URL (--slack-webhook-file, "
				   "$CREDENTIALS_DIRECTORY/slack-webhook or CHM_SLACK_WEBHOOK)");
	char *body = chm_notify_slack_json(a);
	const char *headers[] = { "Content-Type: application/json" };
	int rc = post(n, n->o.slack_webhook, body, headers, 1, 1, err);
	free(body);
	return rc;
}

/* The receiver an alert goes to, as messages name it. */
static void receiver_of(const struct chm_notifier *n, json_t *a, struct strbuf *out)
{
	const char *ch = chm_json_str(a, "channel");
	char *masked = NULL;
	if (!strcmp(ch, "slack")) {
		strbuf_adds(out, "the Slack webhook");
	} else if (!strcmp(ch, "webhook")) {
		masked = chm_redact_url(chm_json_str(a, "destination"));
		strbuf_addf(out, "the webhook %s", masked);
	} else {
		masked = n->o.smtp_url ? chm_redact_url(n->o.smtp_url) : NULL;
		strbuf_addf(out, "the SMTP server %s", masked ? masked : "(none)");
	}
	free(masked);
}

static int send_alert(struct chm_notifier *n, json_t *a, struct chm_err *err)
{
	const char *ch = chm_json_str(a, "channel");
	if (!strcmp(ch, "slack"))
		return send_slack(n, a, err);
	if (!strcmp(ch, "webhook"))
		return send_webhook(n, a, err);
	return send_email(n, a, err);
}

int chm_notify_deliver(struct chm_notifier *n, json_t *a, struct chm_err *err)
{
	struct strbuf who = STRBUF_INIT;
	int rc;
	receiver_of(n, a, &who);
	/* a receiver that hangs costs its retries once per run, not once per
	 * alert: the other channels' alerts must not wait behind it past the
	 * timer's time limit */
	if (json_object_get(n->down, who.buf)) {
		rc = chm_err_set(err, CHM_EX_UNAVAILABLE, CHM_E_UNAVAILABLE, "",
				 "not tried: %s stayed unavailable for an earlier alert of this run", who.buf);
	} else {
		rc = send_alert(n, a, err);
		if (rc && err->kind == CHM_E_UNAVAILABLE)
			json_object_set_new(n->down, who.buf, json_true());
	}
	strbuf_release(&who);
	return rc;
}

/* notify: an alert record delivered by its channel (chm-notify): a Slack
 * incoming-webhook POST, a signed webhook POST, or an email through SMTP. It
 * owns the messages a person reads (one headline, the same facts on every
 * channel) and escapes every text that comes from run data for its medium:
 * Slack mrkdwn, JSON, and email headers (no header injection through a
 * pipeline name or an error message). */
#ifndef CHM_NOTIFY_H
#define CHM_NOTIFY_H

#include <jansson.h>

#include "core/err.h"
#include "core/http.h"
#include "core/strbuf.h"

struct chm_notify_opts {
	const char *slack_webhook;   /* secret: the incoming-webhook URL, or NULL */
	const char *webhook_secret;  /* secret: HMAC-SHA256 key for X-CHM-Signature, or NULL */
	const char *smtp_url;        /* smtp://host[:port] (STARTTLS when offered) or smtps:// */
	const char *smtp_from;       /* envelope and From: address */
	const char *smtp_login;      /* secret: "user:password", or NULL */
	struct chm_http_opts http;   /* timeouts, retries, CA for every channel */
};

struct chm_notifier;

struct chm_notifier *chm_notifier_new(const struct chm_notify_opts *o, struct chm_err *err);
void chm_notifier_free(struct chm_notifier *n);

/* Delivers one alert record (chm_alert_check passed). 0, or -1 with err:
 * 69 when the receiver failed or stayed unavailable after the retries, 78
 * when its channel is not configured (no webhook URL, no SMTP server). A
 * receiver that stayed unavailable is not tried again by this notifier:
 * its later alerts fail at once (69), to be sent by the next run. */
int chm_notify_deliver(struct chm_notifier *n, json_t *alert, struct chm_err *err);

/* The messages, as chm-notify sends them and `chm rule test` shows them. */
/* "[CHM] FIRING acme/orders_daily: 3 failures in 60 min" */
void chm_notify_subject(json_t *alert, struct strbuf *out);
/* The plain-text body: the facts, one per line, then the runs and the error. */
void chm_notify_text(json_t *alert, struct strbuf *out);
/* The Slack webhook JSON (text and blocks). */
char *chm_notify_slack_json(json_t *alert);
/* The RFC 5322 message for email, CRLF line ends. date: RFC 5322 date. */
void chm_notify_email(json_t *alert, const char *from, const char *date, struct strbuf *out);

#endif

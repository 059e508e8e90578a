#include "redact.h"

#include <stdlib.h>
#include <string.h>

/* Key words after folding: lower case, separators (_ - . space) dropped, so
 * api_key, apiKey, API-KEY and x-api-key all contain "apikey". A substring
 * match errs on the side of hiding: db_password, client_secret,
 * access_token, aws_secret_access_key are all caught. Grouped by first
 * letter: this runs for every key of every payload. */
struct word {
	const char *w;
	size_t n;
};
#define W(s) { s, sizeof(s) - 1 }
static const struct word words_a[] = { W("apikey"), W("authorization"), W("accesskey"), { NULL, 0 } };
static const struct word words_c[] = { W("credential"), W("cookie"), { NULL, 0 } };
static const struct word words_p[] = { W("password"), W("passwd"), W("passphrase"), W("privatekey"),
				       { NULL, 0 } };
static const struct word words_s[] = { W("secret"), W("sessionkey"), W("signingkey"), W("signature"),
				       { NULL, 0 } };
static const struct word words_t[] = { W("token"), { NULL, 0 } };
/* Short names that are secrets only as the whole key (not "author", "passenger"). */
static const struct word exact[] = { W("pwd"), W("pass"), W("auth"), { NULL, 0 } };

int chm_redact_key(const char *key, size_t len)
{
	char stack[128], *fold = stack;
	size_t n = 0;
	int found = 0;

	/* the whole key: a secret word may come after a long prefix */
	if (len >= sizeof(stack))
		fold = chm_xmalloc(len + 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c == '_' || c == '-' || c == '.' || c == ' ')
			continue;
		fold[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	for (const struct word *w = exact; w->w && !found; w++)
		found = n == w->n && memcmp(fold, w->w, n) == 0;
	for (size_t i = 0; !found && i + 5 <= n; i++) {
		const struct word *w;
		switch (fold[i]) {
		case 'a': w = words_a; break;
		case 'c': w = words_c; break;
		case 'p': w = words_p; break;
		case 's': w = words_s; break;
		case 't': w = words_t; break;
		default: continue;
		}
		for (; w->w && !found; w++)
			found = i + w->n <= n && memcmp(fold + i, w->w, w->n) == 0;
	}
	if (fold != stack)
		free(fold);
	return found;
}

static int url_char_end(char c)
{
	return c == '\0' || c == '/' || c == '?' || c == '#' || c == ' ' || c == '"' || c == '\'' ||
	       c == '\n' || c == '\t' || c == '<' || c == '>';
}

static int query_end(char c)
{
	return c == '\0' || c == '#' || c == ' ' || c == '"' || c == '\'' || c == '\n' || c == '\t' ||
	       c == '<' || c == '>';
}

static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* A redacted copy, built as secrets are found left to right: the text up to
 * each one, CHM_REDACTED, and on from its end. */
struct splice {
	const char *copied;   /* the input not yet in buf */
	size_t count;
	struct strbuf buf;
};

static void splice_redact(struct splice *sp, const char *from, const char *to)
{
	strbuf_add(&sp->buf, sp->copied, (size_t)(from - sp->copied));
	strbuf_adds(&sp->buf, CHM_REDACTED);
	sp->copied = to;
	sp->count++;
}

/* Appends the copy to out when anything was redacted; the count. */
static size_t splice_finish(struct splice *sp, const char *end, struct strbuf *out)
{
	if (sp->count) {
		strbuf_add(&sp->buf, sp->copied, (size_t)(end - sp->copied));
		strbuf_add(out, sp->buf.buf, sp->buf.len);
	}
	strbuf_release(&sp->buf);
	return sp->count;
}

/* name=value pairs with a secret name, as in a libpq conninfo, an ODBC
 * string or an environment dump: "host=db password=x", "PGPASSWORD=x".
 * out NULL: only whether anything would change (1 or 0). */
static size_t redact_pairs(const char *s, size_t len, struct strbuf *out)
{
	const char *p = s, *end = s + len;
	struct splice sp = { s, 0, STRBUF_INIT };

	while (p < end) {
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (!eq)
			break;
		const char *name = eq;
		while (name > sp.copied && name > s && key_char(name[-1]))
			name--;
		const char *val = eq + 1, *q = val;
		char quote = q < end && (*q == '\'' || *q == '"') ? *q : 0;
		if (quote) {
			q++;
			while (q < end && *q != quote)
				q++;
			if (q < end)
				q++;
		} else {
			while (q < end && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r' &&
			       *q != '&' && *q != ';' && *q != ',' && *q != '"' && *q != '\'' && *q != ')')
				q++;
		}
		size_t vlen = (size_t)(q - val);
		if (name < eq && vlen && chm_redact_key(name, (size_t)(eq - name)) &&
		    !(vlen == strlen(CHM_REDACTED) && memcmp(val, CHM_REDACTED, vlen) == 0)) {
			if (!out)
				return 1;
			splice_redact(&sp, val, q);
		}
		p = q > eq ? q : eq + 1;
	}
	return splice_finish(&sp, end, out);
}

/* out NULL: only whether anything would change, as redact_pairs. */
static size_t redact_urls(const char *s, size_t len, struct strbuf *out);

int chm_redact_text_changes(const char *s, size_t len)
{
	if (redact_urls(s, len, NULL))
		return 1;
	return memchr(s, '=', len) && redact_pairs(s, len, NULL);
}

size_t chm_redact_text(const char *s, size_t len, struct strbuf *out)
{
	/* the common case, nothing to change, costs no buffer */
	if (!chm_redact_text_changes(s, len))
		return 0;
	struct strbuf urls = STRBUF_INIT;
	size_t n = redact_urls(s, len, &urls);
	size_t m = 0;

	if (memchr(n ? urls.buf : s, '=', n ? urls.len : len))
		m = redact_pairs(n ? urls.buf : s, n ? urls.len : len, out);
	if (n && !m)
		strbuf_add(out, urls.buf, urls.len);
	strbuf_release(&urls);
	return n + m;
}

static size_t redact_urls(const char *s, size_t len, struct strbuf *out)
{
	const char *p = s, *end = s + len;
	struct splice sp = { s, 0, STRBUF_INIT };

	/* most strings (ids, times) have no '/': memchr is the cheap test */
	if (len < 4 || !memchr(s, '/', len) || !memmem(s, len, "://", 3))
		return 0;
	while (p < end) {
		const char *sep = memmem(p, (size_t)(end - p), "://", 3);
		if (!sep)
			break;
		const char *auth = sep + 3, *q = auth, *at = NULL;
		while (q < end && !url_char_end(*q)) {
			if (*q == '@')
				at = q;
			q++;
		}
		if (at && at > auth) {
			if (!out)
				return 1;
			splice_redact(&sp, auth, at);
		}
		/* the rest of the URL: path, then query parameters */
		while (q < end && *q != '?' && !query_end(*q))
			q++;
		if (q < end && *q == '?') {
			q++;
			while (q < end && !query_end(*q)) {
				const char *name = q;
				while (q < end && *q != '=' && *q != '&' && !query_end(*q))
					q++;
				if (q < end && *q == '=') {
					int secret = chm_redact_key(name, (size_t)(q - name));
					const char *val = ++q;
					while (q < end && *q != '&' && !query_end(*q))
						q++;
					if (secret && q > val) {
						if (!out)
							return 1;
						splice_redact(&sp, val, q);
					}
				}
				if (q < end && *q == '&')
					q++;
			}
		}
		p = q > sep ? q : sep + 3;
	}
	return splice_finish(&sp, end, out);
}

static size_t redact_string(json_t *v)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = chm_redact_text(json_string_value(v), json_string_length(v), &sb);
	if (n)
		json_string_setn_nocheck(v, sb.buf, sb.len);
	strbuf_release(&sb);
	return n;
}

size_t chm_redact_json(json_t *v)
{
	size_t n = 0;
	const char *key;
	json_t *val;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		void *iter = json_object_iter(v);
		while (iter) {
			key = json_object_iter_key(iter);
			val = json_object_iter_value(iter);
			if (!json_is_null(val) && chm_redact_key(key, strlen(key))) {
				if (!json_is_string(val) || strcmp(json_string_value(val), CHM_REDACTED) != 0) {
					json_object_iter_set_new(v, iter, json_string(CHM_REDACTED));
					n++;
				}
			} else if (json_is_object(val) || json_is_array(val) || json_is_string(val)) {
				n += chm_redact_json(val);
			}
			iter = json_object_iter_next(v, iter);
		}
		break;
	}
	case JSON_ARRAY:
		json_array_foreach(v, i, val)
			n += chm_redact_json(val);
		break;
	case JSON_STRING:
		n += redact_string(v);
		break;
	default:
		break;
	}
	return n;
}

char *chm_redact_url(const char *url)
{
	struct strbuf out = STRBUF_INIT;
	if (!url)
		return chm_xstrdup("");
	if (chm_redact_text(url, strlen(url), &out) == 0)
		return chm_xstrdup(url);
	return strbuf_detach(&out);
}

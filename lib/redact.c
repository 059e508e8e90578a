#include "redact.h"

#include <string.h>

/* Key words after folding: lower case, separators (_ - . space) dropped, so
 * api_key, apiKey, API-KEY and x-api-key all contain "apikey". A substring
 * match errs on the side of hiding: db_password, client_secret,
 * access_token, aws_secret_access_key are all caught. Grouped by first
 * letter: this runs for every key of every payload. */
static const char *const words_a[] = { "apikey", "authorization", "accesskey", NULL };
static const char *const words_c[] = { "credential", NULL };
static const char *const words_p[] = { "password", "passwd", "passphrase", "privatekey", NULL };
static const char *const words_s[] = { "secret", "sessionkey", "signingkey", NULL };
static const char *const words_t[] = { "token", NULL };

int chm_redact_key(const char *key, size_t len)
{
	char fold[128];
	size_t n = 0;

	for (size_t i = 0; i < len && n < sizeof(fold) - 1; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c == '_' || c == '-' || c == '.' || c == ' ')
			continue;
		fold[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	if (n < 5)
		return 0;
	for (size_t i = 0; i + 5 <= n; i++) {
		const char *const *w;
		switch (fold[i]) {
		case 'a': w = words_a; break;
		case 'c': w = words_c; break;
		case 'p': w = words_p; break;
		case 's': w = words_s; break;
		case 't': w = words_t; break;
		default: continue;
		}
		for (; *w; w++) {
			size_t wl = strlen(*w);
			if (i + wl <= n && memcmp(fold + i, *w, wl) == 0)
				return 1;
		}
	}
	return 0;
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

size_t chm_redact_text(const char *s, size_t len, struct strbuf *out)
{
	const char *p = s, *end = s + len, *copied = s;
	size_t count = 0;
	struct strbuf tmp = STRBUF_INIT;

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
			strbuf_add(&tmp, copied, (size_t)(auth - copied));
			strbuf_adds(&tmp, CHM_REDACTED);
			copied = at;
			count++;
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
						strbuf_add(&tmp, copied, (size_t)(val - copied));
						strbuf_adds(&tmp, CHM_REDACTED);
						copied = q;
						count++;
					}
				}
				if (q < end && *q == '&')
					q++;
			}
		}
		p = q > sep ? q : sep + 3;
	}
	if (count) {
		strbuf_add(&tmp, copied, (size_t)(end - copied));
		strbuf_add(out, tmp.buf, tmp.len);
	}
	strbuf_release(&tmp);
	return count;
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

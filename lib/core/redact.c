#include "core/redact.h"

#include <stdint.h>
#include <stdlib.h>
#include <strings.h>
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
/* a session id is a login others can reuse (sessionid, session_id, PHPSESSID) */
static const struct word words_s[] = { W("secret"), W("sessionkey"), W("sessionid"), W("sessid"),
				       W("signingkey"), W("signature"), { NULL, 0 } };
static const struct word words_t[] = { W("token"), { NULL, 0 } };
/* Short names that are secrets only as the whole key (not "author", "passenger"). */
static const struct word exact[] = { W("pwd"), W("pw"), W("pass"), W("auth"), W("key"), W("hmac"), { NULL, 0 } };

static int key_is_secret(const char *key, size_t len);

/* Payload keys repeat from record to record ("attempt", "schedule"), and
 * folding and scanning each one again was a tenth of chm-load's CPU: the
 * answer for a short key is kept (the programs are single-threaded). */
#define KEY_CACHE 512
static struct key_answer {
	unsigned char n;
	char found;
	char key[30];
} key_cache[KEY_CACHE];

int chm_redact_key(const char *key, size_t len)
{
	if (len >= sizeof(key_cache[0].key))
		return key_is_secret(key, len);
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	/* zeroed, an entry is the empty key, which is no secret */
	struct key_answer *e = &key_cache[h % KEY_CACHE];
	if (e->n == len && memcmp(e->key, key, len) == 0)
		return e->found;
	e->n = (unsigned char)len;
	memcpy(e->key, key, len);
	e->found = (char)key_is_secret(key, len);
	return e->found;
}

static int key_is_secret(const char *key, size_t len)
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

static int space_char(char c)
{
	return c == ' ' || c == '\t';
}

static int line_end(char c)
{
	return c == '\n' || c == '\r';
}

static int lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0;
}

/* Names that are secrets only in a URL's query string: an OAuth code, a
 * signed URL's sig, a jwt or bearer parameter. As JSON keys they are
 * ordinary words ("code": 200). */
static const struct word query_exact[] = { W("sig"), W("jwt"), W("code"), W("bearer"), { NULL, 0 } };

static int exact_word(const struct word *list, const char *s, size_t n)
{
	for (const struct word *w = list; w->w; w++) {
		if (w->n != n)
			continue;
		size_t i = 0;
		while (i < n && lower(s[i]) == w->w[i])
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

/* A name in text (name=value, name: value) whose value is a secret. The
 * short names count unless the value is a plain number: dbt's summary
 * "PASS=3 WARN=0" counts tests, it holds no password. */
static int text_secret(const char *name, size_t nlen, const char *val, size_t vlen)
{
	if (!chm_redact_key(name, nlen))
		return 0;
	return !(exact_word(exact, name, nlen) && all_digits(val, vlen));
}

/* ---- text: every rule adds the spans it would replace; they are merged
 * and replaced in one copy. */

struct span {
	size_t from, to;
};

struct hits {
	const char *s;
	size_t n, cap;
	struct span *v;
	struct span local[8];
	int probe;            /* only whether there is any: stop at the first */
};

static int is_redacted(const char *s, size_t from, size_t to)
{
	return to - from == sizeof(CHM_REDACTED) - 1 && memcmp(s + from, CHM_REDACTED, to - from) == 0;
}

/* Records s[from..to) as a secret, unless it is empty or already redacted
 * (redacting twice changes nothing: chm-load redacts what chm-normalize
 * wrote). 1 when the caller may stop looking. */
static int hit(struct hits *h, size_t from, size_t to)
{
	if (to <= from || is_redacted(h->s, from, to))
		return 0;
	if (h->n == h->cap) {
		size_t cap = h->cap * 2;
		struct span *v = chm_xmalloc(cap * sizeof(*v));
		memcpy(v, h->v, h->n * sizeof(*v));
		if (h->v != h->local)
			free(h->v);
		h->v = v;
		h->cap = cap;
	}
	h->v[h->n].from = from;
	h->v[h->n].to = to;
	h->n++;
	return h->probe;
}

/* A URL's user:password@ and its secret-named query parameters. */
/* Webhook URLs whose path is the credential (anyone who has it can post):
 * the host, and the path prefix after which everything is secret. */
static const struct {
	const char *host, *prefix;
} path_secrets[] = {
	{ "hooks.slack.com", "/services/" },
	{ "hooks.slack.com", "/workflows/" },
	{ "hooks.slack.com", "/triggers/" },
	{ "discord.com", "/api/webhooks/" },
	{ "discordapp.com", "/api/webhooks/" },
};

/* The secret part of a webhook URL's path from path (its host is
 * host[0..hlen)), up to its query or its end: a span, or 0. */
static int path_secret(const char *host, size_t hlen, const char *path, const char *end, const char **from,
		       const char **to)
{
	for (size_t i = 0; i < sizeof(path_secrets) / sizeof(path_secrets[0]); i++) {
		size_t n = strlen(path_secrets[i].host), pn = strlen(path_secrets[i].prefix);
		if (hlen != n || strncasecmp(host, path_secrets[i].host, n) != 0 || (size_t)(end - path) <= pn ||
		    memcmp(path, path_secrets[i].prefix, pn) != 0)
			continue;
		*from = path + pn;
		*to = *from;
		while (*to < end && **to != '?' && !query_end(**to))
			(*to)++;
		return *to > *from;
	}
	return 0;
}

static int rule_urls(const char *s, size_t len, struct hits *h)
{
	const char *p = s, *end = s + len;

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
		if (at && at > auth && hit(h, (size_t)(auth - s), (size_t)(at - s)))
			return 1;
		const char *host = at ? at + 1 : auth, *pfrom, *pto;
		if (path_secret(host, (size_t)(q - host), q, end, &pfrom, &pto) &&
		    hit(h, (size_t)(pfrom - s), (size_t)(pto - s)))
			return 1;
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
					size_t nlen = (size_t)(q - name);
					int secret = chm_redact_key(name, nlen) || exact_word(query_exact, name, nlen);
					const char *val = ++q;
					while (q < end && *q != '&' && !query_end(*q))
						q++;
					if (secret && hit(h, (size_t)(val - s), (size_t)(q - s)))
						return 1;
				}
				if (q < end && *q == '&')
					q++;
			}
		}
		p = q > sep ? q : sep + 3;
	}
	return 0;
}

/* The end of a value that starts at q: its closing quote when quoted (the
 * span then excludes the quotes), else the first of stops or a line end. */
static void value_extent(const char *q, const char *end, const char *stops, const char **from,
			 const char **to)
{
	char quote = q < end && (*q == '\'' || *q == '"') ? *q : 0;
	if (quote) {
		const char *v = ++q;
		while (q < end && *q != quote && !line_end(*q))
			q++;
		*from = v;
		*to = q;
		return;
	}
	*from = q;
	while (q < end && !line_end(*q) && !strchr(stops, *q))
		q++;
	*to = q;
}

/* name=value pairs with a secret name, as in a libpq conninfo, an ODBC
 * string, an environment dump or a command line: "host=db password=x",
 * "PGPASSWORD=x", "--token=x". */
static int rule_pairs(const char *s, size_t len, struct hits *h)
{
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (!eq)
			break;
		const char *name = eq;
		while (name > s && key_char(name[-1]))
			name--;
		const char *from, *to;
		value_extent(eq + 1, end, " \t&;,\"')", &from, &to);
		if (name < eq && text_secret(name, (size_t)(eq - name), from, (size_t)(to - from)) &&
		    hit(h, (size_t)(from - s), (size_t)(to - s)))
			return 1;
		p = to > eq ? to : eq + 1;
	}
	return 0;
}

static int starts_with_word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != w[i])
			return 0;
	return 1;
}

/* name: value, as in a header (curl -v's "> Authorization: ..."), YAML, a
 * log line, or JSON and Python dicts inside a string ("password": "x").
 * A quoted name's unquoted value ends at , } or ]; any other at the line's
 * end. A "Bearer x" value is left to rule_bearer, which keeps the word. */
static int rule_colons(const char *s, size_t len, struct hits *h)
{
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (!colon)
			break;
		p = colon + 1;
		const char *ne = colon;
		char quote = 0;
		if (ne > s && (ne[-1] == '"' || ne[-1] == '\'')) {
			quote = ne[-1];
			ne--;
		}
		/* times (10:00:00) and ports: a digit before the colon names nothing */
		if (ne == s || !key_char(ne[-1]) || (!quote && ne[-1] >= '0' && ne[-1] <= '9'))
			continue;
		const char *name = ne;
		while (name > s && key_char(name[-1]))
			name--;
		if (quote && (name == s || name[-1] != quote))
			continue;
		const char *q = colon + 1;
		while (q < end && space_char(*q))
			q++;
		if (q + 1 < end && *q == '\\' && (q[1] == '"' || q[1] == '\''))
			q++;
		if (starts_with_word(q, end, "bearer "))
			continue;
		const char *from, *to;
		value_extent(q, end, quote ? ",}]" : "", &from, &to);
		while (to > from && (to[-1] == ' ' || to[-1] == '\\'))
			to--;
		if (text_secret(name, (size_t)(ne - name), from, (size_t)(to - from)) &&
		    hit(h, (size_t)(from - s), (size_t)(to - s)))
			return 1;
		p = to > p ? to : p;
	}
	return 0;
}

/* "Bearer x" wherever it stands: a header, a curl command, a message. */
static int rule_bearer(const char *s, size_t len, struct hits *h)
{
	const char *p = s, *end = s + len;

	while (p + 7 < end) {
		const char *b = p;
		while (b + 7 < end && lower(*b) != 'b')
			b++;
		if (b + 7 >= end)
			break;
		p = b + 1;
		if (!starts_with_word(b, end, "bearer") || (b > s && key_char(b[-1])))
			continue;
		const char *q = b + 6;
		if (!space_char(*q))
			continue;
		while (q < end && space_char(*q))
			q++;
		const char *t = q;
		while (q < end && !space_char(*q) && !line_end(*q) && *q != '"' && *q != '\'' && *q != ',')
			q++;
		if (hit(h, (size_t)(t - s), (size_t)(q - s)))
			return 1;
		p = q;
	}
	return 0;
}

/* A PEM private key, under any key or inside any text: the body between
 * its BEGIN and END lines (to the end of the text when cut). */
static int rule_pem(const char *s, size_t len, struct hits *h)
{
	const char *p = s, *end = s + len;

	while ((p = memmem(p, (size_t)(end - p), "-----BEGIN ", 11)) != NULL) {
		const char *hdr_end = memmem(p + 11, (size_t)(end - p - 11), "-----", 5);
		if (!hdr_end)
			break;
		const char *body = hdr_end + 5;
		if (!memmem(p, (size_t)(hdr_end - p), "PRIVATE", 7)) {
			p = body;
			continue;
		}
		const char *fin = memmem(body, (size_t)(end - body), "-----END ", 9);
		if (!fin)
			fin = end;
		if (hit(h, (size_t)(body - s), (size_t)(fin - s)))
			return 1;
		p = fin;
	}
	return 0;
}

/* Oracle's user/password@host (sqlplus, JDBC thin): the password. The user
 * must open a word, so paths (dir/file@v2 inside a/b) are left alone
 * unless they stand alone. */
static int rule_slash_at(const char *s, size_t len, struct hits *h)
{
	const char *p = s, *end = s + len;

	while ((p = memchr(p, '@', (size_t)(end - p))) != NULL) {
		const char *at = p++;
		if (p >= end || !key_char(*p))
			continue;
		const char *pw = at;
		while (pw > s && pw[-1] != '/' && !space_char(pw[-1]) && pw[-1] != ':' && pw[-1] != '"' &&
		       pw[-1] != '\'' && pw[-1] != '@')
			pw--;
		if (pw == s || pw[-1] != '/' || pw == at)
			continue;
		const char *user = pw - 1;
		while (user > s && key_char(user[-1]))
			user--;
		if (user == pw - 1)
			continue;
		if (user > s && !(space_char(user[-1]) || user[-1] == ':' || user[-1] == '=' ||
				  user[-1] == '"' || user[-1] == '\'' || line_end(user[-1])))
			continue;
		if (hit(h, (size_t)(pw - s), (size_t)(at - s)))
			return 1;
	}
	return 0;
}

/* A line of a .pgpass file: host:port:database:user:password. */
static int rule_pgpass(const char *s, size_t len, struct hits *h)
{
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *eol = p;
		while (eol < end && !line_end(*eol))
			eol++;
		const char *f[5];
		int k = 0;
		f[k++] = p;
		for (const char *q = p; q < eol && k < 5; q++) {
			if (*q == '\\' && q + 1 < eol)
				q++;
			else if (*q == ':')
				f[k++] = q + 1;
			else if (space_char(*q))
				break;
		}
		if (k == 5 && f[1] - f[0] > 1 && !memchr(f[4], ':', (size_t)(eol - f[4]))) {
			size_t plen = (size_t)(f[2] - 1 - f[1]);
			if ((all_digits(f[1], plen) || (plen == 1 && *f[1] == '*')) &&
			    hit(h, (size_t)(f[4] - s), (size_t)(eol - s)))
				return 1;
		}
		p = eol < end ? eol + 1 : eol;
	}
	return 0;
}

/* mysql's -pSECRET on a command line. */
static int rule_dash_p(const char *s, size_t len, struct hits *h)
{
	for (size_t i = 0; i + 2 < len; i++) {
		if (s[i] != '-' || s[i + 1] != 'p' || (i > 0 && !space_char(s[i - 1])))
			continue;
		size_t j = i + 2;
		if (space_char(s[j]) || line_end(s[j]) || s[j] == '-' || s[j] == '=')
			continue;
		while (j < len && !space_char(s[j]) && !line_end(s[j]) && s[j] != '"' && s[j] != '\'')
			j++;
		if (hit(h, i + 2, j))
			return 1;
	}
	return 0;
}

/* Every rule, each only when its mark is in the text. */
static void find_secrets(const char *s, size_t len, struct hits *h)
{
	int eq = memchr(s, '=', len) != NULL, colon = memchr(s, ':', len) != NULL;
	int at = memchr(s, '@', len) != NULL, sp = memchr(s, ' ', len) != NULL;

	if (colon && rule_urls(s, len, h))
		return;
	if (eq && rule_pairs(s, len, h))
		return;
	if (colon && rule_colons(s, len, h))
		return;
	if (sp && rule_bearer(s, len, h))
		return;
	if (sp && memchr(s, '-', len) && (rule_pem(s, len, h) || rule_dash_p(s, len, h)))
		return;
	if (at && rule_slash_at(s, len, h))
		return;
	if (colon && rule_pgpass(s, len, h))
		return;
}

static void hits_init(struct hits *h, const char *s, int probe)
{
	h->s = s;
	h->n = 0;
	h->cap = sizeof(h->local) / sizeof(h->local[0]);
	h->v = h->local;
	h->probe = probe;
}

static void hits_release(struct hits *h)
{
	if (h->v != h->local)
		free(h->v);
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->from < y->from ? -1 : x->from > y->from;
}

int chm_redact_text_changes(const char *s, size_t len)
{
	struct hits h;
	hits_init(&h, s, 1);
	find_secrets(s, len, &h);
	hits_release(&h);
	return h.n > 0;
}

size_t chm_redact_text(const char *s, size_t len, struct strbuf *out)
{
	struct hits h;
	size_t copied = 0, count = 0;

	hits_init(&h, s, 0);
	find_secrets(s, len, &h);
	if (!h.n) {
		hits_release(&h);
		return 0;
	}
	qsort(h.v, h.n, sizeof(*h.v), span_cmp);
	for (size_t i = 0; i < h.n; i++) {
		size_t from = h.v[i].from, to = h.v[i].to;
		/* overlapping spans (a URL's query inside a name: value) are one */
		if (from < copied) {
			if (to <= copied)
				continue;
			from = copied;
		} else {
			strbuf_add(out, s + copied, from - copied);
			strbuf_adds(out, CHM_REDACTED);
			count++;
		}
		copied = to;
	}
	strbuf_add(out, s + copied, len - copied);
	hits_release(&h);
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

/* The name/value pair shape of Kubernetes env, Airflow connections and CI
 * variables: {"name": "DB_PASSWORD", "value": "x"} hides its secret in a
 * member named "value". */
static size_t redact_name_value(json_t *obj)
{
	static const char *const names[] = { "name", "Name", "key", "Key", NULL };
	static const char *const values[] = { "value", "Value", NULL };
	json_t *val = NULL;
	const char *vkey = NULL;

	for (int i = 0; values[i] && !val; i++)
		if ((val = json_object_get(obj, values[i])) != NULL)
			vkey = values[i];
	if (!val || json_is_null(val) || (json_is_string(val) && strcmp(json_string_value(val), CHM_REDACTED) == 0))
		return 0;
	for (int i = 0; names[i]; i++) {
		json_t *nm = json_object_get(obj, names[i]);
		if (json_is_string(nm) && chm_redact_key(json_string_value(nm), json_string_length(nm))) {
			json_object_set_new(obj, vkey, json_string(CHM_REDACTED));
			return 1;
		}
	}
	return 0;
}

size_t chm_redact_json(json_t *v)
{
	size_t n = 0;
	const char *key;
	json_t *val;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		n += redact_name_value(v);
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

int chm_redact_pair_key(const char *key, size_t len)
{
	return len == 5 && (memcmp(key, "value", 5) == 0 || memcmp(key, "Value", 5) == 0);
}

size_t chm_redact_line(const char *s, size_t len, struct strbuf *out)
{
	json_error_t jerr;
	json_t *v = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	size_t n;

	/* an integer beyond 64 bits: read as a double, the secrets are the same */
	if (!v)
		v = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);

	if (!v)
		return chm_redact_text(s, len, out);
	n = chm_redact_json(v);
	if (n) {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		strbuf_adds(out, text ? text : "null");
		free(text);
	}
	json_decref(v);
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

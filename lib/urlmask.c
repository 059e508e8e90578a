#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "urlmask.h"
#include "strbuf.h"

#define MASK "[redacted]"

/* Names compared case-insensitively; a name that contains one of the
 * substrings (e.g. x-api-key, client_secret, sessionToken) is masked too. */
static const char *const secret_parts[] = {
	"token", "secret", "password", "passwd", "pwd", "apikey", "api_key", "api-key",
	"signature", "credential", "auth", "session", NULL,
};
static const char *const secret_exact[] = { "key", "sig", "code", "pass", NULL };

static int has_part(const char *name, size_t len, const char *part)
{
	size_t pl = strlen(part);
	for (size_t i = 0; i + pl <= len; i++)
		if (strncasecmp(name + i, part, pl) == 0)
			return 1;
	return 0;
}

int chm_urlmask_is_secret_name(const char *name, size_t len)
{
	for (int i = 0; secret_exact[i]; i++)
		if (strlen(secret_exact[i]) == len && strncasecmp(name, secret_exact[i], len) == 0)
			return 1;
	for (int i = 0; secret_parts[i]; i++)
		if (has_part(name, len, secret_parts[i]))
			return 1;
	return 0;
}

char *chm_urlmask(const char *url)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = url, *auth_start = url;
	const char *scheme = strstr(url, "://");

	if (!url)
		return chm_xstrdup("");
	if (scheme)
		auth_start = scheme + 3;
	/* userinfo: everything before '@' in the authority, which ends at / ? # */
	size_t alen = strcspn(auth_start, "/?#");
	const char *at = NULL;
	for (const char *q = auth_start; q < auth_start + alen; q++)
		if (*q == '@')
			at = q;
	if (at) {
		strbuf_add(&sb, url, (size_t)(auth_start - url));
		strbuf_adds(&sb, MASK);
		p = at;
	}
	const char *query = strchr(p, '?');
	if (!query) {
		strbuf_adds(&sb, p);
		return strbuf_detach(&sb);
	}
	strbuf_add(&sb, p, (size_t)(query - p + 1));
	p = query + 1;
	while (*p && *p != '#') {
		size_t plen = strcspn(p, "&#");
		size_t nlen = strcspn(p, "=&#");
		if (nlen < plen && chm_urlmask_is_secret_name(p, nlen)) {
			strbuf_add(&sb, p, nlen + 1);
			strbuf_adds(&sb, MASK);
		} else {
			strbuf_add(&sb, p, plen);
		}
		p += plen;
		if (*p == '&')
			strbuf_addc(&sb, *p++);
	}
	strbuf_adds(&sb, p); /* the fragment */
	return strbuf_detach(&sb);
}

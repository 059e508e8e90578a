/* pager: the helpers the sources' pagers share (pager.h). */
#include "sources/pager.h"

#include <stdio.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/http.h"
#include "core/strbuf.h"

int chm_pager_time(json_t *v, int64_t *usec)
{
	struct chm_err e;
	if (json_is_string(v))
		return chm_time_parse(json_string_value(v), CHM_TIME_ALLOW_NO_ZONE, usec, NULL, "", &e) ? 1 : 0;
	if (json_is_number(v)) {
		double d = json_number_value(v);
		return chm_time_from_epoch(d, d > 1e11, usec) ? 1 : 0;
	}
	return 1;
}

void chm_pager_add_param(struct strbuf *url, const char *name, const char *value)
{
	strbuf_addc(url, strchr(url->buf, '?') ? '&' : '?');
	chm_http_add_escaped(url, name);
	strbuf_addc(url, '=');
	chm_http_add_escaped(url, value);
}

void chm_pager_add_limit_offset(struct strbuf *url, int page_size, long offset)
{
	char num[32];
	snprintf(num, sizeof(num), "%d", page_size);
	chm_pager_add_param(url, "limit", num);
	snprintf(num, sizeof(num), "%ld", offset);
	chm_pager_add_param(url, "offset", num);
}

void chm_pager_add_base(struct strbuf *url, const char *base, const char *root, int *has_root)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	strbuf_add(url, base, n);
	if (has_root) {
		size_t rl = strlen(root);
		*has_root = n >= rl && strncmp(base + n - rl, root, rl) == 0;
	}
}

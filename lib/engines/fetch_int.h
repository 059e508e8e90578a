/* fetch_int: what fetch.c and fetch_raw.c share; not for programs. */
#ifndef CHM_FETCH_INT_H
#define CHM_FETCH_INT_H

#include <jansson.h>
#include <stddef.h>

struct strbuf;
/* The nitems elements of the array at path in body, compacted, end to end in
 * out; element k is out->buf[offs[k] .. offs[k+1]) (offs has nitems + 1
 * entries). -1 when the body does not look as expected. */
int chm_fetch_raw_items(const char *body, size_t n, const char *path, struct strbuf *out,
			size_t *offs, size_t nitems);
/* One item, the value s[0..n) (a span jansson parsed), compacted the same
 * way into out (reset first). -1 when it does not look as expected. */
int chm_fetch_raw_compact(const char *s, size_t n, struct strbuf *out);

#endif

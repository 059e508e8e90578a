#include "core/linereader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>

#include "core/strbuf.h"

#define BLOCK (64u << 10)

void line_reader_init(struct line_reader *lr, FILE *fp, const char *name, size_t max)
{
	memset(lr, 0, sizeof(*lr));
	lr->fp = fp;
	lr->name = name ? name : "-";
	lr->max = max ? max : CHM_LINE_MAX_DEFAULT;
	lr->blk = chm_xmalloc(BLOCK);
}

void line_reader_release(struct line_reader *lr)
{
	free(lr->buf);
	free(lr->blk);
	lr->buf = lr->blk = NULL;
}

static void append(struct line_reader *lr, size_t *len, const char *src, size_t n)
{
	if (*len >= lr->max) {
		lr->too_long = 1;
		return;
	}
	if (n > lr->max - *len) {
		n = lr->max - *len;
		lr->too_long = 1;
	}
	if (*len + n + 1 > lr->cap) {
		size_t cap = lr->cap ? lr->cap : 4096;
		while (cap < *len + n + 1)
			cap *= 2;
		lr->buf = chm_xrealloc(lr->buf, cap);
		lr->cap = cap;
	}
	memcpy(lr->buf + *len, src, n);
	*len += n;
}

int line_reader_next(struct line_reader *lr, const char **line, size_t *len_out, struct chm_err *err)
{
	size_t len = 0;
	int got = 0;

	lr->too_long = 0;
	for (;;) {
		if (lr->blk_pos == lr->blk_len) {
			if (lr->eof)
				break;
			/* read(2), not fread: a pipe gives what it has, so records
			 * flow through a pipeline as they come. */
			ssize_t n;
			if (lr->idle) {
				struct pollfd pfd = { .fd = fileno(lr->fp), .events = POLLIN };
				/* a short lull is not a pause: a producer slower than
				 * us must not cut every batch short */
				if (poll(&pfd, 1, 200) == 0 && lr->idle(lr->idle_arg, err))
					return -1;
			}
			do
				n = read(fileno(lr->fp), lr->blk, BLOCK);
			while (n < 0 && errno == EINTR && !(lr->interrupted && *lr->interrupted));
			lr->blk_pos = 0;
			lr->blk_len = n > 0 ? (size_t)n : 0;
			if (n < 0 && errno == EINTR)
				break;
			if (n < 0)
				return chm_err_set(err, CHM_EX_IOERR, CHM_E_READ_ERROR, "",
						   "%s: read error: %s", lr->name, strerror(errno));
			if (n == 0) {
				lr->eof = 1;
				break;
			}
		}
		char *start = lr->blk + lr->blk_pos;
		size_t avail = lr->blk_len - lr->blk_pos;
		char *nl = memchr(start, '\n', avail);
		got = 1;
		if (nl) {
			append(lr, &len, start, (size_t)(nl - start));
			lr->blk_pos += (size_t)(nl - start) + 1;
			goto done;
		}
		append(lr, &len, start, avail);
		lr->blk_pos = lr->blk_len;
	}
	if (!got)
		return 0;
done:
	if (!lr->buf) {
		lr->buf = chm_xmalloc(4096);
		lr->cap = 4096;
	}
	lr->buf[len] = '\0';
	lr->lineno++;
	*line = lr->buf;
	*len_out = len;
	return 1;
}

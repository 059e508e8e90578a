#include "core/reject.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/progress.h"
#include "core/record.h"
#include "core/redact.h"
#include "core/strbuf.h"

int chm_rejects_open(struct chm_rejects *rj, const char *program, const char *path,
		     struct chm_err *err)
{
	memset(rj, 0, sizeof(*rj));
	rj->program = program;
	rj->fd = -1;
	if (!path || strcmp(path, "-") == 0) {
		rj->fp = stderr;
		return 0;
	}
	/* rejects hold the original lines, secrets redacted or not: the owner's
	 * alone, as state files are. O_APPEND and one write(2) a reject keep
	 * the lines whole when several programs share one dead-letter file. */
	rj->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (rj->fd < 0)
		return chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "rejects", "cannot open rejects file %s: %s",
				   path, strerror(errno));
	rj->owned = 1;
	return 0;
}

int chm_rejects_close(struct chm_rejects *rj, struct chm_err *err)
{
	/* write_failed holds the errno of the first failed write */
	int bad = rj->write_failed;
	if (rj->fp && (fflush(rj->fp) != 0 || ferror(rj->fp)) && !bad)
		bad = errno ? errno : EIO;
	if (rj->owned && rj->fd >= 0 && close(rj->fd) != 0 && !bad)
		bad = errno ? errno : EIO;
	rj->fp = NULL;
	rj->fd = -1;
	if (bad)
		return chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "rejects",
				   "writing rejects failed: %s (%ld reject(s) may be lost)",
				   strerror(bad), rj->count);
	return 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) { len = 2; min = 0x80; }
	else if (c >= 0xe0 && c <= 0xef) { len = 3; min = 0x800; }
	else if (c >= 0xf0 && c <= 0xf4) { len = 4; min = 0x10000; }
	else return 0;
	if (n < len)
		return 0;
	unsigned cp = c & (0x3f >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

json_t *chm_json_string_lossy(const char *s, size_t len)
{
	json_t *v = json_stringn_nocheck(s, len);
	size_t i;
	for (i = 0; i < len;) {
		size_t k = s[i] ? utf8_seq((const unsigned char *)s + i, len - i) : 0;
		if (!k)
			break;
		i += k;
	}
	if (i == len)
		return v;
	json_decref(v);
	struct strbuf sb = STRBUF_INIT;
	for (i = 0; i < len;) {
		/* NUL too: PostgreSQL's text and jsonb refuse it */
		size_t k = s[i] ? utf8_seq((const unsigned char *)s + i, len - i) : 0;
		if (k) {
			strbuf_add(&sb, s + i, k);
			i += k;
		} else {
			strbuf_add(&sb, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	v = json_stringn_nocheck(sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	return v;
}

void chm_reject(struct chm_rejects *rj, const char *file, long line, enum chm_err_kind kind,
		const char *field, const char *message, const char *input, size_t input_len)
{
	json_t *r = json_object();
	int cut = input_len > CHM_REJECT_INPUT_MAX;

	/* a cut must not split a UTF-8 sequence: back up over continuation bytes */
	if (cut) {
		input_len = CHM_REJECT_INPUT_MAX;
		while (input_len > 0 && ((unsigned char)input[input_len] & 0xc0) == 0x80)
			input_len--;
	}
	json_object_set_new(r, "type", json_string("reject"));
	json_object_set_new(r, "program", json_string(rj->program));
	if (file && strcmp(file, "-") != 0)
		json_object_set_new(r, "file", chm_json_string_lossy(file, strlen(file)));
	json_object_set_new(r, "line", json_integer(line));
	json_object_set_new(r, "code", json_string(kind != CHM_E_NONE ? chm_err_code(kind) : "invalid"));
	json_object_set_new(r, "field", field && *field ? json_string(field) : json_null());
	/* a reject keeps the line for a replay, but not a secret in it */
	struct strbuf msg = STRBUF_INIT, clean = STRBUF_INIT;
	if (chm_redact_text(message, strlen(message), &msg))
		message = msg.buf;
	if (input && chm_redact_line(input, input_len, &clean)) {
		input = clean.buf;
		input_len = clean.len;
	}
	json_object_set_new(r, "message", chm_json_string_lossy(message, strlen(message)));
	json_object_set_new(r, "input", input ? chm_json_string_lossy(input, input_len) : json_null());
	strbuf_release(&msg);
	strbuf_release(&clean);
	if (cut)
		json_object_set_new(r, "input_truncated", json_true());
	if (rj->fd >= 0) {
		char *text = json_dumps(r, JSON_COMPACT);
		size_t n = text ? strlen(text) : 0;
		if (text) {
			text[n++] = '\n'; /* over the NUL: the line goes out in one write */
			ssize_t w;
			do
				w = write(rj->fd, text, n);
			while (w < 0 && errno == EINTR);
			if ((w < 0 || (size_t)w != n) && !rj->write_failed)
				rj->write_failed = w < 0 ? errno : EIO;
			free(text);
		} else if (!rj->write_failed) {
			rj->write_failed = ENOMEM;
		}
	} else if (rj->fp) {
		chm_progress_interrupt();   /* a reject on a line of its own */
		if (chm_record_write(rj->fp, r) != 0 && !rj->write_failed)
			rj->write_failed = errno ? errno : EIO;
	}
	json_decref(r);
	rj->count++;
	rj->by_kind[(unsigned)kind < CHM_E_KIND_COUNT ? kind : CHM_E_NONE]++;
}

int chm_rejects_summary(const struct chm_rejects *rj, char *buf, size_t size)
{
	int done[CHM_E_KIND_COUNT] = { 0 };
	size_t n;

	if (!rj->count || !size)
		return 0;
	n = (size_t)snprintf(buf, size, "%ld rejected:", rj->count);
	for (;;) {
		int best = -1;
		for (int k = 0; k < CHM_E_KIND_COUNT; k++)
			if (!done[k] && rj->by_kind[k] && (best < 0 || rj->by_kind[k] > rj->by_kind[best]))
				best = k;
		if (best < 0 || n >= size)
			break;
		done[best] = 1;
		n += (size_t)snprintf(buf + n, size - n, "%s %s %ld", n > 0 && buf[n - 1] != ':' ? "," : "",
				      best ? chm_err_code((enum chm_err_kind)best) : "invalid", rj->by_kind[best]);
	}
	return 1;
}

void chm_reject_err(struct chm_rejects *rj, const char *file, long line, const struct chm_err *e,
		    const char *input, size_t input_len)
{
	chm_reject(rj, file, line, e->kind, e->field, e->msg, input, input_len);
}

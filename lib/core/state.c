#include "core/state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include <time.h>

#include "core/strbuf.h"

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A temporary this long unrenamed belongs to a writer that was killed. */
#define STALE_TEMPORARY_SECONDS 600

/* Removes the temporaries of path (path.tmp.*) that killed writers left:
 * regular files only, never what a symlink points to. */
static void remove_stale_temporaries(const char *path)
{
	char *dircopy = chm_xstrdup(path), *basecopy = chm_xstrdup(path);
	const char *dir = dirname(dircopy), *base = basename(basecopy);
	struct strbuf prefix = STRBUF_INIT, victim = STRBUF_INIT;
	DIR *d = opendir(dir);
	time_t now = time(NULL);

	strbuf_addf(&prefix, "%s.tmp.", base);
	for (struct dirent *e; d && (e = readdir(d));) {
		struct stat st;
		if (strncmp(e->d_name, prefix.buf, prefix.len) != 0)
			continue;
		strbuf_reset(&victim);
		strbuf_addf(&victim, "%s/%s", dir, e->d_name);
		if (lstat(victim.buf, &st) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
		    now - st.st_mtime > STALE_TEMPORARY_SECONDS)
			unlink(victim.buf);
	}
	if (d)
		closedir(d);
	strbuf_release(&prefix);
	strbuf_release(&victim);
	free(dircopy);
	free(basecopy);
}

int chm_state_write(const char *path, json_t *value, struct chm_err *err)
{
	struct strbuf tmp = STRBUF_INIT;
	char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
	int fd = -1, rc = -1;

	if (!text)
		return chm_err_set(err, CHM_EX_SOFTWARE, CHM_E_INTERNAL, "state", "cannot serialize state");
	/* the rename would replace whatever is there: never a device (/dev/full) */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		free(text);
		return chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "state",
				   "state file %s is not a regular file", path);
	}
	/* a name no one can have prepared: O_CREAT|O_EXCL, 0600, never through a
	 * symlink someone left at a predictable name */
	remove_stale_temporaries(path);
	strbuf_addf(&tmp, "%s.tmp.XXXXXX", path);
	fd = mkostemp(tmp.buf, O_CLOEXEC);
	if (fd < 0) {
		chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "state", "cannot write state file %s: %s",
			    tmp.buf, strerror(errno));
		goto out;
	}
	if (write_all(fd, text, strlen(text)) || write_all(fd, "\n", 1) || fsync(fd)) {
		chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "state", "cannot write state file %s: %s",
			    tmp.buf, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "state", "cannot write state file %s: %s",
			    tmp.buf, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp.buf, path)) {
		chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "state", "cannot replace state file %s: %s",
			    path, strerror(errno));
		goto out;
	}
	/* the rename itself is durable only once the directory is synced */
	char *dircopy = chm_xstrdup(path);
	int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dircopy);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp.buf);
	strbuf_release(&tmp);
	free(text);
	return rc;
}

int chm_state_read(const char *path, json_t **value, struct chm_err *err)
{
	json_error_t jerr;
	FILE *fp = fopen(path, "r");

	*value = NULL;
	if (!fp) {
		if (errno == ENOENT)
			return 0;
		return chm_err_set(err, CHM_EX_IOERR, CHM_E_IO_ERROR, "state", "cannot read state file %s: %s",
				   path, strerror(errno));
	}
	*value = json_loadf(fp, 0, &jerr);
	fclose(fp);
	if (!*value)
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_STATE, "state",
				   "state file %s is not valid JSON: %s (line %d)", path, jerr.text,
				   jerr.line);
	if (!json_is_object(*value)) {
		/* every reader indexes it by name; an array or a number is
		 * some other file written here by mistake */
		json_decref(*value);
		*value = NULL;
		return chm_err_set(err, CHM_EX_CONFIG, CHM_E_BAD_STATE, "state", "state file %s holds no JSON object",
				   path);
	}
	return 0;
}

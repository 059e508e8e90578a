#include "core/credentials.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"

char *chm_secret_read(const char *path, struct chm_err *err)
{
	FILE *fp = fopen(path, "r");
	char buf[8192];
	if (!fp) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_CREDENTIALS, "", "cannot read credentials from %s: %s", path,
			    strerror(errno));
		return NULL;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	int bad = ferror(fp);
	fclose(fp);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	n = strlen(buf);
	while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	if (bad || n == 0) {
		chm_err_set(err, CHM_EX_CONFIG, CHM_E_CREDENTIALS, "", "%s: no credentials in the file", path);
		return NULL;
	}
	char *s = chm_xstrdup(buf);
	memset(buf, 0, sizeof(buf));
	return s;
}

char *chm_secret_find(const char *file, const char *credentials_dir, const char *name,
		      const char *env_value, struct chm_err *err)
{
	chm_err_clear(err);
	if (file)
		return chm_secret_read(file, err);
	if (credentials_dir && *credentials_dir) {
		struct strbuf p = STRBUF_INIT;
		strbuf_addf(&p, "%s/%s", credentials_dir, name);
		/* an empty credential is an unused one: systemd's LoadCredential=
		 * needs the file to exist even when the channel is not used */
		struct stat st;
		char *s = stat(p.buf, &st) == 0 && st.st_size > 0 ? chm_secret_read(p.buf, err) : NULL;
		int found = s || err->status;
		strbuf_release(&p);
		if (found)
			return s;
	}
	if (env_value && *env_value)
		return chm_xstrdup(env_value);
	return NULL;
}

void chm_secret_free(char *secret)
{
	if (secret) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
}

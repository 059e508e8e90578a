#include "engines/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/chmtime.h"

static volatile pid_t child_pid;
static volatile sig_atomic_t early_sig;   /* arrived before the child existed */

static void forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
	else
		early_sig = sig;
}

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };

void chm_exec_trap_signals(void)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = forward;
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
}

int chm_exec_early_signal(void)
{
	return early_sig;
}

int chm_exec_start(struct chm_exec *x, char *const argv[], struct chm_err *err)
{
	int fds[2];

	memset(x, 0, sizeof(*x));
	x->err_fd = -1;
	if (pipe2(fds, O_CLOEXEC))
		return chm_err_set(err, CHM_EX_SOFTWARE, CHM_E_EXEC, "", "cannot make a pipe: %s", strerror(errno));
	fflush(NULL); /* nothing buffered may be written twice */
	/* handlers first: a SIGTERM between fork and here must still reach the job */
	chm_exec_trap_signals();
	x->started_at = chm_time_now();
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return chm_err_set(err, CHM_EX_SOFTWARE, CHM_E_EXEC, "", "cannot fork: %s", strerror(errno));
	}
	if (pid == 0) {
		for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
			signal(forwarded[i], SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(fds[1], STDERR_FILENO) < 0)
			_exit(126);
		execvp(argv[0], argv);
		int e = errno;
		char msg[512];
		int n = snprintf(msg, sizeof(msg), "chm-exec: cannot run %s: %s\n", argv[0], strerror(e));
		if (n > 0 && write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0)
			_exit(127);
		_exit(e == ENOENT ? 127 : 126);
	}
	close(fds[1]);
	x->pid = pid;
	x->err_fd = fds[0];
	child_pid = pid;
	if (early_sig)
		kill(pid, early_sig);
	return 0;
}

static void keep_tail(struct chm_exec *x, const char *p, size_t n)
{
	if (n >= sizeof(x->tail)) {
		memcpy(x->tail, p + n - sizeof(x->tail), sizeof(x->tail));
		x->tail_len = sizeof(x->tail);
		return;
	}
	if (x->tail_len + n > sizeof(x->tail)) {
		size_t drop = x->tail_len + n - sizeof(x->tail);
		memmove(x->tail, x->tail + drop, x->tail_len - drop);
		x->tail_len -= drop;
	}
	memcpy(x->tail + x->tail_len, p, n);
	x->tail_len += n;
}

static int pass_on(struct chm_exec *x, int *write_ok)
{
	char buf[8192];
	ssize_t n = read(x->err_fd, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	keep_tail(x, buf, (size_t)n);
	for (ssize_t off = 0; *write_ok && off < n;) {
		ssize_t w = write(STDERR_FILENO, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			*write_ok = 0; /* our stderr is gone: keep draining so the job never blocks */
			break;
		}
		off += w;
	}
	return 1;
}

int chm_exec_wait(struct chm_exec *x, struct chm_err *err)
{
	int write_ok = 1, st = 0, open_fd = 1;
	pid_t r;

	/* Until the command ends; a background child it leaves behind may keep
	 * the pipe open, so the end of the command, not of the pipe, decides. */
	for (;;) {
		r = waitpid(x->pid, &st, WNOHANG);
		if (r < 0 && errno != EINTR)
			return chm_err_set(err, CHM_EX_SOFTWARE, CHM_E_EXEC, "", "cannot wait for the command: %s",
					   strerror(errno));
		if (r == x->pid)
			break;
		if (!open_fd) {
			r = waitpid(x->pid, &st, 0);
			if (r == x->pid)
				break;
			continue;
		}
		struct pollfd pfd = { x->err_fd, POLLIN, 0 };
		int pr = poll(&pfd, 1, 200);
		if (pr > 0)
			open_fd = pass_on(x, &write_ok);
	}
	/* what it wrote before it ended */
	fcntl(x->err_fd, F_SETFL, fcntl(x->err_fd, F_GETFL) | O_NONBLOCK);
	while (open_fd && pass_on(x, &write_ok)) {
		struct pollfd pfd = { x->err_fd, POLLIN, 0 };
		if (poll(&pfd, 1, 0) <= 0)
			break;
	}
	close(x->err_fd);
	x->err_fd = -1;
	x->finished_at = chm_time_now();
	child_pid = 0;
	if (WIFEXITED(st)) {
		x->exited = 1;
		x->exit_code = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		x->signaled = 1;
		x->signo = WTERMSIG(st);
	}
	return 0;
}

int chm_exec_status(const struct chm_exec *x)
{
	return x->signaled ? 128 + x->signo : x->exit_code;
}

int chm_exec_never_started(const struct chm_exec *x)
{
	return x->pid == 0 && x->signaled;
}

const char *chm_exec_run_status(const struct chm_exec *x)
{
	if (chm_exec_never_started(x))
		return "canceled";
	return chm_exec_status(x) == 0 ? "success" : "failed";
}

void chm_exec_describe(const struct chm_exec *x, struct strbuf *sb)
{
	if (x->signaled)
		strbuf_addf(sb, "killed by signal %d (%s)", x->signo, strsignal(x->signo));
	else
		strbuf_addf(sb, "exit status %d", x->exit_code);
}

void chm_exec_tail(const struct chm_exec *x, int max_lines, size_t max_bytes, struct strbuf *sb)
{
	size_t end = x->tail_len;
	while (end && (x->tail[end - 1] == '\n' || x->tail[end - 1] == '\r' || x->tail[end - 1] == ' ' ||
		       x->tail[end - 1] == '\t'))
		end--;
	size_t start = end;
	int lines = 0;
	while (start > 0) {
		if (x->tail[start - 1] == '\n' && ++lines >= max_lines)
			break;
		start--;
	}
	if (end - start > max_bytes)
		start = end - max_bytes;
	/* never begin inside a UTF-8 sequence */
	while (start < end && ((unsigned char)x->tail[start] & 0xC0) == 0x80)
		start++;
	strbuf_add(sb, x->tail + start, end - start);
}

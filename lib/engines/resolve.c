#include "engines/resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chmtime.h"
#include "core/db.h"
#include "core/strbuf.h"

void chm_resolver_init(struct chm_resolver *r, PGconn *conn)
{
	memset(r, 0, sizeof(*r));
	r->conn = conn;
}

static void forget_pipes(struct chm_resolver *r)
{
	for (size_t i = 0; i < r->npipes; i++) {
		free(r->pipes[i].client);
		free(r->pipes[i].platform);
		free(r->pipes[i].external_id);
		free(r->pipes[i].name);
	}
	r->npipes = 0;
	hashmap_clear(&r->known);
}

void chm_resolver_release(struct chm_resolver *r)
{
	forget_pipes(r);
	free(r->pipes);
	hashmap_release(&r->known);
	hashmap_release(&r->map);
}

/* A key is a tag and length-prefixed parts ("E6:globex5:cron...") so that
 * no two references share one whatever bytes names hold (a separator byte
 * in a name made two clients' pipelines meet). NULL is "~", unlike "". */
static void key_part(struct strbuf *k, const char *s)
{
	if (!s) {
		strbuf_addc(k, '~');
		return;
	}
	strbuf_addf(k, "%zu:", strlen(s));
	strbuf_adds(k, s);
}

static void key_ext(struct strbuf *k, const char *client, const char *platform, const char *ext)
{
	strbuf_reset(k);
	strbuf_addc(k, 'E');
	key_part(k, client);
	key_part(k, platform);
	key_part(k, ext);
}

/* client + external_id on any platform: the id, or AMBIGUOUS when several
 * pipelines of the client have that external_id. */
#define AMBIGUOUS (-2)

static void key_any(struct strbuf *k, const char *client, const char *ext)
{
	strbuf_reset(k);
	strbuf_addc(k, 'X');
	key_part(k, client);
	key_part(k, ext);
}

static void key_name(struct strbuf *k, const char *client, const char *name)
{
	strbuf_reset(k);
	strbuf_addc(k, 'N');
	key_part(k, client);
	key_part(k, name);
}

static void key_id(struct strbuf *k, int64_t id)
{
	strbuf_reset(k);
	strbuf_addf(k, "I%lld", (long long)id);
}

/* What row i of (id, client, platform, external_id, name) says pipeline id
 * is, kept for the runs that name it (a row seen again replaces it). */
static void keep_pipe(struct chm_resolver *r, PGresult *res, int i, int64_t id)
{
	char k[32];
	int created;
	int n = snprintf(k, sizeof(k), "%lld", (long long)id);
	int64_t *slot = hashmap_put(&r->known, k, (size_t)n, &created);
	struct chm_resolved_pipeline *p;
	if (created) {
		if (r->npipes == r->cap_pipes) {
			r->cap_pipes = r->cap_pipes ? 2 * r->cap_pipes : 64;
			r->pipes = chm_xrealloc(r->pipes, r->cap_pipes * sizeof(*r->pipes));
		}
		*slot = (int64_t)++r->npipes;
		p = &r->pipes[r->npipes - 1];
	} else {
		p = &r->pipes[*slot - 1];
		free(p->client);
		free(p->platform);
		free(p->external_id);
		free(p->name);
	}
	p->client = chm_xstrdup(PQgetvalue(res, i, 1));
	p->platform = chm_xstrdup(PQgetvalue(res, i, 2));
	p->external_id = PQgetisnull(res, i, 3) ? NULL : chm_xstrdup(PQgetvalue(res, i, 3));
	p->name = chm_xstrdup(PQgetvalue(res, i, 4));
}

/* Adds every row of (id, client, platform, external_id, name) to the cache;
 * with any, the client + external_id keys too (res holds every pipeline
 * that may share one, so two ids under a key make it ambiguous). */
static void remember(struct chm_resolver *r, PGresult *res, int any)
{
	struct strbuf k = STRBUF_INIT;
	for (int i = 0; i < PQntuples(res); i++) {
		int64_t id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		keep_pipe(r, res, i, id);
		key_id(&k, id);
		*hashmap_put(&r->map, k.buf, k.len, NULL) = id;
		key_name(&k, PQgetvalue(res, i, 1), PQgetvalue(res, i, 4));
		*hashmap_put(&r->map, k.buf, k.len, NULL) = id;
		if (!PQgetisnull(res, i, 3)) {
			key_ext(&k, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3));
			*hashmap_put(&r->map, k.buf, k.len, NULL) = id;
			if (any) {
				key_any(&k, PQgetvalue(res, i, 1), PQgetvalue(res, i, 3));
				int64_t *v = hashmap_put(&r->map, k.buf, k.len, NULL);
				*v = *v > 0 && *v != id ? AMBIGUOUS : *v == AMBIGUOUS ? AMBIGUOUS : id;
			}
		}
	}
	strbuf_release(&k);
}

static int lookup_db(struct chm_resolver *r, const char *file, int n, const char *const *params,
		     int any, struct chm_err *err)
{
	if (r->before_query && r->before_query(r->before_query_arg, err))
		return -1;
	PGresult *res = chm_db_query_file(r->conn, file, n, params, err);
	if (!res)
		return -1;
	remember(r, res, any);
	PQclear(res);
	return 0;
}

void chm_resolver_invalidate(struct chm_resolver *r)
{
	/* a pipeline renamed, an external_id moved, one created under an old
	 * name: what was found may be wrong now, not only what was missing. The
	 * next lookup loads the inventory as it stands. */
	hashmap_clear(&r->map);
	forget_pipes(r);
	r->loaded = 0;
	r->asked = r->misses = 0;
}

/* The whole inventory into the cache (an empty one). */
static int load_all(struct chm_resolver *r, struct chm_err *err)
{
	if (lookup_db(r, "queries/pipelines_all.sql", 0, NULL, 1, err))
		return -1;
	r->loaded = 1;
	r->loaded_at = chm_time_now();
	return 0;
}

/* How a run names its pipeline: the cache key and the lookup's parameters. */
struct naming {
	const char *client, *name;
	const char *params[4];
	char idbuf[32];
	int any;              /* by client + external_id on any platform */
};

static void name_run(const struct chm_run *run, const char *client, const char *name, struct strbuf *k,
		     struct naming *nm)
{
	memset(nm->params, 0, sizeof(nm->params));
	nm->client = client;
	nm->name = name;
	nm->any = !run->pipeline_id && !run->platform && !name;
	if (run->pipeline_id) {
		key_id(k, run->pipeline_id);
		snprintf(nm->idbuf, sizeof(nm->idbuf), "%lld", (long long)run->pipeline_id);
		nm->params[0] = nm->idbuf;
	} else if (run->platform && run->external_id) {
		key_ext(k, client, run->platform, run->external_id);
		nm->params[1] = client;
		nm->params[2] = run->platform;
		nm->params[3] = run->external_id;
	} else if (name) {
		/* by name: the lookup query takes the name in the 4th place when
		 * platform is null */
		key_name(k, client, name);
		nm->params[1] = client;
		nm->params[3] = name;
	} else {
		key_any(k, client, run->external_id);
		nm->params[0] = client;
		nm->params[1] = run->external_id;
	}
}

/* A key the cache does not know: ask the database (the first misses), or
 * reload the inventory (at most every few seconds), and remember a miss. */
static int64_t *look_up(struct chm_resolver *r, const struct strbuf *k, const struct naming *nm,
			int64_t *v, struct chm_err *err)
{
	if (v)
		*v = 0; /* a client + external_id key is counted afresh */
	if (r->asked < CHM_RESOLVE_ASK_MAX) {
		r->asked++;
		if (lookup_db(r, nm->any ? "queries/pipeline_lookup_external_id.sql" : "queries/pipeline_lookup.sql",
			      nm->any ? 2 : 4, nm->params, nm->any, err))
			return NULL;
	} else if (chm_time_now() - r->loaded_at > CHM_RESOLVE_RELOAD_US) {
		/* a stream of unknown names: one load instead of a query each */
		chm_resolver_invalidate(r);
		if (load_all(r, err))
			return NULL;
	}
	if (r->misses >= CHM_RESOLVE_MISS_MAX) {
		chm_resolver_invalidate(r);
		if (load_all(r, err))
			return NULL;
	}
	v = hashmap_get(&r->map, k->buf, k->len);
	if (!v || *v == 0) {
		v = hashmap_put(&r->map, k->buf, k->len, NULL);
		*v = -1;
		r->misses++;
	}
	return v;
}

/* Why a run found no pipeline (v: -1 none, AMBIGUOUS two). */
static int not_found(const struct chm_run *run, const struct naming *nm, int64_t v, struct chm_err *err)
{
	const char *client = nm->client;
	if (v == AMBIGUOUS)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_AMBIGUOUS_PIPELINE, "external_id",
				   "client \"%.200s\" has more than one pipeline with external_id \"%.200s\" "
				   "(on different platforms): name the pipeline (\"pipeline\" in the raw "
				   "envelope, or chm-normalize --pipeline)",
				   client, run->external_id);
	if (run->pipeline_id)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_UNKNOWN_PIPELINE, "pipeline_id",
				   "no pipeline with id %lld", (long long)run->pipeline_id);
	if (run->platform && run->external_id)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_UNKNOWN_PIPELINE, "external_id",
				   "client \"%.200s\" has no %s pipeline with external_id \"%.200s\"", client,
				   run->platform, run->external_id);
	if (nm->name)
		return chm_err_set(err, CHM_EX_DATAERR, CHM_E_UNKNOWN_PIPELINE, "pipeline",
				   "client \"%.200s\" has no pipeline named \"%.200s\"", client, nm->name);
	return chm_err_set(err, CHM_EX_DATAERR, CHM_E_UNKNOWN_PIPELINE, "external_id",
			   "client \"%.200s\" has no pipeline with external_id \"%.200s\"", client,
			   run->external_id);
}

static const char *shown(const char *s)
{
	return s ? s : "(none)";
}

/* The first of the run's naming fields that names another pipeline than
 * p, or NULL: the one it was found by agrees by construction. */
static const char *disagreeing(const struct chm_resolved_pipeline *p, const struct chm_run *run,
			       const char *client, const char *name, int split, const char **given)
{
	/* "client/name" in pipeline is shown and named as given */
	if (client && strcmp(client, p->client) != 0)
		return split ? (*given = run->pipeline, "pipeline") : (*given = client, "client");
	if (name && strcmp(name, p->name) != 0)
		return *given = split ? run->pipeline : name, "pipeline";
	if (run->platform && strcmp(run->platform, p->platform) != 0)
		return *given = run->platform, "platform";
	if (run->external_id && (!p->external_id || strcmp(run->external_id, p->external_id) != 0))
		return *given = run->external_id, "external_id";
	return NULL;
}

/* A run that gives its pipeline's id and a client + name of another, or a
 * name and a platform or external_id the pipeline does not have, would
 * land where one of its fields says it does not belong: a conflict. */
static int check_agrees(struct chm_resolver *r, const struct chm_run *run, const char *client,
			const char *name, int split, int64_t id, struct chm_err *err)
{
	char k[32];
	int n = snprintf(k, sizeof(k), "%lld", (long long)id);
	const int64_t *slot = hashmap_get(&r->known, k, (size_t)n);
	if (!slot)
		return 0; /* cannot happen: every id cached came with its row */
	const struct chm_resolved_pipeline *p = &r->pipes[*slot - 1];
	const char *given = NULL;
	const char *field = disagreeing(p, run, client, name, split, &given);
	if (!field)
		return 0;
	return chm_err_set(err, CHM_EX_DATAERR, CHM_E_CONFLICT, field,
			   "%s \"%.200s\" contradicts the run's %s, which names %.200s/%.200s (id %lld, "
			   "platform %s, external_id %.200s): name the pipeline one way, or with fields "
			   "that agree",
			   field, given,
			   run->pipeline_id ? "pipeline_id"
			   : run->platform && run->external_id ? "client + platform + external_id"
			   : name ? "client + pipeline" : "client + external_id",
			   p->client, p->name, (long long)id, p->platform, shown(p->external_id));
}

/* The cache's answer for the run named by client and name (or by its id
 * or external_id, as it says): 0 and *v (an id, -1 none, or AMBIGUOUS),
 * or -1 with err when the database could not be asked. */
static int lookup_named(struct chm_resolver *r, const struct chm_run *run, const char *client, const char *name,
			struct naming *nm, int64_t *v, struct chm_err *err)
{
	struct strbuf k = STRBUF_INIT;
	name_run(run, client, name, &k, nm);
	int64_t *slot = hashmap_get(&r->map, k.buf, k.len);
	if ((!slot || *slot == 0) && !(slot = look_up(r, &k, nm, slot, err))) {
		strbuf_release(&k);
		return -1;
	}
	*v = *slot;
	strbuf_release(&k);
	return 0;
}

/* A run that names its pipeline "client/name" and no client: split at each
 * "/" in turn, since a client's name may hold one ("Acme/EU/orders") and so
 * may a pipeline's; two splits that both name a pipeline are ambiguous. */
static int resolve_split(struct chm_resolver *r, const struct chm_run *run, int64_t *id, struct chm_err *err)
{
	const char *ref = run->pipeline, *hit = NULL;
	struct naming nm;
	int64_t v, found = 0;

	for (const char *slash = strchr(ref, '/'); slash; slash = strchr(slash + 1, '/')) {
		char *client = strndup(ref, (size_t)(slash - ref));
		int rc = lookup_named(r, run, client, slash + 1, &nm, &v, err);
		free(client);
		if (rc)
			return -1;
		if (v > 0 && found)
			return chm_err_set(err, CHM_EX_DATAERR, CHM_E_AMBIGUOUS_PIPELINE, "pipeline",
					   "\"%.200s\" names two pipelines (ids %lld and %lld): a client's or a pipeline's "
					   "name holds a \"/\"; give \"client\" and \"pipeline\" apart, or pipeline_id",
					   ref, (long long)found, (long long)v), 0;
		if (v > 0)
			found = v, hit = slash;
	}
	/* none: said of the first split (a cached miss by now) */
	if (!hit)
		hit = strchr(ref, '/');
	char *client = strndup(ref, (size_t)(hit - ref));
	int rc = found ? 0 : lookup_named(r, run, client, hit + 1, &nm, &v, err);
	if (rc == 0 && !found)
		not_found(run, &nm, v, err); /* *id 0: err says why */
	else if (rc == 0 && !check_agrees(r, run, client, hit + 1, 1, found, err))
		*id = found;
	free(client);
	return rc;
}

int chm_resolve_run(struct chm_resolver *r, const struct chm_run *run, int64_t *id, struct chm_err *err)
{
	struct naming nm;
	int64_t v;

	*id = 0;
	if (!r->loaded && load_all(r, err))
		return -1;
	if (!run->client && run->pipeline && strchr(run->pipeline, '/'))
		return resolve_split(r, run, id, err);
	if (lookup_named(r, run, run->client, run->pipeline, &nm, &v, err))
		return -1;
	if (v > 0) {
		if (!check_agrees(r, run, run->client, run->pipeline, 0, v, err))
			*id = v;
	} else {
		not_found(run, &nm, v, err); /* *id 0: err says why */
	}
	return 0;
}

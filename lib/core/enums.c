#include "core/enums.h"

#include <string.h>

const char *const chm_run_statuses[] = { "running", "success", "failed", "canceled", "skipped", NULL };
const char *const chm_platforms[] = { "airflow", "dbt", "cron", "vendor_api", "custom", NULL };
const char *const chm_pipeline_types[] = { "ingestion", "transform", "quality", "export",
					   "healthcheck", NULL };
const char *const chm_environments[] = { "dev", "staging", "prod", NULL };
const char *const chm_rule_types[] = { "on_failure", "failures_in_window", NULL };
const char *const chm_channels[] = { "slack", "email", "webhook", NULL };

/* The values before the seed enums and what 011_seed_enums.sql made of them,
 * only to tell a user who still writes one what to write instead. */
static const char *const renamed[][3] = {
	{ "platform", "dbt_cloud", "dbt" },
	{ "platform", "dbt_core", "dbt" },
	{ "platform", "openlineage", "custom" },
	{ "platform", "vendor", "vendor_api" },
	{ "platform", "other", "custom" },
	{ "pipeline_type", "transformation", "transform" },
	{ "pipeline_type", "data_quality", "quality" },
	{ "pipeline_type", "orchestration", "transform" },
	{ "pipeline_type", "reporting", "export" },
	{ "pipeline_type", "other", "transform" },
};

const char *chm_enum_renamed(const char *const *names, const char *s)
{
	const char *kind = names == chm_platforms ? "platform"
			   : names == chm_pipeline_types ? "pipeline_type"
							 : NULL;
	if (!kind)
		return NULL;
	for (size_t i = 0; i < sizeof(renamed) / sizeof(renamed[0]); i++)
		if (strcmp(renamed[i][0], kind) == 0 && strcmp(renamed[i][1], s) == 0)
			return renamed[i][2];
	return NULL;
}

int chm_enum_has(const char *const *names, const char *s)
{
	for (; *names; names++)
		if (strcmp(*names, s) == 0)
			return 1;
	return 0;
}

int chm_status_is_terminal(const char *status)
{
	return strcmp(status, "running") != 0;
}

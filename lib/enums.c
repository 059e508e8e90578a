#include "enums.h"

#include <string.h>

const char *const chm_run_statuses[] = { "running", "success", "failed", "canceled", "skipped", NULL };
const char *const chm_platforms[] = { "airflow", "dbt_cloud", "dbt_core", "openlineage",
				      "vendor", "cron", "other", NULL };
const char *const chm_pipeline_types[] = { "ingestion", "transformation", "export",
					   "data_quality", "orchestration", "reporting", "other", NULL };
const char *const chm_environments[] = { "dev", "staging", "prod", NULL };
const char *const chm_rule_types[] = { "on_failure", "failures_in_window", NULL };
const char *const chm_channels[] = { "slack", "email", "webhook", NULL };

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

-- RFC 3339 in UTC with six fraction digits, the form every chm program
-- prints (lib/chmtime.c chm_time_format), for queries that build JSON in SQL.
-- json_build_object would print a timestamptz as "...+00:00" and drop zeros.
CREATE FUNCTION chm_rfc3339(t timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

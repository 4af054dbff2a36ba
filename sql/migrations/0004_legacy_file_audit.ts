import { type Kysely, sql } from 'kysely';

/**
 * `efi.ext_file_audit`: the runs in the shape of the original framework's
 * `rdscnfg.ext_file_audit`, so dashboards and jobs built on that table keep
 * working after a migration (point them here, or
 * `CREATE VIEW rdscnfg.ext_file_audit AS SELECT * FROM efi.ext_file_audit`).
 * A view, not a writer: it costs nothing until someone reads it.
 *
 * One row per run and target table (the original wrote one per file it
 * loaded, and a split file became one file per record type). The legacy
 * interface id comes from the description `efi config import-legacy` writes
 * on each imported config ("... ext_interface_cid 527 ..."); configs not
 * imported have NULL there. Timestamps are UTC (the original used its
 * `timezone` setting). SKIPPED and RUNNING runs are left out: the original
 * audited files it processed.
 */

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on today's typed schema
type Db = Kysely<any>;

export async function up(db: Db): Promise<void> {
  await sql`
    CREATE VIEW efi.ext_file_audit AS
    SELECT
      (row_number() OVER (ORDER BY r.started_at, r.run_id, t.ordinality))::int AS ext_file_audit_sid,
      substring(c.spec ->> 'description' FROM 'ext_interface_cid ([0-9]+)')::numeric(30) AS ext_interface_cid,
      (t.rec -> 'target' ->> 'schema')::varchar(200) AS tgt_schema_name,
      (t.rec -> 'target' ->> 'table')::varchar(200) AS tgt_table_name,
      r.status::varchar(50) AS file_process_status,
      (r.started_at AT TIME ZONE 'UTC') AS file_process_date,
      (CASE WHEN r.status = 'FINISHED' THEN 'Y' ELSE 'N' END)::varchar(1) AS file_prcsd_flag,
      (c.spec -> 'transform' ->> 'sql')::varchar(65535) AS merge_query,
      left(r.error_message, 4000)::varchar(4000) AS error_msg,
      (r.started_at AT TIME ZONE 'UTC') AS start_time,
      (coalesce(r.finished_at, r.updated_at) AT TIME ZONE 'UTC') AS end_time,
      NULL::varchar(65535) AS update_query,
      NULL::varchar(50) AS escape_char,
      (r.started_at AT TIME ZONE 'UTC') AS created_date,
      (r.updated_at AT TIME ZONE 'UTC') AS modified_date,
      r.run_id,
      r.object_key
    FROM efi.runs r
    JOIN efi.file_configs c ON c.id = r.config_id
    CROSS JOIN LATERAL jsonb_array_elements(c.spec -> 'records') WITH ORDINALITY AS t(rec, ordinality)
    WHERE r.status IN ('FINISHED', 'FAILED', 'ABORTED')
  `.execute(db);
}

export async function down(db: Db): Promise<void> {
  await sql`DROP VIEW IF EXISTS efi.ext_file_audit`.execute(db);
}

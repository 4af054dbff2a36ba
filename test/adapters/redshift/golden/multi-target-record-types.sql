/* efi target=0 step=stage table=sales.header record_type=H */
CREATE TEMP TABLE "efi_stage_0" (LIKE "sales"."header" INCLUDING DEFAULTS);

/* efi target=0 step=copy table=sales.header record_type=H */
COPY "efi_stage_0" ("rec", "batch_no")
FROM 's3://efi-data/processing/run-20240501-0001/H/manifest.json'
IAM_ROLE 'arn:aws:iam::123456789012:role/efi-copy'
MANIFEST
CSV QUOTE AS '"' DELIMITER AS ','
GZIP
DATEFORMAT AS 'auto'
TIMEFORMAT AS 'auto'
EMPTYASNULL
IGNOREBLANKLINES
MAXERROR 0
COMPUPDATE OFF STATUPDATE OFF;

/* efi target=0 step=delete table=sales.header record_type=H */
DELETE FROM "sales"."header" WHERE "efi_run_id" = 'run-20240501-0001';

/* efi target=0 step=insert table=sales.header record_type=H */
INSERT INTO "sales"."header" ("rec", "batch_no", "efi_source_file", "efi_run_id", "efi_loaded_at")
SELECT "rec", "batch_no", 's3://efi-data/landing/sales/daily_20240501.csv', 'run-20240501-0001', GETDATE() FROM "efi_stage_0";

/* efi target=1 step=stage table=sales.detail record_type=D */
CREATE TEMP TABLE "efi_stage_1" (LIKE "sales"."detail" INCLUDING DEFAULTS);

/* efi target=1 step=copy table=sales.detail record_type=D */
COPY "efi_stage_1" ("id", "sold_on", "amount")
FROM 's3://efi-data/processing/run-20240501-0001/D/manifest.json'
IAM_ROLE 'arn:aws:iam::123456789012:role/efi-copy'
MANIFEST
CSV QUOTE AS '"' DELIMITER AS ','
GZIP
DATEFORMAT AS 'auto'
TIMEFORMAT AS 'auto'
EMPTYASNULL
IGNOREBLANKLINES
MAXERROR 0
COMPUPDATE OFF STATUPDATE OFF;

/* efi target=1 step=delete table=sales.detail record_type=D */
DELETE FROM "sales"."detail" WHERE "efi_run_id" = 'run-20240501-0001';

/* efi target=1 step=insert table=sales.detail record_type=D */
INSERT INTO "sales"."detail" ("id", "sold_on", "amount", "efi_source_file", "efi_run_id", "efi_loaded_at")
SELECT "id", "sold_on", "amount", 's3://efi-data/landing/sales/daily_20240501.csv', 'run-20240501-0001', GETDATE() FROM "efi_stage_1";

/* efi step=count */
SELECT 0 AS "efi_target", COUNT(*) AS "efi_rows" FROM "efi_stage_0"
UNION ALL
SELECT 1 AS "efi_target", COUNT(*) AS "efi_rows" FROM "efi_stage_1";

/* efi target=0 step=stage table=sales.daily */
CREATE TEMP TABLE "efi_stage_0" (LIKE "sales"."daily" INCLUDING DEFAULTS);

/* efi target=0 step=copy table=sales.daily */
COPY "efi_stage_0" ("id", "sold_on", "amount")
FROM 's3://efi-data/processing/run-20240501-0001/all/manifest.json'
IAM_ROLE 'arn:aws:iam::123456789012:role/efi-copy'
MANIFEST
CSV QUOTE AS '"' DELIMITER AS ','
GZIP
DATEFORMAT AS 'YYYY-MM-DD'
TIMEFORMAT AS 'YYYY-MM-DD HH:MI:SS'
EMPTYASNULL
BLANKSASNULL
NULL AS '\\N'
ACCEPTINVCHARS AS '?'
TRUNCATECOLUMNS
IGNOREBLANKLINES
ACCEPTANYDATE
FILLRECORD
TRIMBLANKS
ROUNDEC
MAXERROR 25
COMPUPDATE OFF STATUPDATE OFF;

/* efi target=0 step=delete table=sales.daily */
DELETE FROM "sales"."daily" WHERE "efi_run_id" = 'run-20240501-0001';

/* efi target=0 step=insert table=sales.daily */
INSERT INTO "sales"."daily" ("id", "sold_on", "amount", "efi_source_file", "efi_run_id", "efi_loaded_at")
SELECT "id", "sold_on", "amount", 's3://efi-data/landing/sales/daily_20240501.csv', 'run-20240501-0001', GETDATE() FROM "efi_stage_0";

/* efi step=count */
SELECT 0 AS "efi_target", COUNT(*) AS "efi_rows" FROM "efi_stage_0";

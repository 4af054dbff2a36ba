/* efi target=0 step=stage table=sales.daily record_type=%2A%2F%20DROP%20TABLE%20y%3B%20%2F%2A%0A%27 */
CREATE TEMP TABLE "efi_stage_0" (LIKE "sales"."daily" INCLUDING DEFAULTS);

/* efi target=0 step=copy table=sales.daily record_type=%2A%2F%20DROP%20TABLE%20y%3B%20%2F%2A%0A%27 */
COPY "efi_stage_0" ("id", "sold_on", "amount")
FROM 's3://efi-data/processing/x''; drop table y; --\\/manifest.json'
IAM_ROLE 'arn:aws:iam::123456789012:role/efi-copy'
MANIFEST
DELIMITER AS ''''
GZIP
DATEFORMAT AS 'YYYY''); drop table y; --'
NULL AS '\\''; drop table y; --'
ACCEPTINVCHARS AS ''''
MAXERROR 0
COMPUPDATE OFF STATUPDATE OFF;

/* efi target=0 step=delete table=sales.daily record_type=%2A%2F%20DROP%20TABLE%20y%3B%20%2F%2A%0A%27 */
DELETE FROM "sales"."daily" WHERE "efi_run_id" = 'r''1; drop table y; --';

/* efi target=0 step=insert table=sales.daily record_type=%2A%2F%20DROP%20TABLE%20y%3B%20%2F%2A%0A%27 */
INSERT INTO "sales"."daily" ("id", "sold_on", "amount", "efi_source_file", "efi_run_id", "efi_loaded_at")
SELECT "id", "sold_on", "amount", 's3://efi-data/landing/it''s \\''; drop.csv', 'r''1; drop table y; --', GETDATE() FROM "efi_stage_0";

/* efi step=count */
SELECT 0 AS "efi_target", COUNT(*) AS "efi_rows" FROM "efi_stage_0";

/* efi target=0 step=stage table=stage.order_header record_type=01 */
CREATE TEMP TABLE "efi_stage_0" (LIKE "stage"."order_header" INCLUDING DEFAULTS);

/* efi target=0 step=copy table=stage.order_header record_type=01 */
COPY "efi_stage_0" ("record_type", "order_id", "customer_id", "order_date", "currency", "order_total")
FROM 's3://efi-data/processing/run-20261122-0001/01/manifest.json'
IAM_ROLE 'arn:aws:iam::123456789012:role/efi-copy'
MANIFEST
DELIMITER AS '|'
GZIP
DATEFORMAT AS 'auto'
TIMEFORMAT AS 'auto'
EMPTYASNULL
IGNOREBLANKLINES
MAXERROR 0
COMPUPDATE OFF STATUPDATE OFF;

/* efi target=0 step=delete table=stage.order_header record_type=01 */
DELETE FROM "stage"."order_header" WHERE "efi_run_id" = 'run-20261122-0001';

/* efi target=0 step=insert table=stage.order_header record_type=01 */
INSERT INTO "stage"."order_header" ("record_type", "order_id", "customer_id", "order_date", "currency", "order_total", "efi_source_file", "efi_run_id", "efi_loaded_at")
SELECT "record_type", "order_id", "customer_id", "order_date", "currency", "order_total", 's3://efi-data/landing/orders_20261122.txt', 'run-20261122-0001', GETDATE() FROM "efi_stage_0";

/* efi target=1 step=stage table=stage.order_line record_type=02 */
CREATE TEMP TABLE "efi_stage_1" (LIKE "stage"."order_line" INCLUDING DEFAULTS);

/* efi target=1 step=copy table=stage.order_line record_type=02 */
COPY "efi_stage_1" ("record_type", "order_id", "line_no", "sku", "quantity", "unit_price")
FROM 's3://efi-data/processing/run-20261122-0001/02/manifest.json'
IAM_ROLE 'arn:aws:iam::123456789012:role/efi-copy'
MANIFEST
DELIMITER AS '|'
GZIP
DATEFORMAT AS 'auto'
TIMEFORMAT AS 'auto'
EMPTYASNULL
IGNOREBLANKLINES
MAXERROR 0
COMPUPDATE OFF STATUPDATE OFF;

/* efi target=1 step=delete table=stage.order_line record_type=02 */
DELETE FROM "stage"."order_line" WHERE "efi_run_id" = 'run-20261122-0001';

/* efi target=1 step=insert table=stage.order_line record_type=02 */
INSERT INTO "stage"."order_line" ("record_type", "order_id", "line_no", "sku", "quantity", "unit_price", "efi_source_file", "efi_run_id", "efi_loaded_at")
SELECT "record_type", "order_id", "line_no", "sku", "quantity", "unit_price", 's3://efi-data/landing/orders_20261122.txt', 'run-20261122-0001', GETDATE() FROM "efi_stage_1";

/* efi step=count */
SELECT 0 AS "efi_target", COUNT(*) AS "efi_rows" FROM "efi_stage_0"
UNION ALL
SELECT 1 AS "efi_target", COUNT(*) AS "efi_rows" FROM "efi_stage_1";

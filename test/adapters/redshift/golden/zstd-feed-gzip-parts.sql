/* efi target=0 step=stage table=stage.shipment_events */
CREATE TEMP TABLE "efi_stage_0" (LIKE "stage"."shipment_events" INCLUDING DEFAULTS);

/* efi target=0 step=copy table=stage.shipment_events */
COPY "efi_stage_0" ("shipment_id", "order_id", "carrier", "status", "event_at", "weight_kg")
FROM 's3://efi-data/processing/run-20261123-0002/all/manifest.json'
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

/* efi target=0 step=delete table=stage.shipment_events */
DELETE FROM "stage"."shipment_events" WHERE "efi_run_id" = 'run-20261123-0002';

/* efi target=0 step=insert table=stage.shipment_events */
INSERT INTO "stage"."shipment_events" ("shipment_id", "order_id", "carrier", "status", "event_at", "weight_kg", "efi_source_file", "efi_run_id", "efi_loaded_at")
SELECT "shipment_id", "order_id", "carrier", "status", "event_at", "weight_kg", 's3://efi-data/landing/shipments_20261123.csv.zst', 'run-20261123-0002', GETDATE() FROM "efi_stage_0";

/* efi step=count */
SELECT 0 AS "efi_target", COUNT(*) AS "efi_rows" FROM "efi_stage_0";

-- Target tables for the sample feeds. Types are ones Redshift and PostgreSQL
-- share, so the same DDL serves the local warehouse and a Redshift trial.
-- The efi_* columns are lineage, set by the load on every row.
CREATE SCHEMA IF NOT EXISTS stage;

CREATE TABLE IF NOT EXISTS stage.pos_sales (
  sale_id         bigint        NOT NULL,
  store_id        integer       NOT NULL,
  sku             varchar(20)   NOT NULL,
  quantity        integer       NOT NULL,
  unit_price      numeric(10,2) NOT NULL,
  sold_at         timestamp     NOT NULL,
  efi_source_file varchar(1024),
  efi_run_id      varchar(64),
  efi_loaded_at   timestamp
);

CREATE TABLE IF NOT EXISTS stage.customers (
  customer_id     varchar(16)   NOT NULL,
  full_name       varchar(200),
  email           varchar(320),
  country         char(2),
  created_on      date,
  efi_source_file varchar(1024),
  efi_run_id      varchar(64),
  efi_loaded_at   timestamp
);

CREATE TABLE IF NOT EXISTS stage.inventory (
  warehouse       varchar(16)   NOT NULL,
  sku             varchar(20)   NOT NULL,
  description     varchar(200),
  on_hand         integer,
  counted_at      timestamptz,
  efi_source_file varchar(1024),
  efi_run_id      varchar(64),
  efi_loaded_at   timestamp
);

-- The stage → validate → error table → core MERGE pattern of the framework
-- efi replaces: the flavors feed loads stage.flavor, then its post-load
-- transform calls a procedure that runs ordered SQL steps kept in a table.
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS orchestration;

CREATE TABLE IF NOT EXISTS stage.flavor (
  flavor_code     varchar(10),
  flavor_name     varchar(100),
  price           numeric(6,2),
  valid_from      date,
  efi_source_file varchar(1024),
  efi_run_id      varchar(64),
  efi_loaded_at   timestamp
);

CREATE TABLE IF NOT EXISTS core.flavor (
  flavor_code  varchar(10) PRIMARY KEY,
  flavor_name  varchar(100) NOT NULL,
  price        numeric(6,2) NOT NULL,
  valid_from   date NOT NULL,
  source_run   varchar(64),
  updated_at   timestamp
);

CREATE TABLE IF NOT EXISTS core.flavor_error (
  flavor_code  varchar(10),
  flavor_name  varchar(100),
  price        numeric(6,2),
  reason       varchar(200),
  source_run   varchar(64),
  logged_at    timestamp
);

CREATE TABLE IF NOT EXISTS orchestration.sql_step (
  target_schema varchar(64)  NOT NULL,
  target_table  varchar(64)  NOT NULL,
  step_no       integer      NOT NULL,
  sql_text      text         NOT NULL,
  active_from   timestamp    NOT NULL,
  active_to     timestamp    NOT NULL,
  PRIMARY KEY (target_schema, target_table, step_no)
);

-- Runs the active steps for one target in order, inside the caller's transaction.
CREATE OR REPLACE PROCEDURE orchestration.execute_sql_from_table(
  p_schema varchar, p_table varchar, p_from timestamp, p_to timestamp)
LANGUAGE plpgsql AS $$
DECLARE
  step record;
  ran integer := 0;
BEGIN
  FOR step IN
    SELECT step_no, sql_text FROM orchestration.sql_step
     WHERE target_schema = p_schema AND target_table = p_table
       AND active_from <= p_to AND active_to >= p_from
     ORDER BY step_no
  LOOP
    EXECUTE step.sql_text;
    ran := ran + 1;
  END LOOP;
  IF ran = 0 THEN
    RAISE EXCEPTION 'no active SQL steps for %.% between % and %', p_schema, p_table, p_from, p_to;
  END IF;
END;
$$;

INSERT INTO orchestration.sql_step VALUES
  ('core', 'flavor', 10,
   'INSERT INTO core.flavor_error (flavor_code, flavor_name, price, reason, source_run, logged_at)
      SELECT flavor_code, flavor_name, price,
             CASE WHEN coalesce(flavor_name, '''') = '''' THEN ''missing name'' ELSE ''negative price'' END,
             efi_run_id, now()
        FROM stage.flavor
       WHERE coalesce(flavor_name, '''') = '''' OR price < 0',
   '2020-01-01', '2030-01-01'),
  ('core', 'flavor', 20,
   'MERGE INTO core.flavor AS c
      USING (SELECT * FROM stage.flavor WHERE coalesce(flavor_name, '''') <> '''' AND price >= 0) AS s
         ON c.flavor_code = s.flavor_code
      WHEN MATCHED THEN UPDATE SET flavor_name = s.flavor_name, price = s.price, valid_from = s.valid_from,
                                   source_run = s.efi_run_id, updated_at = now()
      WHEN NOT MATCHED THEN INSERT (flavor_code, flavor_name, price, valid_from, source_run, updated_at)
                            VALUES (s.flavor_code, s.flavor_name, s.price, s.valid_from, s.efi_run_id, now())',
   '2020-01-01', '2030-01-01'),
  ('core', 'flavor', 30, 'DELETE FROM stage.flavor', '2020-01-01', '2030-01-01')
ON CONFLICT DO NOTHING;

-- Multi-layout orders feed: '01' headers and '02' lines split to their own
-- tables; the record type is the first column of each.
CREATE TABLE IF NOT EXISTS stage.order_header (
  record_type     char(2)       NOT NULL,
  order_id        bigint        NOT NULL,
  customer_id     varchar(16)   NOT NULL,
  order_date      date          NOT NULL,
  currency        char(3)       NOT NULL,
  order_total     numeric(12,2) NOT NULL,
  efi_source_file varchar(1024),
  efi_run_id      varchar(64),
  efi_loaded_at   timestamp
);

CREATE TABLE IF NOT EXISTS stage.order_line (
  record_type     char(2)       NOT NULL,
  order_id        bigint        NOT NULL,
  line_no         integer       NOT NULL,
  sku             varchar(20)   NOT NULL,
  quantity        integer       NOT NULL,
  unit_price      numeric(10,2) NOT NULL,
  efi_source_file varchar(1024),
  efi_run_id      varchar(64),
  efi_loaded_at   timestamp
);

-- Carrier tracking events (bzip2 and zstd feeds).
CREATE TABLE IF NOT EXISTS stage.shipment_events (
  shipment_id     varchar(20)   NOT NULL,
  order_id        bigint        NOT NULL,
  carrier         varchar(32)   NOT NULL,
  status          varchar(32)   NOT NULL,
  event_at        timestamptz   NOT NULL,
  weight_kg       numeric(8,3),
  efi_source_file varchar(1024),
  efi_run_id      varchar(64),
  efi_loaded_at   timestamp
);

-- windows-1252 export; stored as UTF-8 (Redshift varchar lengths are bytes: sized for multi-byte text).
CREATE TABLE IF NOT EXISTS stage.loyalty_members (
  member_id       varchar(16)   NOT NULL,
  full_name       varchar(200)  NOT NULL,
  city            varchar(100),
  tier            varchar(16),
  points          integer,
  joined_on       date,
  note            varchar(400),
  efi_source_file varchar(1024),
  efi_run_id      varchar(64),
  efi_loaded_at   timestamp
);

CREATE TABLE IF NOT EXISTS stage.support_tickets (
  ticket_id       varchar(16)   NOT NULL,
  customer_id     varchar(16),
  opened_at       timestamp     NOT NULL,
  subject         varchar(200),
  body            varchar(4000),
  priority        smallint      NOT NULL,
  efi_source_file varchar(1024),
  efi_run_id      varchar(64),
  efi_loaded_at   timestamp
);

-- Settlements delivered with the multi-character delimiter ~|~.
CREATE TABLE IF NOT EXISTS stage.settlements (
  settlement_id   varchar(16)   NOT NULL,
  merchant        varchar(200)  NOT NULL,
  amount          numeric(12,2) NOT NULL,
  currency        char(3)       NOT NULL,
  settled_on      date          NOT NULL,
  memo            varchar(400),
  efi_source_file varchar(1024),
  efi_run_id      varchar(64),
  efi_loaded_at   timestamp
);

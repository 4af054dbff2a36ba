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

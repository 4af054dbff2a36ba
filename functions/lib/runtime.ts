import type { Kysely } from 'kysely';
import type { EfiDatabase } from './db/schema.ts';
import type { Notifier, StatusNotification } from './ports/notifier.ts';
import type { ObjectStore } from './ports/object-store.ts';
import type { Warehouse } from './ports/warehouse.ts';
import { loadSettings, type Settings } from './settings.ts';

/**
 * The adapters a process uses, chosen from settings and built once per
 * process (Lambda container or CLI), lazily: a state that never touches the
 * warehouse never opens it. AWS SDK modules are imported only when selected,
 * so local runs do not load them.
 */
export interface Runtime {
  settings: Settings;
  store(): Promise<ObjectStore>;
  db(): Promise<Kysely<EfiDatabase>>;
  warehouse(): Promise<Warehouse>;
  notifier(): Promise<Notifier>;
}

export interface RuntimeOptions {
  /** Where local outbox notifications are echoed (the CLI prints them). */
  onNotification?: (n: StatusNotification) => void;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => {
    if (!p) {
      p = make();
      // A failed open (database not reachable yet) must not poison the process.
      p.catch(() => {
        p = null;
      });
    }
    return p;
  };
}

export function createRuntime(settings: Settings, opts: RuntimeOptions = {}): Runtime {
  const store = once(async (): Promise<ObjectStore> => {
    const s = settings.objectStore;
    if (s.kind === 'fs') {
      const { FsObjectStore } = await import('./adapters/object-store-fs.ts');
      return new FsObjectStore(s.root);
    }
    const { createS3Client, S3ObjectStore } = await import('./adapters/object-store-s3.ts');
    return new S3ObjectStore(createS3Client({ endpoint: s.endpoint, forcePathStyle: s.forcePathStyle }));
  });

  const db = once(async () => {
    const { openConfigDb } = await import('./db/connect.ts');
    const { migrateToLatest } = await import('./db/migrate.ts');
    const k = await openConfigDb(settings.configDb);
    // Local databases are created on first use; in AWS the migrations are cheap no-ops once applied.
    await migrateToLatest(k);
    return k;
  });

  const warehouse = once(async (): Promise<Warehouse> => {
    const w = settings.warehouse;
    if (w.kind === 'redshift') {
      const { RedshiftDataClient } = await import('@aws-sdk/client-redshift-data');
      const { RedshiftDataWarehouse } = await import('./adapters/warehouse-redshift.ts');
      return new RedshiftDataWarehouse(
        new RedshiftDataClient({}),
        {
          clusterIdentifier: w.clusterIdentifier,
          workgroupName: w.workgroupName,
          database: w.database,
          dbUser: w.dbUser,
          secretArn: w.secretArn,
        },
        { iamRoleArn: w.copyRoleArn, region: w.region },
      );
    }
    const { createPostgresWarehouse } = await import('./adapters/warehouse-postgres.ts');
    return createPostgresWarehouse(w, await store());
  });

  const notifier = once(async (): Promise<Notifier> => {
    const n = settings.notifier;
    if (n.kind === 'outbox') {
      const { OutboxNotifier } = await import('./adapters/notifier-outbox.ts');
      return new OutboxNotifier(await db(), n.echo ? (opts.onNotification ?? null) : null);
    }
    const { AwsNotifier } = await import('./adapters/notifier-aws.ts');
    return new AwsNotifier({ topicArn: n.topicArn, eventBusName: n.eventBusName });
  });

  return { settings, store, db, warehouse, notifier };
}

let processRuntime: Runtime | null = null;

/** The Lambda handlers' runtime: settings from the environment, built on first use. */
export function getRuntime(): Runtime {
  if (!processRuntime) processRuntime = createRuntime(loadSettings());
  return processRuntime;
}

/** The local runner installs its runtime so in-process handlers share its adapters. */
export function setRuntime(rt: Runtime | null): void {
  processRuntime = rt;
}

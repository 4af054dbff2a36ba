import type { Kysely } from 'kysely';
import type { EfiDatabase } from './adapters/config-db/schema.ts';
import { ConfigInvalid } from './errors.ts';
import type { ConfigSource } from './ports/config-source.ts';
import type { Notifier, StatusNotification } from './ports/notifier.ts';
import type { ObjectStore } from './ports/object-store.ts';
import type { RunLog } from './ports/run-log.ts';
import type { Warehouse } from './ports/warehouse.ts';
import { loadSettings, type Settings } from './settings.ts';

/**
 * The composition root: the only module that imports adapters. It builds the
 * ports a process uses, chosen from settings, once per process (Lambda
 * container or CLI) and lazily: a state that never touches the warehouse never
 * opens it. AWS SDK modules are imported only when selected, so local runs do
 * not load them. Handlers resolve the ports their step needs and hand them to
 * it; steps never see this bundle.
 */
export interface Deps {
  settings: Settings;
  store(): Promise<ObjectStore>;
  warehouse(): Promise<Warehouse>;
  notifier(): Promise<Notifier>;
  runs(): Promise<RunLog>;
  configs(): Promise<ConfigSource>;
  /** The config/audit database itself, for the CLI (config apply, local history, outbox). Steps get ports instead. */
  db(): Promise<Kysely<EfiDatabase>>;
}

export interface DepsOptions {
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

export function createDeps(settings: Settings, opts: DepsOptions = {}): Deps {
  // EFI_BUNDLE ('lambda') and EFI_BUNDLE_* ('0' = port unused) are esbuild defines in the
  // Lambda bundles (infra/lib/bundling.ts): the branches they switch off, and the
  // modules those import, drop out of the bundle. Unset (CLI, tests) = everything.
  const store = once(async (): Promise<ObjectStore> => {
    const s = settings.objectStore;
    if (process.env.EFI_BUNDLE !== 'lambda' && s.kind === 'fs') {
      const { FsObjectStore } = await import('./adapters/fs/object-store-fs.ts');
      return new FsObjectStore(s.root);
    }
    if (process.env.EFI_BUNDLE_STORE !== '0' && s.kind === 's3') {
      const { createS3Client, S3ObjectStore } = await import('./adapters/s3/object-store-s3.ts');
      return new S3ObjectStore(createS3Client({ endpoint: s.endpoint, forcePathStyle: s.forcePathStyle }));
    }
    throw new ConfigInvalid(`EFI_OBJECT_STORE=${s.kind} is not available in this ${bundleName()}`);
  });

  const db = once(async () => {
    const { openConfigDb } = await import('./adapters/config-db/connect.ts');
    const { migrateToLatest } = await import('./adapters/config-db/migrate.ts');
    const k = await openConfigDb(settings.configDb);
    // Local databases are created on first use; in AWS the migrations are cheap no-ops once applied.
    await migrateToLatest(k);
    return k;
  });

  const warehouse = once(async (): Promise<Warehouse> => {
    const w = settings.warehouse;
    if (process.env.EFI_BUNDLE_WAREHOUSE !== '0' && w.kind === 'redshift') {
      const { RedshiftDataClient } = await import('@aws-sdk/client-redshift-data');
      const { RedshiftDataWarehouse } = await import('./adapters/redshift/redshift-warehouse.ts');
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
    if (process.env.EFI_BUNDLE !== 'lambda' && w.kind !== 'redshift') {
      const { createPostgresWarehouse } = await import('./adapters/postgres/postgres-warehouse.ts');
      return createPostgresWarehouse(w, await store());
    }
    throw new ConfigInvalid(`EFI_WAREHOUSE=${w.kind} is not available in this ${bundleName()}`);
  });

  const notifier = once(async (): Promise<Notifier> => {
    const n = settings.notifier;
    if (process.env.EFI_BUNDLE !== 'lambda' && n.kind === 'outbox') {
      const { OutboxNotifier } = await import('./adapters/outbox/outbox-notifier.ts');
      return new OutboxNotifier(await db(), n.echo ? (opts.onNotification ?? null) : null);
    }
    if (process.env.EFI_BUNDLE_NOTIFIER !== '0' && n.kind === 'aws') {
      const { AwsNotifier } = await import('./adapters/aws/aws-notifier.ts');
      return new AwsNotifier({ topicArn: n.topicArn, eventBusName: n.eventBusName });
    }
    throw new ConfigInvalid(`EFI_NOTIFIER=${n.kind} is not available in this ${bundleName()}`);
  });

  const runs = once(async (): Promise<RunLog> => {
    const { KyselyRunLog } = await import('./adapters/config-db/kysely-run-log.ts');
    return new KyselyRunLog(await db());
  });

  const configs = once(async (): Promise<ConfigSource> => {
    const { KyselyConfigSource } = await import('./adapters/config-db/kysely-config-source.ts');
    return new KyselyConfigSource(await db());
  });

  return { settings, store, warehouse, notifier, runs, configs, db };
}

function bundleName(): string {
  return process.env.EFI_BUNDLE === 'lambda' ? 'Lambda bundle (local adapters are CLI-only)' : 'process';
}

type Handler<O> = (event: unknown) => Promise<O>;

let processDeps: Deps | null = null;

/**
 * A Lambda entry point from a handler factory: the deps come from the
 * environment, built on the first invocation and kept for the container's
 * life (clients once per process), so importing a handler module (the local
 * runner does) builds nothing.
 *
 * @example export const handler = lambdaHandler(createHandler);
 */
export function lambdaHandler<O>(factory: (deps: Deps) => Handler<O>): Handler<O> {
  let h: Handler<O> | null = null;
  return (event) => {
    if (!h) {
      processDeps ??= createDeps(loadSettings());
      h = factory(processDeps);
    }
    return h(event);
  };
}

import { parseArgs } from 'node:util';
import { createS3Client, S3ObjectStore } from '../../functions/lib/adapters/s3/object-store-s3.ts';
import { type CliContext, UsageError } from '../context.ts';
import { resolveRemoteSettings, uploadRemote } from '../remote/index.ts';

export const UPLOAD_HELP = `Usage: efi upload FILE... --bucket NAME [--json]

Stream files to the deployed pipeline's landing prefix (EFI_LANDING_PREFIX,
default landing/); each upload's S3 event starts one execution. Follow them
with efi runs / efi show (with EFI_STATE_MACHINE_ARN set).

  --bucket NAME   the landing bucket (or EFI_BUCKET; the stack output BucketName)
  --json          one {"file","bucket","key"} per file`;

export async function uploadCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      bucket: { type: 'string' },
      region: { type: 'string' },
      'state-machine-arn': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    ctx.out(UPLOAD_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('efi upload needs at least one FILE');
  const bucket = values.bucket ?? process.env['EFI_BUCKET'];
  if (!bucket) throw new UsageError('efi upload needs --bucket NAME (or EFI_BUCKET): the deployed landing bucket');
  const remote = resolveRemoteSettings({ ...values, bucket });
  const store = new S3ObjectStore(
    createS3Client({ ...(values.region ? { region: values.region } : remote ? { region: remote.region } : {}) }),
  );
  const landing = remote?.landingPrefix ?? ctx.settings.prefixes.landing;
  for (const file of positionals) {
    const { key } = await uploadRemote(store, bucket, landing, file);
    if (ctx.json) ctx.out(JSON.stringify({ file, bucket, key }));
    else ctx.out(`${file} → s3://${bucket}/${key}`);
  }
  return 0;
}

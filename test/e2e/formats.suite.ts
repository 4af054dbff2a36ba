import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestResult } from '../../cli/commands/ingest.ts';
import { fromCopy } from '../../functions/lib/config/from-copy.ts';
import { parseConfigYaml } from '../../functions/lib/config/load-yaml.ts';
import { type Backend, createHarness, type Harness, sample } from './harness.ts';

/**
 * The file kinds the original framework handled, end to end through the real
 * state machine on one backend (formats-*.test.ts run it on PGlite and on a
 * real PostgreSQL): record-type split, bzip2/zstd and mislabelled
 * compression, windows-1252 input and invalid UTF-8, CSV quoting with
 * embedded delimiters and line breaks, a multi-character delimiter, and the
 * escape character. Bad variants are derived from the checked-in samples
 * into a temp dir, so each failure is exactly one known defect.
 */
export function formatsSuite(backend: Backend, pgUrl: string | null): void {
  describe(`file formats end to end on ${backend}`, () => {
    let h: Harness;
    let work: string;
    beforeAll(async () => {
      h = await createHarness(backend, pgUrl);
      work = fs.mkdtempSync(path.join(h.home, 'derived-'));
    });
    afterAll(async () => {
      await h?.close();
    });

    const count = async (table: string, where = 'true') =>
      Number((await h.query<{ n: string }>(`select count(*)::text as n from ${table} where ${where}`))[0]!.n);
    const rows = (sql: string) => h.query<Record<string, string | null>>(sql);
    const exists = (key: string) => fs.existsSync(path.join(h.home, 's3', 'efi-local', key));
    const outbox = async (runId: string) =>
      (await (await h.rt.db()).selectFrom('efi.outbox').select('status').where('run_id', '=', runId).execute()).map(
        (r) => r.status,
      );
    /** Output of a state's last StateExited event for this run. */
    const stateOutput = async (runId: string, state: string) => {
      const ev = await (await h.rt.db())
        .selectFrom('efi.execution_events')
        .select('output')
        .where('execution_id', 'like', `%${runId}`)
        .where('state_name', '=', state)
        .where('type', '=', 'StateExited')
        .orderBy('seq', 'desc')
        .executeTakeFirst();
      const out = ev?.output;
      return (typeof out === 'string' ? JSON.parse(out) : out) as Record<string, unknown> | undefined;
    };
    const derive = (name: string, body: string | Buffer) => {
      const file = path.join(work, name);
      fs.writeFileSync(file, body);
      return file;
    };
    /** A rejected file: moved to rejected/<interface>/, nothing of it loaded, FAILED notified once. */
    const expectRejected = async (r: IngestResult, iface: string, tables: string[]) => {
      expect(r.status).toBe('FAILED');
      expect(r.archivedTo).toMatch(new RegExp(`^s3://efi-local/rejected/${iface}/\\d{4}/\\d{2}/\\d{2}/`));
      expect(exists(`landing/${path.basename(r.file)}`)).toBe(false);
      expect(exists(r.archivedTo!.replace('s3://efi-local/', ''))).toBe(true);
      for (const t of tables) expect(await count(t, `efi_run_id = '${r.runId}'`)).toBe(0);
      expect(await outbox(r.runId)).toEqual(['FAILED']);
    };

    // ------------------------------------------------------------ record-type split
    describe('record-type split (orders: 01 = order header, 02 = order line)', () => {
      it('loads each record type into its own table with its own columns, counted per target, with lineage', async () => {
        const r = await h.ingest(sample('orders_20261122.txt'));
        expect(r.error).toBeNull();
        expect(r).toMatchObject({
          status: 'FINISHED',
          recordsInFile: 402,
          rowsLoaded: 402,
          rowsRejected: 0,
          target: 'stage.order_header,stage.order_line',
        });
        expect(r.targets).toEqual([
          { target: 'stage.order_header', recordType: '01', rowsLoaded: 120, rowsRejected: 0 },
          { target: 'stage.order_line', recordType: '02', rowsLoaded: 282, rowsRejected: 0 },
        ]);
        expect(await count('stage.order_header', `efi_run_id = '${r.runId}'`)).toBe(120);
        expect(await count('stage.order_line', `efi_run_id = '${r.runId}'`)).toBe(282);
        for (const t of ['stage.order_header', 'stage.order_line']) {
          expect(
            await count(
              t,
              `efi_source_file = 's3://efi-local/landing/orders_20261122.txt' and efi_loaded_at is not null and efi_run_id = '${r.runId}'`,
            ),
          ).toBe(t.endsWith('header') ? 120 : 282);
        }
        expect(
          await rows(
            `select record_type, order_id::text, customer_id, order_date::text, currency, order_total::text from stage.order_header where order_id = 202611220001`,
          ),
        ).toEqual([
          {
            record_type: '01',
            order_id: '202611220001',
            customer_id: 'C00010624',
            order_date: '2026-11-22',
            currency: 'EUR',
            order_total: '67.10',
          },
        ]);
        expect(
          await rows(
            `select record_type, line_no::text, sku, quantity::text, unit_price::text from stage.order_line where order_id = 202611220001 order by line_no`,
          ),
        ).toEqual([
          { record_type: '02', line_no: '1', sku: 'TEA-005', quantity: '3', unit_price: '5.95' },
          { record_type: '02', line_no: '2', sku: 'CRO-006', quantity: '1', unit_price: '12.65' },
          { record_type: '02', line_no: '3', sku: 'LAT-002', quantity: '2', unit_price: '18.30' },
        ]);
        // Headers and lines came from the same file and still agree with each other.
        const mismatched = await rows(
          `select h.order_id::text from stage.order_header h
             join (select order_id, sum(quantity * unit_price) as total from stage.order_line
                    where efi_run_id = '${r.runId}' group by order_id) l on l.order_id = h.order_id
            where h.efi_run_id = '${r.runId}' and h.order_total <> l.total`,
        );
        expect(mismatched).toEqual([]);
        expect(r.archivedTo).toMatch(/^s3:\/\/efi-local\/archive\/orders\/\d{4}\/\d{2}\/\d{2}\/orders_20261122\.txt$/);
        expect(fs.existsSync(path.join(h.home, 's3', 'efi-local', 'processing', r.runId))).toBe(false);
      });

      it('loads all targets in ONE transaction: a row the second table refuses leaves the first table untouched too', async () => {
        const lines = fs.readFileSync(sample('orders_20261122.txt'), 'utf8').split('\n');
        const at = lines.findIndex((l) => l.startsWith('02|202611220100|1|'));
        expect(at).toBeGreaterThan(300);
        const f = lines[at]!.split('|');
        f[4] = 'two';
        lines[at] = f.join('|');
        const r = await h.ingest(derive('orders_20261125.txt', lines.join('\n')));
        expect(r.error?.name).toBe('RowRejected');
        expect(r.error?.line).toBe(at + 1);
        expect(r.error?.column).toBe('quantity');
        expect(r.error?.message).toMatch(/stage\.order_line/);
        expect(r.error?.message).toMatch(/"two"/);
        expect(r.error?.message).toMatch(new RegExp(`line ${at + 1}`));
        // The header rows COPY into the first target before the second failed: rolled back with it.
        await expectRejected(r, 'orders', ['stage.order_header', 'stage.order_line']);
        expect(await count('stage.order_header', `efi_source_file like '%orders_20261125.txt'`)).toBe(0);
      });

      it('rejects an unknown record type (onUnknown: reject) with its line, loading nothing', async () => {
        const r = await h.ingest(sample('orders_20261123.txt'));
        expect(r.error?.name).toBe('UnknownRecordType');
        expect(r.error?.line).toBe(24);
        expect(r.error?.location).toEqual({ line: 24 });
        expect(r.error?.message).toMatch(/line 24: record type "03" is not configured/);
        expect(r.error?.message).toMatch(/"01", "02"/);
        expect(r.error?.message).toMatch(/split\.onUnknown to skip/);
        await expectRejected(r, 'orders', ['stage.order_header', 'stage.order_line']);
      });

      it('skips unknown record types with onUnknown: skip, loads the known ones and reports the skipped count', async () => {
        const [lenient] = parseConfigYaml(
          [
            'interface: orders',
            'files:',
            '  - id: orders.partner_daily',
            '    match: { glob: "partner/orders_*.txt" }',
            '    format: { delimiter: "|", quote: null, extensions: [txt] }',
            "    trailer: { countPattern: '^99\\|(\\d+)$' }",
            '    split:',
            '      prefixLength: 2',
            '      onUnknown: skip',
            '      records:',
            '        - type: "01"',
            '          target: { schema: stage, table: order_header }',
            '          columns: [record_type, order_id, customer_id, order_date, currency, order_total]',
            '        - type: "02"',
            '          target: { schema: stage, table: order_line }',
            '          columns: [record_type, order_id, line_no, sku, quantity, unit_price]',
          ].join('\n'),
          'orders-partner.yaml',
        );
        await h.apply([lenient!]);
        const r = await h.ingest(sample('orders_20261123.txt'), { key: 'landing/partner/orders_20261123.txt' });
        expect(r.error).toBeNull();
        // 148 data records: 40 headers, 107 lines and the one '03' gift message.
        expect(r).toMatchObject({
          status: 'FINISHED',
          recordsInFile: 148,
          recordsSkipped: 1,
          rowsLoaded: 147,
          rowsRejected: 0,
        });
        expect(r.targets).toEqual([
          { target: 'stage.order_header', recordType: '01', rowsLoaded: 40, rowsRejected: 0 },
          { target: 'stage.order_line', recordType: '02', rowsLoaded: 107, rowsRejected: 0 },
        ]);
        const validation = (await stateOutput(r.runId, 'ValidateFile'))?.['validation'] as Record<string, unknown>;
        expect(validation).toMatchObject({
          recordsInFile: 148,
          unknownRecords: 1,
          recordTypes: { '01': 40, '02': 107 },
        });
        const prepared = (await stateOutput(r.runId, 'Preprocess'))?.['prepared'] as Record<string, unknown>;
        expect(prepared['skippedRecords']).toBe(1);
        expect(
          await count('stage.order_line', `efi_run_id = '${r.runId}' and order_id = 202611230007`),
        ).toBeGreaterThan(0);
      });
    });

    // ------------------------------------------------------------ compression
    describe('compression', () => {
      it('loads a bzip2 feed', async () => {
        const r = await h.ingest(sample('shipments_20261122.csv.bz2'));
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', recordsInFile: 600, rowsLoaded: 600, rowsRejected: 0 });
        expect(r.targets).toEqual([
          { target: 'stage.shipment_events', recordType: null, rowsLoaded: 600, rowsRejected: 0 },
        ]);
        expect(
          await rows(
            `select order_id::text, carrier, status, to_char(event_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as event_at, weight_kg::text,
                    efi_source_file from stage.shipment_events where shipment_id = 'SH2026112200002'`,
          ),
        ).toEqual([
          {
            order_id: '202611220056',
            carrier: 'UPS',
            status: 'OUT_FOR_DELIVERY',
            event_at: '2026-11-22 16:15',
            weight_kg: '1.604',
            efi_source_file: 's3://efi-local/landing/shipments_20261122.csv.bz2',
          },
        ]);
        expect(r.archivedTo).toMatch(/archive\/logistics\/.*shipments_20261122\.csv\.bz2$/);
      });

      it('loads a zstd feed', async () => {
        const r = await h.ingest(sample('shipments_20261123.csv.zst'));
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', recordsInFile: 500, rowsLoaded: 500, rowsRejected: 0 });
        expect(await count('stage.shipment_events', `efi_run_id = '${r.runId}'`)).toBe(500);
        expect(
          await rows(
            `select shipment_id, order_id::text, carrier, weight_kg::text from stage.shipment_events
              where efi_run_id = '${r.runId}' and shipment_id in ('SH2026112300001', 'SH2026112300500') order by shipment_id`,
          ),
        ).toEqual([
          { shipment_id: 'SH2026112300001', order_id: '202611220019', carrier: 'PostNL', weight_kg: '4.245' },
          { shipment_id: 'SH2026112300500', order_id: '202611220034', carrier: 'DPD', weight_kg: '5.092' },
        ]);
      });

      it('rejects a file configured gzip that is plain text (CompressionMismatch), loading nothing', async () => {
        const r = await h.ingest(sample('shipments_20261124.csv.gz'));
        expect(r.error?.name).toBe('CompressionMismatch');
        expect(r.error?.message).toMatch(/config says compression gzip/);
        expect(r.error?.message).toMatch(/no known compression magic bytes \(first bytes: 73 68 69 70\)/);
        expect(r.error?.message).toMatch(/set format\.compression to none or deliver a gzip file/);
        await expectRejected(r, 'logistics', ['stage.shipment_events']);
      });

      it('rejects a .gz file whose config says none (CompressionMismatch), loading nothing', async () => {
        const [pod] = parseConfigYaml(
          [
            'interface: carrier',
            'files:',
            '  - id: carrier.proof_of_delivery',
            '    match: { glob: "pod_*" }',
            '    format: { delimiter: ",", compression: none }',
            '    header: { lines: 1, columns: [shipment_id, order_id, carrier, status, event_at, weight_kg] }',
            '    target: { schema: stage, table: shipment_events }',
          ].join('\n'),
          'carrier.yaml',
        );
        await h.apply([pod!]);
        // The carrier started gzipping its export without telling anyone.
        const body = zlib.gzipSync(fs.readFileSync(sample('shipments_20261124.csv.gz')));
        const r = await h.ingest(derive('pod_20261122.csv.gz', body));
        expect(r.error?.name).toBe('CompressionMismatch');
        expect(r.error?.message).toMatch(
          /config says compression none but the file starts with gzip magic bytes 1f 8b/,
        );
        expect(r.error?.message).toMatch(/set format\.compression to gzip/);
        await expectRejected(r, 'carrier', ['stage.shipment_events']);
      });
    });

    // ------------------------------------------------------------ encodings
    describe('encodings', () => {
      it('loads a windows-1252 file (accents, €, curly quotes, en dash) as correct UTF-8 text', async () => {
        const r = await h.ingest(sample('members_20261122.csv'));
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', recordsInFile: 300, rowsLoaded: 300, rowsRejected: 0 });
        expect(
          await rows(
            `select member_id, full_name, city, tier, points::text, joined_on::text, note,
                    char_length(full_name)::text as chars, octet_length(full_name)::text as bytes
               from stage.loyalty_members where efi_run_id = '${r.runId}' and member_id in ('M000001', 'M000002') order by member_id`,
          ),
        ).toEqual([
          {
            member_id: 'M000001',
            full_name: 'Chloé O’Brien',
            city: 'Besançon',
            tier: 'Gold',
            points: '1250',
            joined_on: '2024-03-01',
            note: '“Café crème” regular – owes €12.50',
            chars: '13',
            bytes: '16',
          },
          {
            member_id: 'M000002',
            full_name: 'Seán Müller',
            city: 'Köln',
            tier: 'Silver',
            points: '430',
            joined_on: '2025-07-15',
            note: 'Prefers ‘oat’ milk…',
            chars: '11',
            bytes: '13',
          },
        ]);
        // A quoted field keeps its ';' and loses its quotes; CRLF line ends leave no stray CR.
        expect(await count('stage.loyalty_members', `note = 'Loves flat whites; hates queues'`)).toBe(44);
        expect(await count('stage.loyalty_members', `note like '%' || chr(13) || '%'`)).toBe(0);
        expect(await count('stage.loyalty_members', `note = 'Crème brûlée fan — ask about Bœuf pie'`)).toBeGreaterThan(
          0,
        );
      });

      it('rejects invalid UTF-8 in a utf-8 feed (EncodingInvalid) with its line and byte column', async () => {
        const body = fs.readFileSync(sample('customers_20261122.txt'));
        const lines: Buffer[] = [];
        for (let s = 0; s < body.length; ) {
          const e = body.indexOf(0x0a, s);
          lines.push(body.subarray(s, e === -1 ? body.length : e + 1));
          s = e === -1 ? body.length : e + 1;
        }
        // Someone re-saved one record as Latin-1: 'é' (c3 a9) became the lone byte e9.
        const at = lines.findIndex((l, i) => i >= 100 && l.includes(Buffer.from('é')));
        const col = lines[at]!.indexOf(Buffer.from('é')) + 1;
        const s = lines[at]!.indexOf(Buffer.from('é'));
        lines[at] = Buffer.concat([lines[at]!.subarray(0, s), Buffer.from([0xe9]), lines[at]!.subarray(s + 2)]);
        expect([at + 1, col]).toEqual([111, 15]);
        const r = await h.ingest(derive('customers_20261124.txt', Buffer.concat(lines)));
        expect(r.error?.name).toBe('EncodingInvalid');
        expect(r.error?.line).toBe(111);
        const offset = lines.slice(0, at).reduce((n, l) => n + l.length, 0) + s;
        expect(r.error?.location).toEqual({ line: 111, byteOffset: offset });
        expect(r.error?.message).toMatch(new RegExp(`^line 111, byte offset ${offset}: bytes e9 `));
        expect(r.error?.message).toMatch(/not a valid UTF-8 sequence/);
        expect(r.error?.message).toMatch(/set format\.encoding to the file's real encoding/);
        await expectRejected(r, 'crm', ['stage.customers']);
      });
    });

    // ------------------------------------------------------------ quoting and escaping
    describe('CSV quoting, delimiters and escaping', () => {
      it('loads embedded delimiters, doubled quotes and quoted line breaks exactly; a multi-line record is one record', async () => {
        const text = fs.readFileSync(sample('tickets_20261122.csv'), 'utf8');
        const physicalLines = text.split('\n').length - 1;
        // Header + 250 records + trailer, but line breaks inside quotes add physical lines.
        expect(physicalLines).toBe(371);
        const r = await h.ingest(sample('tickets_20261122.csv'));
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', recordsInFile: 250, rowsLoaded: 250, rowsRejected: 0 });
        expect(
          await rows(
            `select ticket_id, customer_id, opened_at::text, subject, body, priority::text from stage.support_tickets
              where efi_run_id = '${r.runId}' and ticket_id <= 'T000003' order by ticket_id`,
          ),
        ).toEqual([
          {
            ticket_id: 'T000001',
            customer_id: 'C00010001',
            opened_at: '2026-11-22 08:15:00',
            subject: 'Refund, please',
            body: 'Charged twice for order 202611220001, refund one',
            priority: '2',
          },
          {
            ticket_id: 'T000002',
            customer_id: 'C00010002',
            opened_at: '2026-11-22 08:40:00',
            subject: 'Barista said "no"',
            body: 'I asked for "extra hot", was told "no", twice',
            priority: '3',
          },
          {
            ticket_id: 'T000003',
            customer_id: 'C00010003',
            opened_at: '2026-11-22 09:05:00',
            subject: 'Wrong address',
            body: 'Deliver to:\nFlat 2, 10 Quay Street\nGalway',
            priority: '1',
          },
        ]);
        // The two generated bodies that hold line breaks, each one record.
        const address = text.split('"Deliver to:\n').length - 1; // two line breaks each
        const lid = text.split('"Cup lid leaked,\n').length - 1; // one each
        expect(physicalLines).toBe(1 + 250 + 1 + 2 * address + lid);
        const multiLine = address + lid;
        expect(
          await count('stage.support_tickets', `efi_run_id = '${r.runId}' and body like '%' || chr(10) || '%'`),
        ).toBe(multiLine);
      });

      // Fails today (InvalidStateInput "record 307 does not exist"): PostgreSQL's COPY counts the line
      // breaks inside quotes, so its "line 307" is a physical line of the part, but
      // check-load.ts/throwIfRowsRejected treats lineInPart as a record ordinal. Reported to the lead.
      it('points a bad row after multi-line records at its physical line in the file', async () => {
        const text = fs.readFileSync(sample('tickets_20261122.csv'), 'utf8');
        const start = text.indexOf('\nT000200,') + 1;
        const end = text.indexOf('\nT000201,');
        const record = text.slice(start, end);
        expect(record).toMatch(/,[123]$/);
        const bad = `${text.slice(0, start)}${record.replace(/,[123]$/, ',urgent')}${text.slice(end)}`;
        const line = text.slice(0, start).split('\n').length;
        // Records above it span several lines: the physical line is well past header + 199 records.
        expect(line).toBeGreaterThan(200 + 20);
        const r = await h.ingest(derive('tickets_20261123.csv', bad));
        expect(r.error?.name).toBe('RowRejected');
        expect(r.error?.line).toBe(line);
        expect(r.error?.column).toBe('priority');
        expect(r.error?.message).toMatch(/"urgent"/);
        expect(r.error?.message).toMatch(new RegExp(`line ${line}, field \\d+ \\(priority\\)`));
        await expectRejected(r, 'support', ['stage.support_tickets']);
      });

      it('loads a feed with the multi-character delimiter ~|~, keeping commas, pipes, tildes and quotes as data', async () => {
        const r = await h.ingest(sample('settlements_20261122.dat'));
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', recordsInFile: 400, rowsLoaded: 400, rowsRejected: 0 });
        expect(
          await rows(
            `select settlement_id, merchant, amount::text, currency, settled_on::text, memo from stage.settlements
              where efi_run_id = '${r.runId}' and settlement_id in ('S000001', 'S000002') order by settlement_id`,
          ),
        ).toEqual([
          {
            settlement_id: 'S000001',
            merchant: 'Café Olé, Galway',
            amount: '1520.75',
            currency: 'EUR',
            settled_on: '2026-11-22',
            memo: 'Batch 7 "late", re-sent',
          },
          {
            settlement_id: 'S000002',
            merchant: 'Pipe | Drum Ltd',
            amount: '88.10',
            currency: 'GBP',
            settled_on: '2026-11-22',
            memo: 'chargeback | reversed',
          },
        ]);
        const text = fs.readFileSync(sample('settlements_20261122.dat'), 'utf8');
        const tildes = text.split('\n').filter((l) => l.includes('~|~Tilde~Bar~|~')).length;
        expect(tildes).toBeGreaterThan(0);
        expect(await count('stage.settlements', `efi_run_id = '${r.runId}' and merchant = 'Tilde~Bar'`)).toBe(tildes);
        const quoted = text.split('\n').filter((l) => l.includes('~|~Bean "Machine" Co~|~')).length;
        expect(await count('stage.settlements', `efi_run_id = '${r.runId}' and merchant = 'Bean "Machine" Co'`)).toBe(
          quoted,
        );
      });

      it('loads with escape set to the quote character (a doubled quote), the one escape both warehouses share', async () => {
        const [escaped] = parseConfigYaml(
          [
            'interface: support',
            'files:',
            '  - id: support.tickets_escaped',
            '    match: { glob: "escaped/tickets_*.csv" }',
            `    format: { delimiter: ",", quote: '"', escape: '"', extensions: [csv] }`,
            '    header: { lines: 1, columns: [ticket_id, customer_id, opened_at, subject, body, priority] }',
            "    trailer: { countPattern: '^TRAILER,(\\d+)$' }",
            '    target: { schema: stage, table: support_tickets }',
          ].join('\n'),
          'support-escaped.yaml',
        );
        await h.apply([escaped!]);
        const r = await h.ingest(sample('tickets_20261122.csv'), { key: 'landing/escaped/tickets_20261122.csv' });
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 250 });
        expect(
          await rows(
            `select subject, body from stage.support_tickets where efi_run_id = '${r.runId}' and ticket_id = 'T000002'`,
          ),
        ).toEqual([{ subject: 'Barista said "no"', body: 'I asked for "extra hot", was told "no", twice' }]);
      });

      it("loads the original framework's backslash ESCAPE on an unquoted feed as Redshift COPY ... ESCAPE does", async () => {
        await h.query(
          'create table if not exists stage.notes (note_id int, note varchar(200), efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)',
        );
        const [notes] = parseConfigYaml(
          [
            'interface: notes',
            'files:',
            '  - id: notes.daily',
            '    match: { glob: "notes_*.txt" }',
            `    format: { delimiter: "|", quote: null, escape: "\\\\" }`,
            '    target: { schema: stage, table: notes }',
            '    columns: [note_id, note]',
          ].join('\n'),
          'notes.yaml',
        );
        expect(notes!.format.escape).toBe('\\');
        const file = derive(
          'notes_20261122.txt',
          `${Array.from({ length: 30 }, (_, i) => `${i + 1}|pipe \\| and backslash \\\\ in note ${i + 1}`).join('\n')}\n`,
        );
        await h.apply([notes!]);
        const r = await h.ingest(file);
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 30 });
        expect(await rows(`select note from stage.notes where efi_run_id = '${r.runId}' and note_id = 7`)).toEqual([
          { note: 'pipe | and backslash \\ in note 7' },
        ]);
      });
    });
    describe('a CSV with a header line loads in place (no Preprocess rewrite), with row errors on their original line', () => {
      beforeAll(async () => {
        await h.query(
          'create table if not exists stage.inplace (id int, name varchar(20), efi_source_file varchar(1024), efi_run_id varchar(64), efi_loaded_at timestamp)',
        );
        await h.apply(
          parseConfigYaml(
            [
              'interface: inplace',
              'files:',
              '  - id: inplace.rows',
              '    match: { glob: "inplace_*.csv" }',
              '    header: { lines: 1, columns: [id, name] }',
              '    target: { schema: stage, table: inplace }',
              '    columns: [id, name]',
            ].join('\n'),
            'inplace.yaml',
          ),
        );
      });

      it('loads every row once with its run id', async () => {
        const r = await h.ingest(derive('inplace_1.csv', 'id,name\n1,"a, b"\n2,"two\nlines"\n3,c\n'));
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 3 });
        expect(
          await rows(`select id::text as id, name from stage.inplace where efi_run_id = '${r.runId}' order by id`),
        ).toEqual([
          { id: '1', name: 'a, b' },
          { id: '2', name: 'two\nlines' },
          { id: '3', name: 'c' },
        ]);
      });

      it('a quoted field padded with blanks loads without them, as Redshift CSV reads it (the slices go through the rewrite)', async () => {
        const r = await h.ingest(derive('inplace_3.csv', 'id,name\n1, "a, b" \n2,"c"\n'));
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 2 });
        expect(
          await rows(`select id::text as id, name from stage.inplace where efi_run_id = '${r.runId}' order by id`),
        ).toEqual([
          { id: '1', name: 'a, b' },
          { id: '2', name: 'c' },
        ]);
      });

      it('rejects a row the warehouse refuses at its line in the original file (the header counted), loading nothing', async () => {
        const r = await h.ingest(derive('inplace_2.csv', 'id,name\n1,a\n2,"two\nlines"\noops,c\n'));
        expect(r.status).toBe('FAILED');
        expect(r.error?.name).toBe('RowRejected');
        expect(r.error?.line).toBe(5);
        expect(r.error?.column).toBe('id');
        expect(await count('stage.inplace', `efi_run_id = '${r.runId}'`)).toBe(0);
      });
    });

    describe('COPY options copied from a Redshift load: ValidateFile and the load agree (the fidelity cases, end to end)', () => {
      const feed = (id: string, glob: string, extra: string[]) =>
        parseConfigYaml(
          [
            'interface: venues',
            'files:',
            `  - id: ${id}`,
            '    defaults: redshift',
            `    match: { glob: "${glob}" }`,
            '    format: { delimiter: "|" }',
            '    target: { schema: stage, table: venue }',
            '    lineage: false',
            ...extra.map((l) => `    ${l}`),
          ].join('\n'),
          `${id}.yaml`,
        )[0]!;
      const venues = () =>
        rows('select venueid::text as id, venuename as name, venuecity as city from stage.venue order by venueid');

      beforeAll(async () => {
        await h.query(
          'create table if not exists stage.venue (venueid int not null, venuename varchar(100), venuecity varchar(30))',
        );
        await h.apply([
          feed('venues.trailing', 'venues_trailing_*.txt', ['columns: [venueid, venuename, venuecity]']),
          feed('venues.fill', 'venues_fill_*.txt', [
            'columns: [venueid, venuename, venuecity]',
            'load: { fillRecord: true }',
          ]),
          feed('venues.maxerror', 'venues_maxerror_*.txt', [
            'columns: [venueid, venuename, venuecity]',
            'load: { maxErrors: 1 }',
          ]),
          feed('venues.nocolumns', 'venues_all_*.txt', []),
        ]);
      });

      it("a delimiter at the end of every line loads (the docs' venue_noseats.txt)", async () => {
        await h.query('truncate stage.venue');
        const r = await h.ingest(
          derive('venues_trailing_1.txt', '1|Toyota Park|Bridgeview|\n2|Columbus Crew Stadium|Columbus|\n'),
        );
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 2 });
        expect(await venues()).toEqual([
          { id: '1', name: 'Toyota Park', city: 'Bridgeview' },
          { id: '2', name: 'Columbus Crew Stadium', city: 'Columbus' },
        ]);
      });

      it('FILLRECORD: a record short of its last columns loads them as empty strings', async () => {
        await h.query('truncate stage.venue');
        const r = await h.ingest(derive('venues_fill_1.txt', '1|Toyota Park\n2|Columbus Crew Stadium|Columbus\n'));
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 2 });
        expect(await venues()).toEqual([
          { id: '1', name: 'Toyota Park', city: '' },
          { id: '2', name: 'Columbus Crew Stadium', city: 'Columbus' },
        ]);
      });

      it('MAXERROR: a record with extra fields is one load error; within the budget the rest loads, over it the file is rejected', async () => {
        await h.query('truncate stage.venue');
        const ok = await h.ingest(
          derive('venues_maxerror_1.txt', '1|Toyota Park|Bridgeview\n2|a|b|c|d\n3|RFK Stadium|Washington\n'),
        );
        expect(ok.error).toBeNull();
        expect(ok).toMatchObject({ status: 'FINISHED', rowsLoaded: 2 });
        expect((await venues()).map((v) => v.id)).toEqual(['1', '3']);
        const over = await h.ingest(derive('venues_maxerror_2.txt', '4|a|b|c\n5|x\n6|RFK Stadium|Washington\n'));
        expect(over).toMatchObject({ status: 'FAILED', error: { name: 'FieldCountMismatch', line: 2 } });
        expect((await venues()).map((v) => v.id)).toEqual(['1', '3']);
      });

      it("no column list: each record fits the table's columns in order", async () => {
        await h.query('truncate stage.venue');
        const r = await h.ingest(derive('venues_all_1.txt', '1|Toyota Park|Bridgeview\n2|\\N|Columbus\n'));
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 2 });
        expect(await venues()).toEqual([
          { id: '1', name: 'Toyota Park', city: 'Bridgeview' },
          { id: '2', name: null, city: 'Columbus' },
        ]);
      });
    });

    describe('the Redshift docs examples, from `efi config from-copy` to the loaded rows', () => {
      const ROLE = "iam_role 'arn:aws:iam::0123456789012:role/MyRedshiftRole'";
      /** The COPY's config, applied; its table created. */
      const fromDocs = async (copy: string, ddl: string) => {
        const made = fromCopy(copy, `docs.${Math.random().toString(36).slice(2, 8)}`);
        expect(made.issues).toEqual([]);
        const table = /^copy (\S+)/i.exec(copy)![1]!;
        await h.query(`create table ${table} (${ddl})`);
        await h.apply(parseConfigYaml(made.yaml, 'from-copy.yaml'));
      };

      it('nlTest2.txt (ESCAPE): escaped line feeds stay in their values; ValidateFile counts 2 records, not 7', async () => {
        await fromDocs(
          `copy stage.nltest from 's3://mybucket/data/nlTest2.txt' ${ROLE} escape delimiter as '|';`,
          'c1 varchar(100), c2 int',
        );
        const r = await h.ingest(
          derive(
            'nlTest2.txt',
            '<xml start>\\\n<newline characters provide>\\\n<line breaks at the end of each>\\\n<line in content>\\\n</xml>|1000\n<xml>\\\n</xml>|2000\n',
          ),
        );
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', recordsInFile: 2, rowsLoaded: 2 });
        expect(await rows('select c1, c2::text as c2 from stage.nltest order by c2')).toEqual([
          {
            c1: '<xml start>\n<newline characters provide>\n<line breaks at the end of each>\n<line in content>\n</xml>',
            c2: '1000',
          },
          { c1: '<xml>\n</xml>', c2: '2000' },
        ]);
      });

      it('ESCAPE: a refused row after an escaped line feed is reported at its own line of the file', async () => {
        await fromDocs(
          `copy stage.nlbad from 's3://mybucket/data/nlbad.txt' ${ROLE} escape delimiter as '|';`,
          'c1 varchar(100), c2 int',
        );
        const r = await h.ingest(derive('nlbad.txt', '<xml>\\\n</xml>|1000\n<a>\\\n</a>|two\n<b>|3\n'));
        expect(r.status).toBe('FAILED');
        expect(r.error).toMatchObject({ name: 'RowRejected', line: 3, column: 'c2' });
      });

      it('venue_fw.txt (FIXEDWIDTH): lines that end inside venueseats load', async () => {
        await fromDocs(
          `copy stage.venue_fw from 's3://mybucket/data/venue_fw.txt' ${ROLE} fixedwidth 'venueid:3,venuename:25,venuecity:12,venuestate:2,venueseats:6';`,
          'venueid smallint, venuename varchar(100), venuecity varchar(30), venuestate char(2), venueseats integer',
        );
        const r = await h.ingest(
          derive(
            'venue_fw.txt',
            '1  Toyota Park              Bridgeview  IL0\n2  Columbus Crew Stadium    Columbus    OH0\n3  RFK Stadium              Washington  DC0\n4  CommunityAmerica BallparkKansas City KS0\n5  Gillette Stadium         Foxborough  MA68756\n',
          ),
        );
        expect(r.error).toBeNull();
        expect(r).toMatchObject({ status: 'FINISHED', rowsLoaded: 5 });
        expect(
          await rows('select venueid::text as id, venuecity, venueseats::text as seats from stage.venue_fw order by 1'),
        ).toEqual([
          { id: '1', venuecity: 'Bridgeview', seats: '0' },
          { id: '2', venuecity: 'Columbus', seats: '0' },
          { id: '3', venuecity: 'Washington', seats: '0' },
          { id: '4', venuecity: 'Kansas City', seats: '0' },
          { id: '5', venuecity: 'Foxborough', seats: '68756' },
        ]);
      });

      it("multibyte delimiter: DELIMITER '\\302\\246' splits on ¦", async () => {
        await fromDocs(
          `copy stage.multibyte from 's3://mybucket/multibyte/mb_delim.txt' ${ROLE} delimiter '\\302\\246';`,
          'id int, v varchar(20)',
        );
        const r = await h.ingest(derive('mb_delim.txt', '1¦a|b\n2¦Zoë\n'));
        expect(r.error).toBeNull();
        expect(await rows('select id::text as id, v from stage.multibyte order by id')).toEqual([
          { id: '1', v: 'a|b' },
          { id: '2', v: 'Zoë' },
        ]);
      });
    });
  });
}

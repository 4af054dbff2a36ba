import { CASES, crashSuite } from './crash.suite.ts';

const only = process.env['EFI_CRASH_CASES']?.split(',');
crashSuite(
  { name: 'pglite', env: (home) => ({ EFI_HOME: home, EFI_OUTBOX_ECHO: '0' }) },
  { cases: only ? CASES.filter((c) => only.includes(`${c.state}:${c.when}`)) : CASES },
);

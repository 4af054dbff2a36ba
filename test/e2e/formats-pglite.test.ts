import { formatsSuite } from './formats.suite.ts';

formatsSuite('pglite', null);

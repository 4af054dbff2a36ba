import { stopSuite } from './stop.suite.ts';

stopSuite('pglite', null);

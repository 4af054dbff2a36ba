import { pgliteLeg } from '../support/warehouse-leg.ts';
import { defineFidelitySuite } from './copy-fidelity.suite.ts';

defineFidelitySuite('PGlite', pgliteLeg);

import { LOCAL_TIME_ZONE, pgliteLegIn } from '../support/warehouse-leg.ts';
import { defineFidelitySuite } from './copy-fidelity.suite.ts';

defineFidelitySuite('PGlite', pgliteLegIn(LOCAL_TIME_ZONE));

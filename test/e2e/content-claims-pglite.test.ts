import { contentClaimsSuite } from './content-claims.suite.ts';

contentClaimsSuite('pglite', null);

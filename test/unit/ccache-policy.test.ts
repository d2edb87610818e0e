/** Which builds compile through ccache under each `--ccache` policy (harness/builder/recipe.ts). */
import t from 'tap';
import { CCACHE_POLICIES, usesCcache } from '../../harness/builder/recipe.js';

t.test('incremental (the default): only builds that start from a base tree', async (t) => {
  t.equal(usesCcache('incremental', 'incremental'), true);
  t.equal(usesCcache('incremental', 'cold'), false, 'a cold build compiles without ccache');
});

t.test('all: cold builds too; off: none', async (t) => {
  t.equal(usesCcache('all', 'cold'), true);
  t.equal(usesCcache('all', 'incremental'), true);
  t.equal(usesCcache('off', 'cold'), false);
  t.equal(usesCcache('off', 'incremental'), false);
  t.same([...CCACHE_POLICIES], ['incremental', 'all', 'off'], 'the values --ccache takes');
});

/**
 * Golden plans: each folder of test/fixtures/plan holds a live state as the Admin API returns
 * it (`current.json`: kind → raw objects), a declarative file (`desired.yaml`) and the plan
 * text expected between them with Kong 3.4.2's schemas (`expected.txt`, written by hand).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCurrentState, type RawKongState } from '../../../cli/src/current/fetch';
import { loadDesired } from '../../../cli/src/desired/load';
import { validateDesired } from '../../../cli/src/desired/validate';
import { computePlan } from '../../../cli/src/diff/compute';
import { renderPlanText } from '../../../cli/src/output/plan-text';
import { kong342Schemas } from './helpers';

const PLANS = join(__dirname, '../../fixtures/plan');
/** The only environment the golden files may read (011-masked-env). */
const ENV = { DECK_REDIS_HOST: 'redis.internal', DECK_REDIS_PASSWORD: 'golden-secret' };

describe('golden plans', () => {
  const cases = readdirSync(PLANS).filter((d) => /^\d{3}-/.test(d)).sort();

  it('has the cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  for (const name of cases) {
    it(name, async () => {
      const dir = join(PLANS, name);
      const raw = JSON.parse(readFileSync(join(dir, 'current.json'), 'utf8')) as RawKongState;
      const loaded = await loadDesired({ files: [join(dir, 'desired.yaml')], env: ENV });
      const errors = validateDesired(loaded).filter((d) => d.severity !== 'warning');
      expect(errors).toEqual([]);
      const plan = computePlan(loaded.state, buildCurrentState(raw), kong342Schemas(), { selectTags: loaded.selectTags });
      expect(renderPlanText(plan, { color: false, secrets: [] })).toBe(readFileSync(join(dir, 'expected.txt'), 'utf8'));
    });
  }
});

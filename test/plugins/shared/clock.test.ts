import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nowSeconds, TEST_CLOCK_ENV } from '../../../plugins/shared/clock';

describe('nowSeconds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clock-'));
  const file = join(dir, 'now');
  afterEach(() => {
    delete process.env[TEST_CLOCK_ENV];
    rmSync(file, { force: true });
  });

  it('is the real clock without the variable', () => {
    const before = Date.now() / 1000;
    const now = nowSeconds();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now() / 1000);
  });

  it('follows the file named by the variable, re-read on every call', () => {
    process.env[TEST_CLOCK_ENV] = file;
    writeFileSync(file, '1300819000');
    expect(nowSeconds()).toBe(1300819000);
    writeFileSync(file, '1300819500.5\n');
    expect(nowSeconds()).toBe(1300819500.5);
  });

  it('falls back to the real clock when the file is missing or empty, and throws on garbage', () => {
    process.env[TEST_CLOCK_ENV] = file;
    expect(nowSeconds()).toBeGreaterThan(1.7e9);
    writeFileSync(file, '');
    expect(nowSeconds()).toBeGreaterThan(1.7e9);
    writeFileSync(file, 'yesterday');
    expect(() => nowSeconds()).toThrow(/does not hold epoch seconds/);
  });
});

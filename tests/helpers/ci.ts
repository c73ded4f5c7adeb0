/**
 * Whether the suite runs under CI. There a test that needs an external binary (Chromium, sqld)
 * fails when the binary is missing instead of skipping, since a skip would hide a gap.
 */
export const isCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * The whole data model. One table per concept; codes (department, town, category, status)
 * are data rows or text enums so a district can change them without a code change.
 *
 * Conventions:
 * - instants are integer milliseconds since the epoch (`timestamp_ms`), shown in Asia/Shanghai;
 * - calendar dates that mean a Beijing day (paid on, license valid until) are 'YYYY-MM-DD' text;
 * - money is integer fen (分) so no float ever touches an amount;
 * - personal data (complainant name, mobile) is stored only encrypted, plus a keyed hash for lookups.
 *
 * The tables live in db/schema/, one module per area; this file is the one entry point (drizzle-kit
 * reads it, db/drizzle.config.ts) and every other module imports the schema from here.
 */
export * from './schema/vocabulary.ts';
export * from './schema/reference.ts';
export * from './schema/registry.ts';
export * from './schema/staff.ts';
export * from './schema/complaints.ts';
export * from './schema/infrastructure.ts';

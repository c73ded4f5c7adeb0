-- Custom migration (drizzle-kit generate --custom): meta.config_version changes whenever the data
-- intake derives its rules from changes — settings, holiday_overrides, departments — whoever
-- writes it (this process, another app process, a script). Intake caches those rules in memory
-- and compares this one value inside its write transaction (api/complaints/intake-config.ts),
-- so a change committed anywhere is honoured by the very next complaint.
-- A fresh random token rather than a counter: a change that is rolled back must never leave a
-- value that a later, different change could produce again (the cache keys on equality).
INSERT INTO meta (key, value) VALUES ('config_version', lower(hex(randomblob(8))))
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;
--> statement-breakpoint
CREATE TRIGGER `settings_config_version_insert` AFTER INSERT ON `settings`
BEGIN
  UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key = 'config_version';
END;
--> statement-breakpoint
CREATE TRIGGER `settings_config_version_update` AFTER UPDATE ON `settings`
BEGIN
  UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key = 'config_version';
END;
--> statement-breakpoint
CREATE TRIGGER `settings_config_version_delete` AFTER DELETE ON `settings`
BEGIN
  UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key = 'config_version';
END;
--> statement-breakpoint
CREATE TRIGGER `holiday_overrides_config_version_insert` AFTER INSERT ON `holiday_overrides`
BEGIN
  UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key = 'config_version';
END;
--> statement-breakpoint
CREATE TRIGGER `holiday_overrides_config_version_update` AFTER UPDATE ON `holiday_overrides`
BEGIN
  UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key = 'config_version';
END;
--> statement-breakpoint
CREATE TRIGGER `holiday_overrides_config_version_delete` AFTER DELETE ON `holiday_overrides`
BEGIN
  UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key = 'config_version';
END;
--> statement-breakpoint
CREATE TRIGGER `departments_config_version_insert` AFTER INSERT ON `departments`
BEGIN
  UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key = 'config_version';
END;
--> statement-breakpoint
CREATE TRIGGER `departments_config_version_update` AFTER UPDATE ON `departments`
BEGIN
  UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key = 'config_version';
END;
--> statement-breakpoint
CREATE TRIGGER `departments_config_version_delete` AFTER DELETE ON `departments`
BEGIN
  UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key = 'config_version';
END;

ALTER TABLE `response_templates` ADD `updated_by` integer REFERENCES staff(id);--> statement-breakpoint
ALTER TABLE `response_templates` ADD `is_demo` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `response_templates_dept_status_idx` ON `response_templates` (`department_code`,`for_status`);--> statement-breakpoint
ALTER TABLE `site_builds` ADD `heartbeat_at` integer;--> statement-breakpoint
ALTER TABLE `site_builds` ADD `claimed_by` text;--> statement-breakpoint
CREATE UNIQUE INDEX `site_builds_one_running_uq` ON `site_builds` (`status`) WHERE status = 'running';
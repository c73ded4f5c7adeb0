CREATE TABLE `queue_counts` (
	`scope` text NOT NULL,
	`status` text NOT NULL,
	`n` integer NOT NULL,
	PRIMARY KEY(`scope`, `status`)
);
--> statement-breakpoint
CREATE TABLE `totp_enrolments` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`staff_id` integer NOT NULL,
	`secret_enc` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `totp_enrolments_staff_idx` ON `totp_enrolments` (`staff_id`);--> statement-breakpoint
DROP INDEX `complaints_queue_idx`;--> statement-breakpoint
DROP INDEX `complaints_status_deadline_idx`;--> statement-breakpoint
ALTER TABLE `complaints` ADD `due_on` text GENERATED ALWAYS AS (CASE status WHEN 'submitted' THEN accept_by WHEN 'accepted' THEN coalesce(extended_until, resolve_by) WHEN 'in_progress' THEN coalesce(extended_until, resolve_by) ELSE '9999-12-31' END) VIRTUAL;--> statement-breakpoint
CREATE INDEX `complaints_lead_due_idx` ON `complaints` (`lead_dept`,`due_on`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_lead_status_due_idx` ON `complaints` (`lead_dept`,`status`,`due_on`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_due_idx` ON `complaints` (`due_on`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_status_due_idx` ON `complaints` (`status`,`due_on`,`id`);--> statement-breakpoint
ALTER TABLE `complaint_co_handlers` ADD `status` text;--> statement-breakpoint
ALTER TABLE `complaint_co_handlers` ADD `due_on` text;--> statement-breakpoint
CREATE INDEX `complaint_co_handlers_due_idx` ON `complaint_co_handlers` (`department_code`,`due_on`,`complaint_id`);--> statement-breakpoint
CREATE INDEX `complaint_co_handlers_status_due_idx` ON `complaint_co_handlers` (`department_code`,`status`,`due_on`,`complaint_id`);
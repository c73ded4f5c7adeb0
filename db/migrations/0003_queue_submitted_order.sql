DROP INDEX `complaint_co_handlers_due_idx`;--> statement-breakpoint
DROP INDEX `complaint_co_handlers_status_due_idx`;--> statement-breakpoint
ALTER TABLE `complaint_co_handlers` ADD `submitted_at` integer;--> statement-breakpoint
CREATE INDEX `complaint_co_handlers_due_sub_idx` ON `complaint_co_handlers` (`department_code`,`due_on`,`submitted_at`,`complaint_id`);--> statement-breakpoint
CREATE INDEX `complaint_co_handlers_status_due_sub_idx` ON `complaint_co_handlers` (`department_code`,`status`,`due_on`,`submitted_at`,`complaint_id`);--> statement-breakpoint
DROP INDEX `complaints_lead_due_idx`;--> statement-breakpoint
DROP INDEX `complaints_lead_status_due_idx`;--> statement-breakpoint
DROP INDEX `complaints_due_idx`;--> statement-breakpoint
DROP INDEX `complaints_status_due_idx`;--> statement-breakpoint
CREATE INDEX `complaints_lead_due_sub_idx` ON `complaints` (`lead_dept`,`due_on`,`submitted_at`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_lead_status_due_sub_idx` ON `complaints` (`lead_dept`,`status`,`due_on`,`submitted_at`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_due_sub_idx` ON `complaints` (`due_on`,`submitted_at`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_status_due_sub_idx` ON `complaints` (`status`,`due_on`,`submitted_at`,`id`);
CREATE TABLE `attachments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`complaint_id` integer NOT NULL,
	`mime` text NOT NULL,
	`original_name` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`content` blob NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`complaint_id`) REFERENCES `complaints`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `attachments_complaint_idx` ON `attachments` (`complaint_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`actor_staff_id` integer,
	`actor_role` text,
	`actor_kind` text NOT NULL,
	`action` text NOT NULL,
	`object_type` text NOT NULL,
	`object_id` text,
	`ip` text,
	`detail` text,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_object_idx` ON `audit_log` (`object_type`,`object_id`);--> statement-breakpoint
CREATE INDEX `audit_log_actor_idx` ON `audit_log` (`actor_staff_id`,`at`);--> statement-breakpoint
CREATE TABLE `banned_mobiles` (
	`mobile_hash` text PRIMARY KEY NOT NULL,
	`reason` text NOT NULL,
	`added_by` integer,
	`added_at` integer NOT NULL,
	FOREIGN KEY (`added_by`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `clusters` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`institution_id` text,
	`institution_key` text NOT NULL,
	`trigger` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`opened_at` integer NOT NULL,
	`handled_at` integer,
	`notice_draft` text,
	FOREIGN KEY (`institution_id`) REFERENCES `institutions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `clusters_key_status_idx` ON `clusters` (`institution_key`,`status`);--> statement-breakpoint
CREATE TABLE `complaint_co_handlers` (
	`complaint_id` integer NOT NULL,
	`department_code` text NOT NULL,
	`added_by` integer,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`complaint_id`, `department_code`),
	FOREIGN KEY (`complaint_id`) REFERENCES `complaints`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`department_code`) REFERENCES `departments`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`added_by`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `complaint_co_handlers_dept_idx` ON `complaint_co_handlers` (`department_code`,`complaint_id`);--> statement-breakpoint
CREATE TABLE `complaint_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`complaint_id` integer NOT NULL,
	`at` integer NOT NULL,
	`kind` text NOT NULL,
	`from_status` text,
	`to_status` text,
	`actor_staff_id` integer,
	`actor_dept` text,
	`public_note` text,
	`staff_note` text,
	`data` text,
	FOREIGN KEY (`complaint_id`) REFERENCES `complaints`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `complaint_events_complaint_idx` ON `complaint_events` (`complaint_id`,`at`);--> statement-breakpoint
CREATE TABLE `complaints` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tracking_code` text NOT NULL,
	`institution_id` text,
	`institution_key` text NOT NULL,
	`institution_name` text,
	`institution_address` text,
	`town_code` text,
	`course` text NOT NULL,
	`contract` text NOT NULL,
	`paid_on` text NOT NULL,
	`amount_paid_fen` integer NOT NULL,
	`classes_total` integer NOT NULL,
	`classes_used` integer NOT NULL,
	`amount_requested_fen` integer NOT NULL,
	`paid_via` text NOT NULL,
	`reason` text NOT NULL,
	`description` text,
	`parent_name_enc` text,
	`mobile_enc` text,
	`mobile_hash` text,
	`consent_processing` integer NOT NULL,
	`consent_publication` integer NOT NULL,
	`status` text NOT NULL,
	`lead_dept` text NOT NULL,
	`routing_rule` text NOT NULL,
	`assignee_id` integer,
	`submitted_at` integer NOT NULL,
	`accept_by` text NOT NULL,
	`accepted_at` integer,
	`resolve_by` text,
	`extension_status` text,
	`extended_until` text,
	`resolved_at` integer,
	`outcome` text,
	`amount_refunded_fen` integer,
	`reject_reason` text,
	`rating` text,
	`rated_at` integer,
	`reopen_count` integer DEFAULT 0 NOT NULL,
	`closed_at` integer,
	`overdue_flagged_at` integer,
	`cluster_id` integer,
	`duplicate_of` integer,
	`is_spam` integer DEFAULT false NOT NULL,
	`description_redacted` text,
	`pii_purged_at` integer,
	`is_demo` integer DEFAULT false NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`institution_id`) REFERENCES `institutions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`town_code`) REFERENCES `towns`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`lead_dept`) REFERENCES `departments`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assignee_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`cluster_id`) REFERENCES `clusters`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `complaints_tracking_code_uq` ON `complaints` (`tracking_code`);--> statement-breakpoint
CREATE INDEX `complaints_queue_idx` ON `complaints` (`lead_dept`,`status`,`accept_by`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_status_deadline_idx` ON `complaints` (`status`,`resolve_by`,`id`);--> statement-breakpoint
CREATE INDEX `complaints_institution_idx` ON `complaints` (`institution_key`,`submitted_at`);--> statement-breakpoint
CREATE INDEX `complaints_mobile_idx` ON `complaints` (`mobile_hash`,`submitted_at`);--> statement-breakpoint
CREATE INDEX `complaints_submitted_idx` ON `complaints` (`submitted_at`);--> statement-breakpoint
CREATE INDEX `complaints_cluster_idx` ON `complaints` (`cluster_id`);--> statement-breakpoint
CREATE TABLE `departments` (
	`code` text PRIMARY KEY NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`kind` text NOT NULL,
	`intake_email` text,
	`phone` text,
	`sort_order` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `holiday_overrides` (
	`date` text PRIMARY KEY NOT NULL,
	`is_workday` integer NOT NULL,
	`name` text NOT NULL,
	`entered_by` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`entered_by`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created_idx` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `inspection_findings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`inspection_id` integer NOT NULL,
	`code` text NOT NULL,
	`note` text,
	`rectification` text,
	`rectified_on` text,
	FOREIGN KEY (`inspection_id`) REFERENCES `inspections`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `inspection_findings_inspection_idx` ON `inspection_findings` (`inspection_id`);--> statement-breakpoint
CREATE TABLE `inspections` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`institution_id` text NOT NULL,
	`year` integer NOT NULL,
	`result` text NOT NULL,
	`published_on` text NOT NULL,
	`published_by` text NOT NULL,
	FOREIGN KEY (`institution_id`) REFERENCES `institutions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inspections_inst_year_uq` ON `inspections` (`institution_id`,`year`);--> statement-breakpoint
CREATE INDEX `inspections_year_result_idx` ON `inspections` (`year`,`result`);--> statement-breakpoint
CREATE TABLE `institution_supervisors` (
	`institution_id` text NOT NULL,
	`department_code` text NOT NULL,
	`role` text NOT NULL,
	PRIMARY KEY(`institution_id`, `department_code`),
	FOREIGN KEY (`institution_id`) REFERENCES `institutions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`department_code`) REFERENCES `departments`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `institution_supervisors_dept_idx` ON `institution_supervisors` (`department_code`);--> statement-breakpoint
CREATE TABLE `institutions` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`name_pinyin` text NOT NULL,
	`name_initials` text NOT NULL,
	`credit_code` text NOT NULL,
	`license_no` text NOT NULL,
	`legal_form` text NOT NULL,
	`category` text NOT NULL,
	`address` text NOT NULL,
	`town_code` text NOT NULL,
	`zone_id` integer NOT NULL,
	`license_status` text NOT NULL,
	`license_issued_on` text NOT NULL,
	`license_valid_until` text NOT NULL,
	`fire_safety_passed` integer NOT NULL,
	`fire_safety_date` text,
	`custody_bank` text,
	`custody_account_no` text,
	`uses_model_contract` integer NOT NULL,
	`training_items` text NOT NULL,
	`staff_count` integer NOT NULL,
	`teacher_count` integer NOT NULL,
	`phone` text,
	`is_demo` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`town_code`) REFERENCES `towns`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`zone_id`) REFERENCES `zones`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `institutions_credit_code_uq` ON `institutions` (`credit_code`);--> statement-breakpoint
CREATE UNIQUE INDEX `institutions_license_no_uq` ON `institutions` (`license_no`);--> statement-breakpoint
CREATE INDEX `institutions_town_idx` ON `institutions` (`town_code`,`name`);--> statement-breakpoint
CREATE INDEX `institutions_category_idx` ON `institutions` (`category`);--> statement-breakpoint
CREATE INDEX `institutions_status_idx` ON `institutions` (`license_status`);--> statement-breakpoint
CREATE TABLE `license_status_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`institution_id` text NOT NULL,
	`status` text NOT NULL,
	`effective_on` text NOT NULL,
	`reason_zh` text,
	`reason_en` text,
	`recorded_by` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`institution_id`) REFERENCES `institutions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`recorded_by`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `license_status_history_inst_idx` ON `license_status_history` (`institution_id`,`effective_on`);--> statement-breakpoint
CREATE TABLE `meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`channel` text NOT NULL,
	`topic` text NOT NULL,
	`recipient` text NOT NULL,
	`payload` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`claim_token` text,
	`lease_until` integer,
	`last_error` text,
	`delivered_at` integer,
	`provider_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `outbox_due_idx` ON `outbox` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `pow_spent` (
	`challenge_id` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pow_spent_expires_idx` ON `pow_spent` (`expires_at`);--> statement-breakpoint
CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `response_templates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`department_code` text NOT NULL,
	`for_status` text NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`department_code`) REFERENCES `departments`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`staff_id` integer NOT NULL,
	`csrf_token` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`ip` text,
	`user_agent` text,
	FOREIGN KEY (`staff_id`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_staff_idx` ON `sessions` (`staff_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` integer,
	FOREIGN KEY (`updated_by`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `site_builds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`data_version` integer NOT NULL,
	`dir` text,
	`log` text DEFAULT '' NOT NULL,
	`requested_by` integer,
	FOREIGN KEY (`requested_by`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `staff` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`username` text NOT NULL,
	`display_name` text NOT NULL,
	`department_code` text NOT NULL,
	`role` text NOT NULL,
	`password_hash` text NOT NULL,
	`totp_secret_enc` text,
	`totp_enrolled_at` integer,
	`failed_logins` integer DEFAULT 0 NOT NULL,
	`locked_until` integer,
	`last_totp_step` integer,
	`active` integer DEFAULT true NOT NULL,
	`is_demo` integer DEFAULT false NOT NULL,
	`password_changed_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`department_code`) REFERENCES `departments`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `staff_username_uq` ON `staff` (`username`);--> statement-breakpoint
CREATE INDEX `staff_department_idx` ON `staff` (`department_code`);--> statement-breakpoint
CREATE TABLE `towns` (
	`code` text PRIMARY KEY NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`kind` text NOT NULL,
	`department_code` text NOT NULL,
	FOREIGN KEY (`department_code`) REFERENCES `departments`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `zones` (
	`id` integer PRIMARY KEY NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`inspector_name` text NOT NULL,
	`inspector_phone` text
);

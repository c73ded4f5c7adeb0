CREATE TABLE `registry_imports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`year` integer,
	`sha256` text NOT NULL,
	`file_name` text NOT NULL,
	`format` text NOT NULL,
	`content` blob NOT NULL,
	`summary` text NOT NULL,
	`uploaded_by` integer NOT NULL,
	`uploaded_at` integer NOT NULL,
	`applied_at` integer,
	FOREIGN KEY (`uploaded_by`) REFERENCES `staff`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `registry_imports_lookup_idx` ON `registry_imports` (`uploaded_by`,`kind`,`sha256`);--> statement-breakpoint
CREATE INDEX `registry_imports_uploaded_idx` ON `registry_imports` (`uploaded_at`);
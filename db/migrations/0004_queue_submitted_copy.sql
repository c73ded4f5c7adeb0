-- Custom migration (drizzle-kit generate --custom): the queue now orders by
-- (due_on, submitted_at, id), so a co-handler row also carries a copy of the complaint's
-- submitted_at (it never changes after intake: copied once, when the row is inserted).
DROP TRIGGER `complaint_co_handlers_queue_insert`;
--> statement-breakpoint
CREATE TRIGGER `complaint_co_handlers_queue_insert` AFTER INSERT ON `complaint_co_handlers`
BEGIN
  UPDATE complaint_co_handlers
    SET (status, due_on, submitted_at) = (SELECT c.status, c.due_on, c.submitted_at FROM complaints c WHERE c.id = NEW.complaint_id)
    WHERE complaint_id = NEW.complaint_id AND department_code = NEW.department_code;
  INSERT INTO queue_counts (scope, status, n)
    SELECT NEW.department_code, c.status, 1 FROM complaints c WHERE c.id = NEW.complaint_id
    ON CONFLICT (scope, status) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
UPDATE complaint_co_handlers
  SET submitted_at = (SELECT c.submitted_at FROM complaints c WHERE c.id = complaint_co_handlers.complaint_id);

-- Intake writes a co-handler row with the case's queue columns (status, due_on, submitted_at)
-- already filled in (api/complaints/intake.ts); rewriting that row here cost a second write of
-- the row and of two of its indexes per co-handler. Rows inserted without them (a clerk adding a
-- co-handler, a change of lead) are still filled in from the case, as before.
DROP TRIGGER `complaint_co_handlers_queue_insert`;
--> statement-breakpoint
CREATE TRIGGER `complaint_co_handlers_queue_insert` AFTER INSERT ON `complaint_co_handlers`
BEGIN
  UPDATE complaint_co_handlers
    SET (status, due_on, submitted_at) = (SELECT c.status, c.due_on, c.submitted_at FROM complaints c WHERE c.id = NEW.complaint_id)
    WHERE NEW.status IS NULL AND complaint_id = NEW.complaint_id AND department_code = NEW.department_code;
  INSERT INTO queue_counts (scope, status, n)
    SELECT NEW.department_code, c.status, 1 FROM complaints c WHERE c.id = NEW.complaint_id
    ON CONFLICT (scope, status) DO UPDATE SET n = n + 1;
END;

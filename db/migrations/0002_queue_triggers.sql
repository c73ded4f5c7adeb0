-- Custom migration (drizzle-kit generate --custom): triggers drizzle-kit cannot express.
-- They keep the staff queue's derived data right for every writer (intake, workflow, moderation,
-- retention, seeding) without any of them knowing about it:
--   complaint_co_handlers.status / due_on  copies of the complaint's, so a co-handling
--                                          department's queue is one ordered index range;
--   queue_counts                           complaints per (scope, status); scope = department
--                                          (led + co-handled) or '*' (everything).
-- A co-handler row never names the lead department (the workflow keeps that invariant), so lead
-- and co-handler counts of one department never count a case twice.
CREATE TRIGGER `complaints_queue_insert` AFTER INSERT ON `complaints`
BEGIN
  INSERT INTO queue_counts (scope, status, n) VALUES ('*', NEW.status, 1), (NEW.lead_dept, NEW.status, 1)
    ON CONFLICT (scope, status) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `complaints_queue_counts_update` AFTER UPDATE OF status, lead_dept ON `complaints`
WHEN OLD.status IS NOT NEW.status OR OLD.lead_dept IS NOT NEW.lead_dept
BEGIN
  UPDATE queue_counts SET n = n - 1 WHERE status = OLD.status AND scope IN ('*', OLD.lead_dept);
  INSERT INTO queue_counts (scope, status, n) VALUES ('*', NEW.status, 1), (NEW.lead_dept, NEW.status, 1)
    ON CONFLICT (scope, status) DO UPDATE SET n = n + 1;
  UPDATE queue_counts SET n = n - 1
    WHERE OLD.status IS NOT NEW.status AND status = OLD.status
      AND scope IN (SELECT department_code FROM complaint_co_handlers WHERE complaint_id = NEW.id);
  INSERT INTO queue_counts (scope, status, n)
    SELECT department_code, NEW.status, 1 FROM complaint_co_handlers WHERE complaint_id = NEW.id AND OLD.status IS NOT NEW.status
    ON CONFLICT (scope, status) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `complaints_queue_cohandler_sync` AFTER UPDATE OF status, accept_by, resolve_by, extended_until ON `complaints`
WHEN OLD.status IS NOT NEW.status OR OLD.due_on IS NOT NEW.due_on
BEGIN
  UPDATE complaint_co_handlers SET status = NEW.status, due_on = NEW.due_on WHERE complaint_id = NEW.id;
END;
--> statement-breakpoint
CREATE TRIGGER `complaints_queue_delete` AFTER DELETE ON `complaints`
BEGIN
  UPDATE queue_counts SET n = n - 1 WHERE status = OLD.status AND scope IN ('*', OLD.lead_dept);
END;
--> statement-breakpoint
CREATE TRIGGER `complaint_co_handlers_queue_insert` AFTER INSERT ON `complaint_co_handlers`
BEGIN
  UPDATE complaint_co_handlers
    SET (status, due_on) = (SELECT c.status, c.due_on FROM complaints c WHERE c.id = NEW.complaint_id)
    WHERE complaint_id = NEW.complaint_id AND department_code = NEW.department_code;
  INSERT INTO queue_counts (scope, status, n)
    SELECT NEW.department_code, c.status, 1 FROM complaints c WHERE c.id = NEW.complaint_id
    ON CONFLICT (scope, status) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `complaint_co_handlers_queue_delete` AFTER DELETE ON `complaint_co_handlers`
BEGIN
  UPDATE queue_counts SET n = n - 1 WHERE scope = OLD.department_code AND status = OLD.status;
END;
--> statement-breakpoint
-- Backfill for databases that already hold complaints.
UPDATE complaint_co_handlers
  SET (status, due_on) = (SELECT c.status, c.due_on FROM complaints c WHERE c.id = complaint_co_handlers.complaint_id);
--> statement-breakpoint
DELETE FROM queue_counts;
--> statement-breakpoint
INSERT INTO queue_counts (scope, status, n) SELECT '*', status, count(*) FROM complaints WHERE true GROUP BY status;
--> statement-breakpoint
INSERT INTO queue_counts (scope, status, n) SELECT lead_dept, status, count(*) FROM complaints WHERE true GROUP BY lead_dept, status
  ON CONFLICT (scope, status) DO UPDATE SET n = n + excluded.n;
--> statement-breakpoint
INSERT INTO queue_counts (scope, status, n) SELECT department_code, status, count(*) FROM complaint_co_handlers WHERE true GROUP BY department_code, status
  ON CONFLICT (scope, status) DO UPDATE SET n = n + excluded.n;

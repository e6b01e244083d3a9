CREATE TABLE sessions (
  id bigint PRIMARY KEY,
  created_epoch bigint NOT NULL,
  ended_epoch bigint
);
CREATE INDEX sessions_created_epoch_idx ON sessions (created_epoch);
INSERT INTO sessions SELECT g, 1700000000 + g * 3600, CASE WHEN g % 2 = 0 THEN 1700000000 + g * 3600 + 60 END
FROM generate_series(1, 30) g;
ANALYZE;

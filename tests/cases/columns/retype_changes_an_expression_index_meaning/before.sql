-- numeric -> bigint under an expression index: ALTER COLUMN TYPE re-parses `(b * 2::numeric)` as
-- `(b::numeric * 2::numeric)`, not the desired `(b * 2)`: the index is dropped before the type change and
-- built after it in its transaction (not built twice), and the next plan is
-- empty (the property test found a plan that never converged).
CREATE TABLE t1 (id integer PRIMARY KEY, b numeric(10,2) NOT NULL DEFAULT 0);
CREATE INDEX t1_expr_idx ON t1 ((b * 2));

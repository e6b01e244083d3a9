-- Issue 11, item 8: DEFERRABLE UNIQUE / PRIMARY KEY was written as immediate; the first plan rebuilt the key.
CREATE TABLE slot (id integer, pos integer NOT NULL, code text,
                   CONSTRAINT slot_pkey PRIMARY KEY (id) DEFERRABLE INITIALLY DEFERRED,
                   CONSTRAINT slot_pos_key UNIQUE (pos) DEFERRABLE,
                   CONSTRAINT slot_code_key UNIQUE (code) DEFERRABLE INITIALLY DEFERRED);
INSERT INTO slot VALUES (1, 1, 'a'), (2, 2, 'b');

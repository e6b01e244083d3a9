CREATE TABLE memberships (user_id integer NOT NULL, group_id integer NOT NULL, PRIMARY KEY (user_id));
-- An earlier apply built the new key's index under its temporary name, then stopped before the swap.
CREATE UNIQUE INDEX memberships_pkey_pgevolve_new ON memberships (user_id, group_id);

CREATE SCHEMA other;
CREATE TABLE other.leads (id integer PRIMARY KEY, fax text);
CREATE TABLE other.junk (id integer);
CREATE TYPE other.mood AS ENUM ('x');
CREATE TABLE leads (id integer PRIMARY KEY);
